"""Lay HTML out onto PDF pages with PyMuPDF's ``Story`` (MuPDF's HTML/CSS layout; no browser).

Supported: headings, paragraphs, lists, tables (borders, padding, column alignment), inline
styles and ``<style>`` sheets, ``page-break-before: always``, and images given as ``data:`` URIs
or as ``document:<document_id>`` references that the caller supplies as bytes. Nothing is read
from the filesystem or the network: the Story gets an in-memory archive that holds only the
supplied images (an ``<img src="/etc/...">`` or ``http://`` source finds nothing and is drawn
as a missing image).

Runs inside the render child process (see :mod:`docjobs.jobtypes.generate.rendering`), so its
time and memory count against the render limits.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from docjobs.core.errors import DocjobsError, InputValidationError

__all__ = ["DEFAULT_CSS", "PAGE_SIZES", "LaidOutPdf", "html_to_pdf", "image_references", "with_default_style"]

#: Page sizes by option value, in PDF points (1/72 inch).
PAGE_SIZES: dict[str, tuple[float, float]] = {"A4": (595.0, 842.0), "letter": (612.0, 792.0)}
_MM = 72.0 / 25.4
#: Pages in a row with nothing on them while the story still has content: a block that can
#: never fit a page (a table row or image taller than the page), which MuPDF would place forever.
_STUCK_BLANK_PAGES = 5
#: A page whose placed content reaches more than this fraction of its rectangle's height below
#: it lost content (see _page_areas); its rectangle is shortened by _SHRINK_STEP points at a
#: time, up to _MAX_SHRINK.
_LOST_CONTENT_OVERFLOW = 0.5
_SHRINK_STEP = 2.0
_MAX_SHRINK = 36.0

#: The house style, placed before the template's own ``<style>`` so that the template wins.
DEFAULT_CSS = """
body { font-family: sans-serif; font-size: 10.5pt; line-height: 1.35; color: #1a1a1a; }
h1 { font-size: 20pt; margin: 0 0 8pt 0; }
h2 { font-size: 15pt; margin: 14pt 0 6pt 0; }
h3 { font-size: 12.5pt; margin: 12pt 0 4pt 0; }
h4, h5, h6 { font-size: 11pt; margin: 10pt 0 4pt 0; }
p { margin: 0 0 6pt 0; }
table { width: 100%; margin: 6pt 0 10pt 0;
  border-top: 0.5pt solid #9a9a9a; border-left: 0.5pt solid #9a9a9a; }
th, td { border-right: 0.5pt solid #9a9a9a; border-bottom: 0.5pt solid #9a9a9a; padding: 3pt 5pt;
  vertical-align: top; text-align: left; }
th { background-color: #ececec; font-weight: bold; }
pre { font-family: monospace; font-size: 9pt; background-color: #f4f4f4; padding: 6pt; }
code { font-family: monospace; font-size: 9.5pt; }
blockquote { margin: 6pt 0 6pt 12pt; padding-left: 8pt; border-left: 2pt solid #c8c8c8; color: #444; }
hr { border: 0; border-top: 0.5pt solid #9a9a9a; }
"""

#: Applied over every template's own styles (MuPDF gives user CSS precedence). MuPDF 1.26's Story
#: loses table rows at page breaks when rows are spaced apart (``border-spacing`` > 0, or the
#: collapsing-border model): a page's worth of rows is laid out below the page and drawn nowhere
#: (about half of long tables, in tests/unit/jobtypes/test_generate_pdf_layout.py's documents).
#: With separate borders and no spacing it does not happen; the house style draws single lines
#: with right/bottom cell borders instead.
FORCED_CSS = "table { border-collapse: separate !important; border-spacing: 0 !important; }"

_IMG_DOCUMENT_SRC = re.compile(
    r"""(<img\b[^>]*?\bsrc\s*=\s*["']?)document:([A-Za-z0-9][A-Za-z0-9_-]{0,127})""", re.I
)


def image_references(html: str) -> list[str]:
    """The document ids of ``<img src="document:ID">`` in ``html``, in order, without repeats."""
    return list(dict.fromkeys(match.group(2) for match in _IMG_DOCUMENT_SRC.finditer(html)))


@dataclass(frozen=True)
class LaidOutPdf:
    content: bytes
    pages: int


def with_default_style(html: str) -> str:
    """``html`` with the house style sheet in front (the template's own styles come later and win)."""
    return f"<style>{DEFAULT_CSS}</style>\n{html}"


def html_to_pdf(
    html: str,
    *,
    page_size: str,
    margin_mm: float,
    images: Mapping[str, bytes],
    title: str | None,
    max_pages: int,
) -> LaidOutPdf:
    """Lay ``html`` out on pages of ``page_size`` with ``margin_mm`` margins.

    ``images`` maps document ids to image bytes for ``<img src="document:ID">``; a reference to
    an id that is not in the map is a VALIDATION_ERROR naming it.
    """
    import pymupdf

    archive = pymupdf.Archive()
    names: dict[str, str] = {}
    for document_id, image in images.items():
        _check_image(pymupdf, document_id, image)
        names[document_id] = f"images/{document_id}"
        archive.add(image, names[document_id])

    def to_archive_name(match: re.Match[str]) -> str:
        document_id = match.group(2)
        if document_id not in names:
            raise InputValidationError(
                f"the output refers to image document:{document_id}, which was not supplied",
                details={"document_id": document_id},
            )
        return f"{match.group(1)}{names[document_id]}"

    html = _IMG_DOCUMENT_SRC.sub(to_archive_name, html)
    width, height = PAGE_SIZES[page_size]
    mediabox = pymupdf.Rect(0, 0, width, height)
    margin = margin_mm * _MM
    where = pymupdf.Rect(margin, margin, width - margin, height - margin)

    story = pymupdf.Story(with_default_style(html), user_css=FORCED_CSS, archive=archive)
    pdf, more, runaway = _write(pymupdf, story, mediabox, lambda page: where, max_pages)
    if runaway:
        areas, _ = _page_areas(pymupdf, story, where, max_pages)
        story.reset()
        pdf, more, _ = _write(
            pymupdf, story, mediabox, lambda page: areas[page] if page < len(areas) else where, max_pages
        )
    if more:
        _raise_too_many_pages(pymupdf, pdf, max_pages)

    document = pymupdf.open("pdf", pdf)
    try:
        document.set_metadata({"title": title or "", "creator": "docjobs generate", "producer": "PyMuPDF"})
        document.subset_fonts()
        content: bytes = document.tobytes(garbage=3, deflate=True)
        return LaidOutPdf(content=content, pages=document.page_count)
    finally:
        document.close()


def _write(
    pymupdf: Any, story: Any, mediabox: Any, area_for: Callable[[int], Any], max_pages: int
) -> tuple[bytes, bool, bool]:
    """Place and draw pages until the story ends or ``max_pages``: (PDF, content left, ran away)."""
    buffer = io.BytesIO()
    writer = pymupdf.DocumentWriter(buffer)
    more, page, runaway = 1, 0, False
    while more and page < max_pages:
        area = area_for(page)
        device = writer.begin_page(mediabox)
        more, filled = story.place(area)
        story.draw(device)
        writer.end_page()
        runaway = runaway or filled[3] - area.y1 > area.height * _LOST_CONTENT_OVERFLOW
        page += 1
    writer.close()
    return buffer.getvalue(), bool(more), runaway


def _page_areas(pymupdf: Any, story: Any, where: Any, max_pages: int) -> tuple[list[Any], bool]:
    """The rectangle to place on each page, and whether content remains after ``max_pages``.

    Used only when the first pass ran away (see _write). A safety net under FORCED_CSS, which
    recovers most runaways but not all: when MuPDF 1.26's Story runs away at a table that crosses a
    page, ``place`` reports a filled area about a whole page taller than the rectangle, and the
    rows in it are drawn on no page. (A split table also reports a small overflow, its bottom
    border and margin, which loses nothing.) Such a page is placed again with its rectangle a
    little shorter, from a reset story so that every page before it lays out exactly as
    before, until it no longer runs away.
    """
    shrink: dict[int, float] = {}
    while True:
        story.reset()
        areas: list[Any] = []
        more = 1
        while more and len(areas) < max_pages:
            page = len(areas)
            area = pymupdf.Rect(where.x0, where.y0, where.x1, where.y1 - shrink.get(page, 0.0))
            more, filled = story.place(area)
            if filled[3] - area.y1 > area.height * _LOST_CONTENT_OVERFLOW:
                if shrink.get(page, 0.0) >= _MAX_SHRINK:
                    raise DocjobsError(f"PDF layout could not fit page {page + 1} without losing content")
                shrink[page] = shrink.get(page, 0.0) + _SHRINK_STEP
                break
            story.draw(None)  # a null device: the story moves on past what was placed
            areas.append(area)
        else:
            return areas, bool(more)


def _check_image(pymupdf: object, document_id: str, content: bytes) -> None:
    try:
        pymupdf.Pixmap(content)  # type: ignore[attr-defined]
    except Exception as exc:
        raise InputValidationError(
            f"document {document_id} is used as an image but is not an image MuPDF can read",
            details={"document_id": document_id},
        ) from exc


def _raise_too_many_pages(pymupdf: object, pdf: bytes, max_pages: int) -> None:
    document = pymupdf.open("pdf", pdf)  # type: ignore[attr-defined]
    try:
        blank_from = document.page_count
        while blank_from > 0:
            page = document[blank_from - 1]
            if page.get_text().strip() or page.get_images() or page.get_drawings():
                break
            blank_from -= 1
    finally:
        document.close()
    if max_pages - blank_from >= _STUCK_BLANK_PAGES:
        raise InputValidationError(
            "part of the document can never fit on a page (a table row, cell or image taller than"
            f" the page's printable area): nothing could be placed after page {blank_from}",
            details={"limit": "page_fit", "page": blank_from},
        )
    raise InputValidationError(
        f"the document would have more than {max_pages:,} pages",
        details={"limit": "pages", "pages": max_pages},
    )
