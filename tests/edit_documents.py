"""PDFs with known contents for the edit job type, built with PyMuPDF at test time.

- ``form_pdf``: an AcroForm with one field of each kind (text, checkbox, radio group, combo box,
  list box, push button);
- ``pii_pdf``: a page with e-mail addresses, phone numbers, a valid and an invalid card number, an
  IBAN and an SSN, and the same strings in the metadata (standard, custom key, XMP), a note
  annotation, a mailto link, a hidden layer and outside the crop box;
- ``numbered_pdf``: pages "Page N" with an outline, for page operations;
- ``scanned_pdf``: a page that is only an image of text; ``encrypted_pdf``: password-protected;
- ``scripted_pdf``: metadata, XMP, an embedded file and JavaScript in three places.
"""

from __future__ import annotations

import pymupdf

EMAIL = "john.doe@example.com"
EMAIL_2 = "billing@acme-corp.org"
PHONE = "(212) 555-0100"
PHONE_INTL = "+44 20 7946 0958"
CARD_VALID = "4111 1111 1111 1111"
CARD_INVALID = "4111 1111 1111 1112"
IBAN = "DE89 3704 0044 0532 0130 00"
SSN = "123-45-6789"
HIDDEN_EMAIL = "hidden.layer@example.com"
OFFCROP_EMAIL = "margin.note@example.com"

RADIO_STATES = ("S", "M", "L")
COLORS = ["Red", "Green", "Blue"]
FRUITS = ["Apple", "Pear", "Plum"]


def _widget(
    page: pymupdf.Page, kind: int, name: str, rect: tuple[float, float, float, float], **attrs: object
) -> int:
    w = pymupdf.Widget()
    w.field_type = kind
    w.field_name = name
    w.rect = pymupdf.Rect(rect)
    for key, value in attrs.items():
        setattr(w, key, value)
    added = page.add_widget(w)
    return int(added.xref)


def form_pdf() -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 60), "Application form", fontsize=14)
    _widget(page, pymupdf.PDF_WIDGET_TYPE_TEXT, "full_name", (72, 72, 320, 90), field_value="")
    _widget(page, pymupdf.PDF_WIDGET_TYPE_TEXT, "zip", (340, 72, 420, 90), field_value="", text_maxlen=5)
    _widget(page, pymupdf.PDF_WIDGET_TYPE_CHECKBOX, "agree", (72, 100, 90, 118), field_value=False)
    radios = [
        _widget(
            page,
            pymupdf.PDF_WIDGET_TYPE_RADIOBUTTON,
            f"size_{s}",
            (72 + 30 * i, 130, 90 + 30 * i, 148),
            field_value=False,
        )
        for i, s in enumerate(RADIO_STATES)
    ]
    _widget(
        page,
        pymupdf.PDF_WIDGET_TYPE_COMBOBOX,
        "color",
        (72, 160, 200, 178),
        choice_values=COLORS,
        field_value="Red",
    )
    _widget(
        page,
        pymupdf.PDF_WIDGET_TYPE_LISTBOX,
        "fruits",
        (72, 190, 200, 250),
        choice_values=FRUITS,
        field_value="Apple",
        field_flags=1 << 21,  # multi-select
    )
    _widget(page, pymupdf.PDF_WIDGET_TYPE_BUTTON, "submit", (250, 190, 330, 210), button_caption="Submit")
    _group_radios(doc, radios, "size")
    return doc.tobytes()


def _group_radios(doc: pymupdf.Document, widget_xrefs: list[int], name: str) -> None:
    """Turn separate radio widgets into one field with kids whose on-states are S, M, L (PyMuPDF
    creates each radio button as its own field with the on-state 'Yes')."""
    parent = doc.get_new_xref()
    kids = " ".join(f"{x} 0 R" for x in widget_xrefs)
    doc.update_object(parent, f"<</FT/Btn/Ff 49152/T({name})/V/Off/Kids[{kids}]>>")
    for xref, state in zip(widget_xrefs, RADIO_STATES, strict=True):
        normal = doc.xref_get_key(xref, "AP/N")[1]
        down = doc.xref_get_key(xref, "AP/D")[1]
        doc.xref_set_key(xref, "AP/N", normal.replace("/Yes", f"/{state}"))
        if down and down != "null":
            doc.xref_set_key(xref, "AP/D", down.replace("/Yes", f"/{state}"))
        doc.xref_set_key(xref, "AS", "/Off")
        doc.xref_set_key(xref, "T", "null")
        doc.xref_set_key(xref, "FT", "null")
        doc.xref_set_key(xref, "Ff", "null")
        doc.xref_set_key(xref, "V", "null")
        doc.xref_set_key(xref, "Parent", f"{parent} 0 R")
    catalog = doc.pdf_catalog()
    fields = doc.xref_get_key(catalog, "AcroForm/Fields")[1]
    for xref in widget_xrefs:
        fields = fields.replace(f"{xref} 0 R", "")
    fields = fields.rstrip("]").rstrip() + f" {parent} 0 R]"
    doc.xref_set_key(catalog, "AcroForm/Fields", fields)


