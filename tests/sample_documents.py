"""Generators of test documents, built with PyMuPDF at test time (no binary fixtures).

Every function returns the document's bytes. The documents are deterministic: the same
call returns the same text, layout and metadata (PDF ids/dates aside).
"""

from __future__ import annotations

import io
import zipfile

import pymupdf

TITLE = "Quarterly Operations Report"
AUTHOR = "Docjobs Test Suite"
IMAGE_WORD = "INVOICE 12345"

BODY_SIZE = 10.0
H1_SIZE = 20.0
H2_SIZE = 15.0

# The table on page 2 of multi_page_pdf(): header row first.
TABLE_ROWS: list[list[str]] = [
    ["Region", "Revenue", "Growth"],
    ["North", "1200", "4%"],
    ["South", "950", "7%"],
    ["West", "1810", "12%"],
]

_PARAGRAPH = (
    "This paragraph describes the operations of page {page}. Revenue grew steadily over the "
    "quarter while costs stayed flat. The team shipped {n} improvements to the pipeline."
)


def _heading(page: pymupdf.Page, y: float, text: str, size: float) -> float:
    page.insert_text((72, y), text, fontsize=size, fontname="hebo")
    return y + size * 1.8


def _paragraph(page: pymupdf.Page, y: float, text: str, width: float = 450) -> float:
    rect = pymupdf.Rect(72, y, 72 + width, y + 200)
    spare = page.insert_textbox(rect, text, fontsize=BODY_SIZE, fontname="helv")
    used = 200 - spare
    return y + used + BODY_SIZE * 1.5


def _draw_table(page: pymupdf.Page, top: float, rows: list[list[str]]) -> float:
    col_w, row_h, left = 120.0, 20.0, 72.0
    ncols = len(rows[0])
    bottom = top + row_h * len(rows)
    right = left + col_w * ncols
    shape = page.new_shape()
    for r in range(len(rows) + 1):
        y = top + r * row_h
        shape.draw_line((left, y), (right, y))
    for c in range(ncols + 1):
        x = left + c * col_w
        shape.draw_line((x, top), (x, bottom))
    shape.finish(color=(0, 0, 0), width=0.8)
    shape.commit()
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            page.insert_text(
                (left + c * col_w + 4, top + r * row_h + 14), cell, fontsize=BODY_SIZE, fontname="helv"
            )
    return bottom + 20


def multi_page_pdf(pages: int = 3, *, with_toc: bool = False) -> bytes:
    """A text PDF: page headings (H1 20pt, H2 15pt), 10pt body paragraphs, metadata.

    Page 1 starts with the document title as an H1; every page has an H2 "Section {n}"
    followed by paragraphs and an H2 "Details {n}" with more body text. Page 2 also has a
    ruled table (TABLE_ROWS) between two paragraphs. With ``with_toc`` the outline lists the
    title (level 1) and each "Section {n}" (level 2).
    """
    doc = pymupdf.open()
    toc: list[list[object]] = []
    for n in range(1, pages + 1):
        page = doc.new_page()
        y = 72.0
        if n == 1:
            y = _heading(page, y, TITLE, H1_SIZE)
            toc.append([1, TITLE, 1])
        y = _heading(page, y, f"Section {n}", H2_SIZE)
        toc.append([2, f"Section {n}", n])
        y = _paragraph(page, y, _PARAGRAPH.format(page=n, n=n * 3))
        if n == 2:
            y = _draw_table(page, y, TABLE_ROWS)
            y = _paragraph(page, y, "The table above lists revenue by region after the review.")
        y = _heading(page, y, f"Details {n}", H2_SIZE)
        y = _paragraph(page, y, f"Closing remarks for page {n}: nothing unusual happened here.")
    doc.set_metadata({"title": TITLE, "author": AUTHOR})
    if with_toc:
        doc.set_toc(toc)
    data: bytes = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return data


def two_column_pdf() -> bytes:
    """One page: a line, two columns (the right one starts higher), then a full-width footer.

    Reading order: the top line, LEFTCOL, LEFTEND, RIGHTCOL, FOOTER.
    """
    doc = pymupdf.open()
    page = doc.new_page()
    filler = " It goes on for a while so that the column wraps over several lines of text."
    page.insert_text((72, 50), "Two column layout", fontsize=BODY_SIZE, fontname="helv")
    left = "LEFTCOL first column text that talks about apples and pears in some detail." + filler
    left_end = "LEFTEND closing words of the first column."
    right = "RIGHTCOL second column text that talks about boats and trains in some detail." + filler
    page.insert_textbox(pymupdf.Rect(72, 72, 290, 160), left, fontsize=BODY_SIZE, fontname="helv")
    page.insert_textbox(pymupdf.Rect(72, 170, 290, 300), left_end, fontsize=BODY_SIZE, fontname="helv")
    page.insert_textbox(pymupdf.Rect(310, 60, 530, 300), right, fontsize=BODY_SIZE, fontname="helv")
    page.insert_text((72, 340), "FOOTER spanning the whole width of the page below both columns of text")
    data: bytes = doc.tobytes()
    doc.close()
    return data


