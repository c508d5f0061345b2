"""Write each part of a :class:`SplitPlan` as its own PDF, one part at a time.

``insert_pdf`` copies the part's pages with their annotations; links are copied here, read from
the link annotations' PDF objects: web links, links to other files, and links to pages inside
the part (renumbered, named destinations resolved); links to pages outside the part are dropped.
(PyMuPDF's own link copying lists a page's annotations once per link, 7 s for one index page of
752 links, and drops named destinations.) The outline entries that point into the part are
carried over, renumbered, with their hierarchy kept. Each part is written to a temporary file,
handed to the caller, and deleted before the next one is made, so memory and disk hold one part
at a time whatever the number of parts.
"""

from __future__ import annotations

import os
import re
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


_XREF = re.compile(r"(\d+)\s+\d+\s+R")
_NUMBER = re.compile(r"-?\d*\.?\d+")


def _annotation_xrefs(doc: pymupdf.Document, page_xref: int) -> list[int]:
    kind, value = doc.xref_get_key(page_xref, "Annots")
    if kind == "xref":  # the array is an object of its own
        value = doc.xref_object(int(value.split()[0]), compressed=True)
    elif kind != "array":
        return []
    return [int(x) for x in _XREF.findall(value)]


def _numbers(value: str) -> list[float]:
    return [float(n) for n in _NUMBER.findall(value)]


def _destination(
    doc: pymupdf.Document, kind: str, value: str, page_numbers: dict[int, int]
) -> tuple[int, tuple[float, float] | None] | None:
    """(0-based page, point in page space or None) of a GoTo destination: a name, a string or
    an explicit ``[page /XYZ left top zoom]`` array."""
    if kind in ("string", "name"):
        name = value.lstrip("/")
        try:
            page, x, y = doc.resolve_link(f"#nameddest={name}")
        except Exception:  # noqa: BLE001 - a destination that does not resolve goes nowhere
            return None
        return (int(page), (float(x), float(y))) if page is not None and page >= 0 else None
    if kind == "array":
        match = _XREF.search(value)
        if match is None or int(match.group(1)) not in page_numbers:
            return None
        page = page_numbers[int(match.group(1))]
        rest = value[match.end() :]
        coordinates = _numbers(rest) if "/XYZ" in rest else []
        if len(coordinates) >= 2:
            height = doc.load_page(page).mediabox.height
            return page, (coordinates[0], height - coordinates[1])
        return page, None
    return None


def _file_link(doc: pymupdf.Document, xref: int, action: str) -> dict[str, Any] | None:
    """A link to another file (``GoToR``: a page or a named place in it; ``Launch``)."""
    import pymupdf

    kind, name = doc.xref_get_key(xref, "A/F")
    if kind == "dict":
        kind, name = doc.xref_get_key(xref, "A/F/F")
    if kind != "string" or not name:
        return None
    if action == "/Launch":
        return {"kind": pymupdf.LINK_LAUNCH, "file": name}
    kind, value = doc.xref_get_key(xref, "A/D")
    if kind == "array":
        numbers = _numbers(value.split("/", 1)[0])
        return {"kind": pymupdf.LINK_GOTOR, "file": name, "page": int(numbers[0]) if numbers else 0}
    if kind in ("string", "name"):
        return {"kind": pymupdf.LINK_GOTOR, "file": name, "page": -1, "to": value.lstrip("/")}
    return {"kind": pymupdf.LINK_GOTOR, "file": name, "page": 0}


def copy_links(
    source: pymupdf.Document, part: pymupdf.Document, first: int, last: int, page_numbers: dict[int, int]
) -> int:
    """Copy the link annotations of source pages ``first``..``last`` (1-based) onto the part's
    pages: web links, links to other files, and links to pages inside the part (named
    destinations resolved). Returns how many were copied.
    ``page_numbers`` maps each source page's xref to its 0-based number."""
    import pymupdf

    copied = 0
    for offset, number in enumerate(range(first - 1, last)):
        annotations = _annotation_xrefs(source, source.page_xref(number))
        if not annotations:
            continue
        matrix = source.load_page(number).transformation_matrix
        target_page = part.load_page(offset)
        for xref in annotations:
            if source.xref_get_key(xref, "Subtype")[1] != "/Link":
                continue
            box = _numbers(source.xref_get_key(xref, "Rect")[1])
            if len(box) != 4:
                continue
            area = pymupdf.Rect(box) * matrix
            area.normalize()
            link: dict[str, Any] | None = None
            action = source.xref_get_key(xref, "A/S")[1]
            if action == "/URI":
                link = {"kind": pymupdf.LINK_URI, "uri": source.xref_get_key(xref, "A/URI")[1]}
            elif action in ("/GoToR", "/Launch"):
                link = _file_link(source, xref, action)
            else:
                kind, value = source.xref_get_key(xref, "A/D") if action == "/GoTo" else ("null", "")
                if kind == "null":
                    kind, value = source.xref_get_key(xref, "Dest")
                target = _destination(source, kind, value, page_numbers)
                if target is not None and first - 1 <= target[0] <= last - 1:
                    link = {"kind": pymupdf.LINK_GOTO, "page": target[0] - (first - 1)}
                    if target[1] is not None:
                        link["to"] = pymupdf.Point(*target[1])
            if link is None:
                continue
            link["from"] = area
            target_page.insert_link(link)
            copied += 1
    return copied


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
    page_numbers = {doc.page_xref(index): index for index in range(doc.page_count)}
    for number, segment in enumerate(plan.segments, start=1):
        filename = part_filename(stem, number, segment.name)
        path = Path(directory) / filename
        part = pymupdf.open()
        try:
            part.insert_pdf(
                doc, from_page=segment.first - 1, to_page=segment.last - 1, links=False, annots=True
            )
            copy_links(doc, part, segment.first, segment.last, page_numbers)
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
