"""Helpers for the split unit tests: open generated PDFs, parse their pages, reopen parts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pymupdf

from docjobs.engines.pdf import iter_pages, open_document
from docjobs.jobtypes.split.cues import PageText
from docjobs.jobtypes.split.materialize import iter_parts
from docjobs.jobtypes.split.options import SplitOptions
from docjobs.jobtypes.split.plan import SplitPlan
from docjobs.jobtypes.split.spec import SPEC


def split_options(options: dict[str, object]) -> SplitOptions:
    """Options as submission validates them."""
    parsed = SPEC.validate_options(options)
    assert isinstance(parsed, SplitOptions)
    return parsed


def parsed_pages(data: bytes) -> list[PageText]:
    """What the parsing stage would write for ``data``, as the split stage reads it back."""
    with open_document(data, filename="doc.pdf") as doc:
        return [PageText.from_row(page.model_dump(mode="json")) for page in iter_pages(doc)]


def stream_pages(data: bytes) -> Iterator[PageText]:
    with open_document(data, filename="doc.pdf") as doc:
        for page in iter_pages(doc):
            yield PageText.from_row(page.model_dump(mode="json"))


def written_parts(
    data: bytes, plan: SplitPlan, directory: Path, stem: str = "packet"
) -> list[dict[str, object]]:
    """Write every part, reopen each PDF while it exists and report what it holds."""
    found: list[dict[str, object]] = []
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        for part in iter_parts(doc, plan, stem=stem, directory=directory):
            with pymupdf.open(part.path) as reopened:
                found.append(
                    {
                        "filename": part.filename,
                        "pages": reopened.page_count,
                        "reported_pages": part.pages,
                        "first_text": reopened[0].get_text().strip().splitlines()[0]
                        if reopened[0].get_text().strip()
                        else "",
                        "first_page": reopened[0].get_text(),
                        "toc": reopened.get_toc(simple=True),
                        "links": [
                            [(link["kind"], link.get("page"), link.get("uri")) for link in page.get_links()]
                            for page in reopened
                        ],
                        "title": reopened.metadata.get("title") if reopened.metadata else None,
                        "size": part.size_bytes,
                        "path": part.path,
                    }
                )
    return found
