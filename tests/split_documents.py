"""Generated PDFs with known answers for the ``split`` job type (no binary fixtures).

``packet_pdf()`` is a 7-page mail packet: an invoice (pages 1-2, "Page 1 of 2" footers), a
letter (page 3), a blank separator sheet (page 4) and a contract (pages 5-7). ``outline_pdf()``
is an 8-page book with a 2-level outline and internal links. ``PACKET_CATEGORIES`` are the
categories a client would send for the packet.
"""

from __future__ import annotations

import pymupdf

BODY = 10.0
TITLE = 20.0
SECTION = 14.0

PACKET_CATEGORIES: list[dict[str, object]] = [
    {
        "name": "invoice",
        "description": "A bill from a supplier listing items, prices and the amount due",
        "keywords": ["invoice", "invoice number", "amount due", "bill to", "subtotal"],
    },
    {
        "name": "letter",
        "description": "Correspondence addressed to a person",
        "keywords": ["dear", "sincerely", "yours faithfully", "kind regards"],
    },
    {
        "name": "contract",
        "description": "A legal agreement between parties with terms and signatures",
        "keywords": ["agreement", "parties", "governing law", "termination", "signature"],
    },
]

#: (category, first page, last page) of each document in the packet; page 4 is the separator.
PACKET_DOCUMENTS = [("invoice", 1, 2), ("letter", 3, 3), ("contract", 5, 7)]
PACKET_BLANK_PAGE = 4
#: The first line of text on each packet document's first page.
PACKET_FIRST_TEXT = {"invoice": "INVOICE", "letter": "Northwind Traders", "contract": "SERVICE AGREEMENT"}


def _text(page: pymupdf.Page, y: float, text: str, size: float = BODY, bold: bool = False) -> float:
    page.insert_text((72, y), text, fontsize=size, fontname="hebo" if bold else "helv")
    return y + size * 1.6


def _box(page: pymupdf.Page, y: float, text: str) -> float:
    rect = pymupdf.Rect(72, y, 522, y + 300)
    spare = page.insert_textbox(rect, text, fontsize=BODY, fontname="helv")
    return y + (300 - spare) + BODY * 1.2


def _footer(page: pymupdf.Page, text: str) -> None:
    page.insert_text((260, 800), text, fontsize=8, fontname="helv")


def _line_items(page: pymupdf.Page, y: float, items: list[tuple[str, str]]) -> float:
    shape = page.new_shape()
    for i, (label, amount) in enumerate(items):
        row = y + i * 18
        shape.draw_line((72, row + 4), (522, row + 4))
        page.insert_text((76, row), label, fontsize=BODY, fontname="helv")
        page.insert_text((440, row), amount, fontsize=BODY, fontname="helv")
    shape.finish(color=(0.6, 0.6, 0.6), width=0.5)
    shape.commit()
    return y + len(items) * 18 + 12


def _invoice(doc: pymupdf.Document) -> None:
    page = doc.new_page()
    y = _text(page, 80, "INVOICE", TITLE, bold=True)
    y = _text(page, y, "Contoso Office Supplies Ltd, 12 Harbour Road, Leeds")
    y = _text(page, y + 6, "Invoice number: INV-2026-0417")
    y = _text(page, y, "Invoice date: 3 November 2026")
    y = _text(page, y, "Bill to: Northwind Traders, 4 Mill Lane, York")
    y = _line_items(
        page,
        y + 20,
        [(f"Item {n}: printer paper, box of 5 reams", f"{20 + n}.00 GBP") for n in range(1, 16)],
    )
    _footer(page, "Page 1 of 2")
    page = doc.new_page()
    y = _line_items(
        page, 90, [(f"Item {n}: toner cartridge, black", f"{40 + n}.00 GBP") for n in range(16, 24)]
    )
    y = _text(page, y + 10, "Subtotal: 812.00 GBP")
    y = _text(page, y, "VAT (20%): 162.40 GBP")
    y = _text(page, y, "Amount due: 974.40 GBP by 3 December 2026", bold=True)
    _box(page, y + 10, "Payment by bank transfer to sort code 00-11-22, account 12345678. Thank you.")
    _footer(page, "Page 2 of 2")


def _letter(doc: pymupdf.Document) -> None:
    page = doc.new_page()
    y = _text(page, 80, "Northwind Traders")
    y = _text(page, y, "4 Mill Lane, York YO1 7HH")
    y = _text(page, y + 10, "10 November 2026")
    y = _text(page, y + 10, "Dear Ms Okafor,")
    y = _box(
        page,
        y + 4,
        "Thank you for your visit last week. As discussed, we would like to extend our cooperation "
        "to the northern warehouses from January. Our team will send the updated schedule shortly, "
        "and we look forward to meeting you again at the regional fair in the spring.",
    )
    y = _text(page, y + 10, "Yours sincerely,")
    _text(page, y + 20, "Amelia Hart, Operations Director")


