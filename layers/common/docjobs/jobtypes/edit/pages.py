"""Page operations, ``append_document`` and ``stamp``."""

from __future__ import annotations

from typing import Any

import pymupdf

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.edit.options import (
    DeletePagesOp,
    ReorderPagesOp,
    RotatePagesOp,
    StampOp,
    color_rgb,
    operation_path,
    selection,
)

_STAMP_FONT = "helv"
_MARGIN = 36.0


def selected_pages(doc: pymupdf.Document, pages: str | None, index: int) -> list[int]:
    chosen = selection(pages)
    if chosen is None:
        return list(range(doc.page_count))
    return chosen.resolve(doc.page_count, path=operation_path(index, "pages"))


def delete_pages(doc: pymupdf.Document, op: DeletePagesOp, index: int, uids: list[int]) -> dict[str, Any]:
    doomed = selected_pages(doc, op.pages, index)
    if len(doomed) == doc.page_count:
        raise InputValidationError(
            f"{operation_path(index, 'pages')}: deleting pages {op.pages} would leave no pages "
            f"(the document has {doc.page_count} at this point)"
        )
    outline_before = doc.get_toc(simple=True)
    doc.delete_pages(doomed)
    _prune_outline(doc, outline_before)
    gone = set(doomed)
    uids[:] = [uid for i, uid in enumerate(uids) if i not in gone]
    return {
        "op": "delete_pages",
        "applied": True,
        "pages": [p + 1 for p in doomed],
        "page_count": doc.page_count,
    }


def _prune_outline(doc: pymupdf.Document, before: list[list[Any]]) -> None:
    """Drop bookmarks that led to deleted pages (MuPDF keeps them pointing nowhere); their
    children move up a level so the outline stays well-formed."""
    after = doc.get_toc(simple=True)
    if len(after) != len(before):
        return
    kept: list[list[Any]] = []
    for (_, _, old_page), (level, title, page) in zip(before, after, strict=True):
        if old_page > 0 and page < 1:
            continue
        kept.append([min(level, kept[-1][0] + 1 if kept else 1), title, page])
    if len(kept) != len(after):
        doc.set_toc(kept)


def rotate_pages(
    doc: pymupdf.Document, op: RotatePagesOp, index: int, uids: list[int], rotations: dict[int, int]
) -> dict[str, Any]:
    chosen = selected_pages(doc, op.pages, index)
    for page_no in chosen:
        page = doc[page_no]
        page.set_rotation((page.rotation + op.degrees) % 360)
        rotations[uids[page_no]] = page.rotation
    return {"op": "rotate_pages", "applied": True, "pages": [p + 1 for p in chosen], "degrees": op.degrees}


def reorder_pages(doc: pymupdf.Document, op: ReorderPagesOp, index: int, uids: list[int]) -> dict[str, Any]:
    if len(op.order) != doc.page_count:
        raise InputValidationError(
            f"{operation_path(index, 'order')}: names {len(op.order)} pages but the document has "
            f"{doc.page_count} at this point of the operations; give a permutation of 1..{doc.page_count}"
        )
    doc.select([p - 1 for p in op.order])
    uids[:] = [uids[p - 1] for p in op.order]
    return {"op": "reorder_pages", "applied": True, "order": op.order}


def append_pdf(doc: pymupdf.Document, other: pymupdf.Document, document_id: str) -> dict[str, Any]:
    """Append ``other``'s pages; both outlines are kept (the appended one shifted past the
    existing pages), so bookmarks still lead to the right pages."""
    offset = doc.page_count
    toc = doc.get_toc(simple=True)
    appended_toc = [
        [level, title, page + offset if page > 0 else page]
        for level, title, page in other.get_toc(simple=True)
    ]
    doc.insert_pdf(other, links=True, annots=True, widgets=True)
    if appended_toc:
        if toc and appended_toc[0][0] != 1:
            appended_toc[0][0] = 1  # an outline must start at level 1
        doc.set_toc(toc + appended_toc)
    return {
        "op": "append_document",
        "applied": True,
        "document_id": document_id,
        "pages_added": other.page_count,
    }


def stamp(doc: pymupdf.Document, op: StampOp, index: int) -> dict[str, Any]:
    """A text watermark: upright on the page as displayed (whatever its /Rotate), centred
    horizontally at the top, centre or bottom, turned ``rotate`` degrees counter-clockwise
    about its own centre, with ``opacity`` for fill and stroke."""
    chosen = selected_pages(doc, op.pages, index)
    color = color_rgb(op.color)
    smallest = op.font_size
    for page_no in chosen:
        page = doc[page_no]
        visible = page.rect
        size = op.font_size
        width = pymupdf.get_text_length(op.text, fontname=_STAMP_FONT, fontsize=size)
        room = visible.width - 2 * _MARGIN
        if width > room > 0:  # shrink to fit the page width rather than run off the page
            size = size * room / width
            width = room
        smallest = min(smallest, size)
        cx = visible.width / 2
        if op.position == "top":
            cy = _MARGIN + size / 2
        elif op.position == "bottom":
            cy = visible.height - _MARGIN - size / 2
        else:
            cy = visible.height / 2
        origin = pymupdf.Point(cx - width / 2, cy + size * 0.35) * page.derotation_matrix
        pivot = pymupdf.Point(cx, cy) * page.derotation_matrix
        page.insert_text(
            origin,
            op.text,
            fontsize=size,
            fontname=_STAMP_FONT,
            color=color,
            fill_opacity=op.opacity,
            stroke_opacity=op.opacity,
            rotate=page.rotation,
            morph=(pivot, pymupdf.Matrix(op.rotate)),
            overlay=True,
        )
    report: dict[str, Any] = {"op": "stamp", "applied": True, "pages": [p + 1 for p in chosen]}
    if smallest < op.font_size:
        report["warnings"] = [f"the text was shrunk to {smallest:.1f} pt to fit the page width"]
    return report