PII_LINES = [
    f"Contact {EMAIL} or {EMAIL_2} for questions.",
    f"Call {PHONE} or, from abroad, {PHONE_INTL}.",
    f"Card on file: {CARD_VALID}. Mistyped card: {CARD_INVALID}.",
    f"Pay to IBAN {IBAN} before the end of the month.",
    f"Social security number {SSN} is confidential.",
    "Order 2024-11-05 lists 12345678 items at 19.99 each.",
]


def pii_pdf() -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    y = 80.0
    for line in PII_LINES:
        page.insert_text((72, y), line, fontsize=11)
        y += 20
    hidden = doc.add_ocg("Reviewer notes", on=False)
    page.insert_text((72, y + 20), f"Reviewer: {HIDDEN_EMAIL}", fontsize=11, oc=hidden)
    page.insert_text((72, 800), f"Printer margin {OFFCROP_EMAIL}", fontsize=9)
    page.set_cropbox(pymupdf.Rect(0, 0, 595, 760))
    note = page.add_text_annot((500, 80), f"Ask {EMAIL} about {CARD_VALID}")
    note.set_info(title="Reviewer", subject="PII")
    note.update()
    page.insert_link(
        {"kind": pymupdf.LINK_URI, "from": pymupdf.Rect(72, 68, 300, 84), "uri": f"mailto:{EMAIL}"}
    )
    doc.set_metadata({"title": f"Statement for {EMAIL}", "author": "Accounts", "keywords": f"ssn {SSN}"})
    info = int(doc.xref_get_key(-1, "Info")[1].split()[0])
    doc.xref_set_key(info, "ContactPhone", pymupdf.get_pdf_str(PHONE))
    doc.set_xml_metadata(
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>{EMAIL}</dc:creator>'
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
    doc.set_toc([[1, f"Statement for {EMAIL}", 1]])
    return doc.tobytes()


def numbered_pdf(pages: int = 5, *, rotated: dict[int, int] | None = None) -> bytes:
    """Page n (1-based) reads "Page n" and "PAGE-MARKER-nnn"; the outline has one entry per page."""
    doc = pymupdf.open()
    for n in range(1, pages + 1):
        page = doc.new_page()
        page.insert_text((72, 72), f"Page {n}", fontsize=20)
        page.insert_text((72, 110), f"PAGE-MARKER-{n:03d} body text of page {n}.", fontsize=11)
        if rotated and n in rotated:
            page.set_rotation(rotated[n])
    doc.set_toc([[1, f"Chapter {n}", n] for n in range(1, pages + 1)])
    doc.set_metadata({"title": "Numbered pages", "author": "Docjobs Test Suite"})
    return doc.tobytes()


def page_markers(pdf: bytes) -> list[int]:
    """The n of each page's "PAGE-MARKER-nnn", in page order."""
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    found = []
    for page in doc:
        text = page.get_text()
        index = text.find("PAGE-MARKER-")
        found.append(int(text[index + 12 : index + 15]) if index >= 0 else 0)
    return found


def scanned_pdf() -> bytes:
    """One page that is only a picture of text (with an e-mail address in it), no text layer."""
    source = pymupdf.open()
    page = source.new_page(width=400, height=200)
    page.insert_text((20, 100), f"Scanned letter from {EMAIL}", fontsize=14)
    pix = page.get_pixmap(dpi=100)
    doc = pymupdf.open()
    out = doc.new_page(width=400, height=200)
    out.insert_image(out.rect, pixmap=pix)
    return doc.tobytes()


def encrypted_pdf() -> bytes:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "secret", fontsize=11)
    return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="user")


def scripted_pdf() -> bytes:
    """Metadata, XMP, an embedded file, a file-attachment annotation, and JavaScript as the open
    action, in the document's name tree and on a link."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "A document with scripts and attachments.", fontsize=11)
    doc.set_metadata({"title": "Scripted", "author": "Someone", "creator": "Tool 1.0"})
    doc.set_xml_metadata('<x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>')
    doc.embfile_add("notes.txt", b"private notes", filename="notes.txt")
    page.add_file_annot((300, 72), b"attached", "attached.txt")
    catalog = doc.pdf_catalog()
    doc.xref_set_key(catalog, "OpenAction", "<</S/JavaScript/JS(app.alert\\('open'\\))>>")
    js = doc.get_new_xref()
    doc.update_object(js, "<</S/JavaScript/JS(app.alert\\('named'\\))>>")
    doc.xref_set_key(catalog, "Names/JavaScript", f"<</Names[(startup) {js} 0 R]>>")
    page.insert_link(
        {"kind": pymupdf.LINK_URI, "from": pymupdf.Rect(72, 60, 200, 76), "uri": "https://example.com"}
    )
    link_xref = page.annot_xrefs()[-1][0]
    doc.xref_set_key(link_xref, "A", "<</S/JavaScript/JS(app.alert\\('link'\\))>>")
    doc.xref_set_key(page.xref, "AA", "<</O<</S/JavaScript/JS(app.alert\\('page'\\))>>>>")
    return doc.tobytes()
