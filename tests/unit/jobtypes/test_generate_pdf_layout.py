"""html_to_pdf directly (no child process): tables that cross pages lose no row.

MuPDF 1.26's Story can lay a table row out below the page rectangle when the space left on a
page is just under a row's height, and those rows are then drawn on no page (about one document
in four with long tables, depending on what precedes the table and the CSS). pdf_layout detects
the overflow and places such a page again with a slightly shorter rectangle; these documents
cover many row heights and page positions.
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
]


def _variants(count: int) -> list[tuple[str, str, float]]:
    chooser = random.Random(20261129)
    return [
        (
            "".join(chooser.choice(_BLOCKS) for _ in range(chooser.randint(0, 6))),
            chooser.choice(_STYLES),
            chooser.choice([10.0, 15.0, 20.0, 25.0]),
        )
        for _ in range(count)
    ]


@pytest.mark.parametrize(("preamble", "style", "margin"), _variants(24))
def test_every_row_of_a_long_table_is_drawn_exactly_once(preamble: str, style: str, margin: float) -> None:
    rows = "".join(f"<tr><td>R{i:04d}</td><td>item {i}</td><td>{i * 3}</td></tr>" for i in range(260))
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
