"""html_to_pdf directly (no child process): tables that cross pages lose no row.

MuPDF 1.26's Story loses a page's worth of table rows at a page break when rows are spaced
apart (border-spacing, or collapsed borders), for about half of such long tables; pdf_layout
forces separate borders without spacing (and re-places a page that still runs away). These
documents cover row heights, page positions and template CSS that asks for spacing or collapse.
"""

from __future__ import annotations

import random
import re

import pymupdf
import pytest

from docjobs.jobtypes.generate.pdf_layout import html_to_pdf

_BLOCKS = [
    "<p>intro</p>",
    "<h1>Title</h1>",
    "<h2>Part</h2>",
    "<p>a<br>b</p>",
    "<ul><li>x</li><li>y</li></ul>",
]
_STYLES = [
    "",
    "<style>body { line-height: 1.2; }</style>",
    "<style>body { font-size: 12pt; line-height: 1.5; }</style>",
    "<style>td { padding: 1pt 3pt; }</style>",
    "<style>body { font-family: serif; font-size: 11pt; } td { padding: 4pt; }</style>",
    "<style>table { border-collapse: separate; } td { border: 0; }</style>",
    "<style>table { border-collapse: collapse; } td, th { border: 1px solid black; }</style>",
    "<style>table { border-spacing: 4px; }</style>",
]


def _variants(count: int) -> list[tuple[str, str, float]]:
    chooser = random.Random(20261129)
    return [
        (
            "".join(chooser.choice(_BLOCKS) for _ in range(chooser.randint(0, 6))),
            _STYLES[-2:][n % 2] if n % 3 else chooser.choice(_STYLES),
            chooser.choice([10.0, 15.0, 20.0, 25.0]),
        )
        for n in range(count)
    ]


@pytest.mark.parametrize(("preamble", "style", "margin"), _variants(40))
def test_every_row_of_a_long_table_is_drawn_exactly_once(preamble: str, style: str, margin: float) -> None:
    rows = "".join(
        f"<tr><td>R{i:04d}{'<br>more' if i % 7 == 0 else ''}</td><td>item {i}</td><td>{i * 3}</td></tr>"
        for i in range(260)
    )
    pdf = html_to_pdf(
        f"{style}{preamble}<table>{rows}</table><p>END</p>",
        page_size="A4",
        margin_mm=margin,
        images={},
        title="rows",
        max_pages=100,
    )
    with pymupdf.open("pdf", pdf.content) as document:
        assert document.page_count == pdf.pages
        text = "".join(page.get_text() for page in document)
    assert sorted(int(n) for n in re.findall(r"R(\d{4})", text)) == list(range(260))
    assert text.rstrip().endswith("END")


def test_pdf_metadata_names_the_document() -> None:
    pdf = html_to_pdf(
        "<p>x</p>", page_size="letter", margin_mm=10, images={}, title="Invoice 42", max_pages=5
    )
    with pymupdf.open("pdf", pdf.content) as document:
        assert document.metadata["title"] == "Invoice 42"
        assert document.metadata["creator"] == "docjobs generate"
