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


def large_pdf(pages: int, *, ruled: bool = False) -> bytes:
    """A ``pages``-page text PDF generated quickly: template pages copied with insert_pdf.

    Each copy gets a distinct page marker ("Page {n} marker") so the text varies per page.
    With ``ruled`` every page also has vector drawings as real documents do: a rule under the
    heading and a framed note box, and every other page a ruled table (TABLE_ROWS).
    """
    templates = pymupdf.open()
    for variant in range(2 if ruled else 1):
        page = templates.new_page()
        y = _heading(page, 72, "Chapter heading", H1_SIZE)
        if ruled:
            page.draw_line((72, y - 20), (522, y - 20), width=0.5)
        for i in range(6 if not ruled else 4):
            y = _paragraph(page, y, _PARAGRAPH.format(page="X", n=i) * 2)
        if ruled:
            page.draw_rect(pymupdf.Rect(72, y, 522, y + 40), color=(0, 0, 0), fill=(0.9, 0.9, 0.9))
            page.insert_text((80, y + 24), "Note: a framed remark.", fontsize=BODY_SIZE, fontname="helv")
            y += 60
            if variant == 1:
                _draw_table(page, y, TABLE_ROWS)
    doc = pymupdf.open()
    batch = pymupdf.open()
    for n in range(min(pages, 50)):
        batch.insert_pdf(templates, from_page=n % templates.page_count, to_page=n % templates.page_count)
    remaining = pages
    while remaining > 0:
        take = min(remaining, batch.page_count)
        doc.insert_pdf(batch, from_page=0, to_page=take - 1)
        remaining -= take
    for n in range(pages):
        doc[n].insert_text((72, 60), f"Page {n + 1} marker", fontsize=BODY_SIZE, fontname="helv")
    data: bytes = doc.tobytes(garbage=1)
    for d in (templates, batch, doc):
        d.close()
    return data


def _grid(page: pymupdf.Page, left: float, top: float, widths: list[float], rows: list[list[str]]) -> float:
    """A ruled grid (every row and column line) with ``rows`` written in its cells."""
    row_h = 18.0
    xs = [left]
    for w in widths:
        xs.append(xs[-1] + w)
    bottom = top + row_h * len(rows)
    for r in range(len(rows) + 1):
        page.draw_line((xs[0], top + r * row_h), (xs[-1], top + r * row_h), width=0.6)
    for x in xs:
        page.draw_line((x, top), (x, bottom), width=0.6)
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            page.insert_text((xs[c] + 3, top + r * row_h + 13), cell, fontsize=BODY_SIZE, fontname="helv")
    return bottom


def table_set_pdf() -> bytes:
    """Pages that do and do not hold tables, for comparing table detection with the full finder.

    1. a ruled 4 x 3 table (TABLE_ROWS) and a framed note box (drawings, no table);
    2. a table of shaded row bands and column rules, plus a horizontal-rules-only table;
    3. an unruled table (text aligned in columns, no drawings) and a code block on a shaded box;
    4-5. a ruled table continued over two pages (header repeated), 20 + 12 rows;
    6. a ruled table whose first column line runs through the "I" of "Input size".
    """
    doc = pymupdf.open()
    # 1
    page = doc.new_page()
    y = _heading(page, 72, "Ruled table", H2_SIZE)
    y = _draw_table(page, y, TABLE_ROWS)
    page.draw_rect(pymupdf.Rect(72, y, 522, y + 50), color=(0, 0, 0), width=0.8)
    page.insert_text((80, y + 28), "Note: a framed remark, not a table.", fontsize=BODY_SIZE)
    # 2
    page = doc.new_page()
    y = _heading(page, 72, "Banded table", H2_SIZE)
    for r, row in enumerate([["Name", "Size", "Owner"], ["alpha", "10", "ops"], ["beta", "20", "dev"]]):
        band = pymupdf.Rect(72, y + r * 18, 432, y + (r + 1) * 18)
        page.draw_rect(band, color=None, fill=(0.85, 0.85, 0.85) if r % 2 == 0 else (0.95, 0.95, 0.95))
        for c, cell in enumerate(row):
            page.insert_text((76 + c * 120, y + r * 18 + 13), cell, fontsize=BODY_SIZE)
    for x in (192, 312):
        page.draw_line((x, y), (x, y + 54), width=0.6)
    y += 90
    for r, row in enumerate([["Key", "Value"], ["mode", "fast"], ["level", "3"]]):
        for c, cell in enumerate(row):
            page.insert_text((76 + c * 150, y + r * 18 + 13), cell, fontsize=BODY_SIZE)
    for line_y in (y, y + 18, y + 54):
        page.draw_line((72, line_y), (372, line_y), width=0.6)
    # 3
    page = doc.new_page()
    y = _heading(page, 72, "Unruled table", H2_SIZE)
    options = [["Option", "Default", "Meaning"], ["-v", "off", "verbose"], ["-q", "on", "quiet"]]
    for r, row in enumerate(options):
        for c, cell in enumerate(row):
            page.insert_text((72 + c * 130, y + r * 16), cell, fontsize=BODY_SIZE)
    y += 80
    page.draw_rect(pymupdf.Rect(72, y, 522, y + 60), color=None, fill=(0.92, 0.92, 0.92))
    for i, line in enumerate(["# configure the build", "make all", "make install"]):
        page.insert_text((80, y + 16 + i * 14), line, fontsize=9, fontname="cour")
    # 4-5
    header = ["Item", "Quantity", "Price"]
    body = [[f"item-{n}", str(n * 3), f"{n * 1.5:.2f}"] for n in range(1, 33)]
    for part in (body[:20], body[20:]):
        page = doc.new_page()
        y = _heading(page, 72, "Long table", H2_SIZE)
        _grid(page, 72, y, [150, 100, 100], [header, *part])
    # 6
    page = doc.new_page()
    y = _heading(page, 72, "Tight table", H2_SIZE)
    rows = [["Input size", "64", "256"], ["Sarwate", "6.61", "6.62"]]
    page.insert_text((70, y + 13), "Input size", fontsize=BODY_SIZE)
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if r or c:
                page.insert_text((143 + (c - 1) * 60, y + r * 18 + 13), cell, fontsize=BODY_SIZE)
    for r in range(3):
        page.draw_line((72, y + r * 18), (260, y + r * 18), width=0.6)
    for x in (72, 140, 200, 260):
        page.draw_line((x, y), (x, y + 36), width=0.6)
    data: bytes = doc.tobytes()
    doc.close()
    return data