def _contract(doc: pymupdf.Document) -> None:
    page = doc.new_page()
    y = _text(page, 80, "SERVICE AGREEMENT", TITLE, bold=True)
    y = _box(
        page,
        y + 4,
        "This Service Agreement is made on 1 November 2026 between Northwind Traders (the Client) "
        "and Fabrikam Logistics (the Provider), together the parties.",
    )
    y = _text(page, y + 6, "1. Services", SECTION, bold=True)
    _box(
        page,
        y,
        "The Provider shall store and deliver the Client's goods from its warehouses as set out "
        "in Schedule A, with the care of a diligent logistics company.",
    )
    page = doc.new_page()
    y = _text(page, 80, "2. Fees and payment", SECTION, bold=True)
    y = _box(
        page,
        y,
        "The Client shall pay the monthly fee within 30 days of receiving each invoice. Late "
        "amounts carry interest at 4% above the base rate.",
    )
    y = _text(page, y + 6, "3. Term and termination", SECTION, bold=True)
    _box(
        page,
        y,
        "This agreement runs for two years. Either party may end it by termination with three "
        "months' written notice to the other party.",
    )
    page = doc.new_page()
    y = _text(page, 80, "4. Governing law", SECTION, bold=True)
    y = _box(page, y, "This agreement is governed by the law of England and Wales.")
    y = _text(page, y + 6, "5. Signatures", SECTION, bold=True)
    y = _box(page, y, "Signed by the parties on the date above.")
    y = _text(page, y + 20, "Signature (Client): ______________________")
    _text(page, y + 10, "Signature (Provider): ____________________")


def packet_pdf() -> bytes:
    """The 7-page packet: invoice (1-2), letter (3), blank separator (4), contract (5-7)."""
    doc = pymupdf.open()
    _invoice(doc)
    _letter(doc)
    doc.new_page()  # the blank separator sheet
    _contract(doc)
    doc.set_metadata({"title": "Mail packet", "author": "Docjobs Test Suite"})
    data: bytes = doc.tobytes(garbage=1)
    doc.close()
    return data


#: (level, title, page) of outline_pdf()'s outline; page 1 is a cover with no entry.
OUTLINE = [
    (1, "Chapter 1 Basics", 2),
    (2, "1.1 Terms", 2),
    (2, "1.2 Setup", 3),
    (1, "Chapter 2 Operations", 5),
    (2, "2.1 Daily work", 5),
    (2, "2.2 Incidents", 7),
    (1, "Chapter 3 Appendix", 8),
]
OUTLINE_PAGES = 8


def outline_pdf() -> bytes:
    """8 pages: a cover (no outline entry), chapters at pages 2, 5 and 8 (level 1) and
    sections at 2, 3, 5 and 7 (level 2). Page 2 links to page 3 (inside chapter 1) and to
    page 7 (outside it); page 3 links to an external URL."""
    doc = pymupdf.open()
    for number in range(1, OUTLINE_PAGES + 1):
        page = doc.new_page()
        headings = [(level, title) for level, title, at in OUTLINE if at == number]
        if not headings:
            headings = [(2, "Cover" if number == 1 else f"Continued on page {number}")]
        y = 80.0
        for level, title in headings:
            y = _text(page, y, title, TITLE if level == 1 else SECTION, bold=True)
        _box(page, y, f"Body text of book page {number}. " * 8)
    first = doc[1]
    first.insert_link({"kind": pymupdf.LINK_GOTO, "from": pymupdf.Rect(72, 300, 200, 320), "page": 2})
    first.insert_link({"kind": pymupdf.LINK_GOTO, "from": pymupdf.Rect(72, 330, 200, 350), "page": 6})
    doc[2].insert_link(
        {"kind": pymupdf.LINK_URI, "from": pymupdf.Rect(72, 300, 200, 320), "uri": "https://example.org/"}
    )
    doc.set_toc([[level, title, page] for level, title, page in OUTLINE])
    data: bytes = doc.tobytes(garbage=1)
    doc.close()
    return data


def labelled_pdf() -> bytes:
    """6 text pages whose page labels restart at page 4 (two documents scanned together):
    labels 1, 2, 3 then 1, 2, 3. The pages have no headings and no footers."""
    doc = pymupdf.open()
    for number in range(1, 7):
        page = doc.new_page()
        word = "memorandum" if number <= 3 else "report"
        _box(page, 80, f"Plain {word} text on sheet {number}. " * 10)
    doc.set_page_labels(
        [
            {"startpage": 0, "prefix": "", "style": "D", "firstpagenum": 1},
            {"startpage": 3, "prefix": "", "style": "D", "firstpagenum": 1},
        ]
    )
    data: bytes = doc.tobytes(garbage=1)
    doc.close()
    return data


def scanned_packet_pdf() -> bytes:
    """2 pages: a scanned invoice (an image of the words "INVOICE 12345", no text layer) and
    the text letter of ``packet_pdf()``."""
    from tests.sample_documents import image_only_pdf

    doc = pymupdf.open(stream=image_only_pdf("INVOICE 12345"), filetype="pdf")
    _letter(doc)
    data: bytes = doc.tobytes(garbage=1)
    doc.close()
    return data
