"""Write each part of a :class:`SplitPlan` as its own PDF, one part at a time.

``insert_pdf`` copies the part's pages with their annotations and the links that stay inside
the part (MuPDF drops internal links to pages outside the copied range); the outline entries
that point into the part are carried over, renumbered, with their hierarchy kept. Each part is
written to a temporary file, handed to the caller, and deleted before the next one is made, so
memory and disk hold one part at a time whatever the number of parts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docjobs.jobtypes.split.plan import Segment, SplitPlan, part_filename

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf

__all__ = ["WrittenPart", "as_pdf", "iter_parts", "part_outline"]

#: Document information carried from the source to every part (the title becomes the part's name).
_KEPT_METADATA = ("author", "subject", "keywords", "creator", "producer", "creationDate")
OutlineEntry = tuple[int, str, int]


@dataclass(frozen=True)
class WrittenPart:
    """A part written to ``path`` (deleted when the iteration moves on)."""

    number: int
    segment: Segment
    filename: str
    path: Path
    size_bytes: int
    pages: int


def _read_outline(doc: pymupdf.Document) -> list[OutlineEntry]:
    """(level, title, page) of every outline entry. Only pages, not positions on them: the
    full destinations make PyMuPDF resolve every named destination of the document (measured:
    7 s for a 1,200-page manual), for a scroll position inside the page."""
    try:
        toc: list[list[Any]] = doc.get_toc(simple=True)
    except Exception:  # noqa: BLE001 - an outline that cannot be read is no outline
        return []
    return [(int(item[0]), str(item[1]), int(item[2])) for item in toc]


def part_outline(outline: list[OutlineEntry], first: int, last: int) -> list[list[Any]]:
    """The outline entries pointing into pages ``first``..``last``, renumbered from 1.

    Levels are shifted so the shallowest kept entry is level 1, and an entry is never more
    than one level deeper than the one before it (PyMuPDF's ``set_toc`` rule): an entry whose
    parent lies outside the part moves up under the nearest kept ancestor.
    """
    kept = [entry for entry in outline if first <= entry[2] <= last]
    if not kept:
        return []
    base = min(entry[0] for entry in kept)
    toc: list[list[Any]] = []
    previous = 0
    for level, title, page in kept:
        new_level = min(level - base + 1, previous + 1)
        toc.append([new_level, title, page - first + 1])
        previous = new_level
    return toc


def as_pdf(doc: pymupdf.Document) -> pymupdf.Document:
    """``doc`` itself when it is a PDF; otherwise (XPS, EPUB, text...) a PDF conversion of it
    with its outline copied over (``insert_pdf`` needs a PDF source). The caller closes it."""
    import pymupdf

    if doc.is_pdf:
        return doc
    converted = pymupdf.open(stream=doc.convert_to_pdf(), filetype="pdf")
    toc = [entry for entry in _read_outline(doc) if 1 <= entry[2] <= converted.page_count]
    if toc:
        converted.set_toc(part_outline(toc, 1, converted.page_count))
    return converted


def iter_parts(
    doc: pymupdf.Document, plan: SplitPlan, *, stem: str, directory: str | os.PathLike[str]
) -> Iterator[WrittenPart]:
    """Write the plan's parts one at a time into ``directory`` and yield each; a part's file
    is deleted when the caller asks for the next one (or stops iterating). ``doc`` must be a
    PDF (see :func:`as_pdf`)."""
    import pymupdf

    outline = _read_outline(doc)
    for number, segment in enumerate(plan.segments, start=1):
        filename = part_filename(stem, number, segment.name)
        path = Path(directory) / filename
        part = pymupdf.open()
        try:
            part.insert_pdf(
                doc, from_page=segment.first - 1, to_page=segment.last - 1, links=True, annots=True
            )
            toc = part_outline(outline, segment.first, segment.last)
            if toc:
                part.set_toc(toc)
            source_meta = doc.metadata or {}
            metadata = {key: source_meta[key] for key in _KEPT_METADATA if source_meta.get(key)}
            part.set_metadata({**metadata, "title": segment.name})
            part.save(path, garbage=1, deflate=True)
            pages = part.page_count
        finally:
            part.close()
        pymupdf.TOOLS.store_shrink(100)
        try:
            yield WrittenPart(
                number=number,
                segment=segment,
                filename=filename,
                path=path,
                size_bytes=path.stat().st_size,
                pages=pages,
            )
        finally:
            path.unlink(missing_ok=True)