MANUAL_TITLE = "Docjobs Manual"


def manual_pdf() -> bytes:
    """A small manual as real ones are: a contents page, running headers and footers, code.

    Page 1: "Contents" with dot-leader entries. Pages 2-7: the running header MANUAL_TITLE at
    the top and the page number at the bottom; an H1 per chapter on pages 2, 4 and 6, H2
    sections; page 3 has a code listing whose first line is "# This file was automatically
    generated" and a sentence with *stars*, a [link] and a | pipe; page 4 has two sibling H2
    sections back to back with no text between ("Empty section", "Next section"). The outline
    lists every heading.
    """
    doc = pymupdf.open()
    toc: list[list[object]] = []
    page = doc.new_page()
    y = _heading(page, 72, "Contents", H1_SIZE)
    entries = [
        ("1 Getting started", 2),
        ("1.1 Installing", 2),
        ("1.2 Configuring", 3),
        ("2 Using", 4),
        ("2.1 Empty section", 4),
        ("2.2 Next section", 4),
        ("3 Reference", 6),
    ]
    for title, number in entries:
        page.insert_text((72, y), f"{title} " + "." * 60, fontsize=BODY_SIZE, fontname="helv")
        page.insert_text((500, y), str(number), fontsize=BODY_SIZE, fontname="helv")
        y += 16
    toc.append([1, "Contents", 1])
    chapters = {2: "1 Getting started", 4: "2 Using", 6: "3 Reference"}
    sections = {2: ["1.1 Installing"], 3: ["1.2 Configuring"], 4: ["2.1 Empty section", "2.2 Next section"]}
    for n in range(2, 8):
        page = doc.new_page()
        page.insert_text((72, 40), MANUAL_TITLE, fontsize=8, fontname="helv")
        page.insert_text((300, 810), str(n), fontsize=8, fontname="helv")
        y = 90.0
        if n in chapters:
            y = _heading(page, y, chapters[n], H1_SIZE)
            toc.append([1, chapters[n], n])
        for i, section in enumerate(sections.get(n, [])):
            y = _heading(page, y, section, H2_SIZE)
            toc.append([2, section, n])
            if n == 4 and i == 0:
                continue  # an empty section: the next heading follows at once
            y = _paragraph(page, y, _PARAGRAPH.format(page=n, n=n))
        if n == 3:
            for line in ["# This file was automatically generated", "make all", "# end"]:
                page.insert_text((80, y), line, fontsize=9, fontname="cour")
                y += 14
            y = _paragraph(page, y + 10, "Use *stars* and a [link] with a | pipe, not markup.")
        y = _paragraph(page, y, _PARAGRAPH.format(page=n, n=n + 1))
    doc.set_toc(toc)
    data: bytes = doc.tobytes()
    doc.close()
    return data