def _text_image_png(text: str) -> bytes:
    """Render ``text`` large and black on white into a PNG (via a throw-away PDF page)."""
    scratch = pymupdf.open()
    page = scratch.new_page(width=400, height=80)
    page.insert_text((12, 52), text, fontsize=32, fontname="helv")
    pix = page.get_pixmap(dpi=200, alpha=False)
    png: bytes = pix.tobytes("png")
    scratch.close()
    return png


def image_png(text: str = IMAGE_WORD) -> bytes:
    """A PNG image file of rendered text (an input that must be converted to PDF and OCRed)."""
    return _text_image_png(text)


def _add_image_page(doc: pymupdf.Document, text: str) -> None:
    page = doc.new_page()
    page.insert_image(pymupdf.Rect(72, 72, 472, 152), stream=_text_image_png(text))


def image_only_pdf(text: str = IMAGE_WORD) -> bytes:
    """One page whose only content is an image of rendered ``text`` (no text layer)."""
    doc = pymupdf.open()
    _add_image_page(doc, text)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def mixed_pdf() -> bytes:
    """Three pages: text, image-only (IMAGE_WORD), text."""
    doc = pymupdf.open()
    for n in (1, 2, 3):
        if n == 2:
            _add_image_page(doc, IMAGE_WORD)
            continue
        page = doc.new_page()
        y = _heading(page, 72, f"Part {n}", H2_SIZE)
        _paragraph(page, y, _PARAGRAPH.format(page=n, n=n))
    data: bytes = doc.tobytes()
    doc.close()
    return data


def encrypted_pdf(password: str = "secret") -> bytes:
    """A text PDF that needs a user password to open."""
    doc = pymupdf.open("pdf", multi_page_pdf(1))
    data: bytes = doc.tobytes(
        encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=password, owner_pw=password + "-owner"
    )
    doc.close()
    return data


def owner_password_pdf() -> bytes:
    """A text PDF with only an owner password (permissions): it opens without asking for one."""
    doc = pymupdf.open("pdf", multi_page_pdf(2))
    data: bytes = doc.tobytes(
        encryption=pymupdf.PDF_ENCRYPT_AES_256,
        owner_pw="owner-secret",
        user_pw="",
        permissions=pymupdf.PDF_PERM_ACCESSIBILITY,
    )
    doc.close()
    return data


def damaged_pdf() -> bytes:
    """A text PDF whose cross-reference table and trailer are cut off: MuPDF repairs it."""
    data = multi_page_pdf(3)
    return data[: data.rindex(b"xref")]


def one_pixel_png() -> bytes:
    """A 1x1 white PNG: an image with nothing to read."""
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 1, 1), False)
    pix.set_pixel(0, 0, (255, 255, 255))
    png: bytes = pix.tobytes("png")
    return png


def truncated_pdf() -> bytes:
    """The first few hundred bytes of a PDF: the header is there, the pages are gone."""
    return multi_page_pdf(2)[:300]


def empty_file() -> bytes:
    return b""


def plain_text() -> bytes:
    """Plain text bytes (e.g. uploaded as ``notes.pdf``)."""
    return b"Meeting notes\n\nThis is just plain text, not a PDF at all.\n" * 5


def not_a_document() -> bytes:
    """A zip archive holding a text file: neither PDF nor EPUB/XPS/CBZ."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello from inside a zip")
    return buffer.getvalue()


def large_pdf(pages: int) -> bytes:
    """A ``pages``-page text PDF generated quickly: one template page copied with insert_pdf.

    Each copy gets a distinct page marker ("Page {n} marker") so the text varies per page.
    """
    template = pymupdf.open()
    page = template.new_page()
    y = _heading(page, 72, "Chapter heading", H1_SIZE)
    for i in range(6):
        y = _paragraph(page, y, _PARAGRAPH.format(page="X", n=i) * 2)
    doc = pymupdf.open()
    batch = pymupdf.open()
    for _ in range(min(pages, 50)):
        batch.insert_pdf(template)
    remaining = pages
    while remaining > 0:
        take = min(remaining, batch.page_count)
        doc.insert_pdf(batch, from_page=0, to_page=take - 1)
        remaining -= take
    for n in range(pages):
        doc[n].insert_text((72, 60), f"Page {n + 1} marker", fontsize=BODY_SIZE, fontname="helv")
    data: bytes = doc.tobytes(garbage=1)
    for d in (template, batch, doc):
        d.close()
    return data
