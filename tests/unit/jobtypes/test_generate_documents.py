"""generate_document end to end (child process included): PDF from HTML and Markdown, DOCX from a
Word template, HTML and Markdown files; each output is opened again and checked."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.generate.engine import (
    GeneratedDocument,
    TemplateSource,
    generate_document,
    inspect_template,
    output_filename,
)
from docjobs.jobtypes.generate.options import OutputOptions
from docjobs.jobtypes.generate.rendering import RenderLimits
from tests.unit.jobtypes import generate_samples as samples


def _pdf_text(document: GeneratedDocument) -> list[str]:
    with pymupdf.open("pdf", document.content) as pdf:
        return [page.get_text(flags=pymupdf.TEXT_DEHYPHENATE) for page in pdf]


def _html(source: str, data: dict[str, Any], **output: Any) -> GeneratedDocument:
    return generate_document(TemplateSource(kind="html", text=source), data, output=OutputOptions(**output))


def _png(rgb: tuple[int, int, int], size: int = 40) -> bytes:
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, size, size), 0)
    pixmap.set_rect(pixmap.irect, rgb)
    return pixmap.tobytes("png")


def _image_count(document: GeneratedDocument) -> int:
    with pymupdf.open("pdf", document.content) as pdf:
        return sum(len(page.get_images()) for page in pdf)


# --------------------------------------------------------------------------------------
# HTML -> PDF
# --------------------------------------------------------------------------------------


def test_invoice_with_line_items_renders_to_pdf_with_every_value() -> None:
    data = samples.invoice_data(6)
    document = _html(samples.INVOICE_HTML, data, filename="invoice-0042")
    pages = _pdf_text(document)
    text = "\n".join(pages)
    assert document.format == "pdf"
    assert document.content_type == "application/pdf"
    assert document.filename == "invoice-0042.pdf"
    assert document.pages == len(pages) == 1
    assert document.bytes == len(document.content)
    assert document.sha256 == hashlib.sha256(document.content).hexdigest()
    assert document.variables == ["customer", "invoice", "items"]
    assert "Invoice INV-2026-0042" in text
    assert "Müller & Söhne GmbH" in text
    assert "Hauptstraße 5, 10115 Berlin" in text
    for item in data["items"]:
        assert item["sku"] in text
        assert item["description"] in text
        assert f"{item['unit_price']:.2f}" in text
        assert f"{item['qty'] * item['unit_price']:.2f}" in text
    assert f"Total due: {samples.invoice_total(data):.2f} EUR" in text


def test_a_long_invoice_flows_onto_more_pages_and_loses_no_line() -> None:
    data = samples.invoice_data(120)
    document = _html(samples.INVOICE_HTML, data)
    pages = _pdf_text(document)
    assert document.pages == len(pages) >= 3
    text = "\n".join(pages)
    for item in data["items"]:
        assert text.count(item["sku"]) == 1
    assert f"Total due: {samples.invoice_total(data):.2f} EUR" in pages[-1]


@pytest.mark.parametrize(("page_size", "width", "height"), [("A4", 595, 842), ("letter", 612, 792)])
def test_page_size_is_honoured(page_size: str, width: int, height: int) -> None:
    document = _html("<p>{{ x }}</p>", {"x": "sized"}, page_size=page_size)
    with pymupdf.open("pdf", document.content) as pdf:
        assert (round(pdf[0].rect.width), round(pdf[0].rect.height)) == (width, height)


def test_margins_place_the_text_inside_them() -> None:
    document = _html("<p>{{ x }}</p>", {"x": "marginal"}, margin_mm=40)
    with pymupdf.open("pdf", document.content) as pdf:
        (block, *_) = pdf[0].get_text("blocks")
    assert block[0] >= 40 * 72 / 25.4 - 1
    assert block[1] >= 40 * 72 / 25.4 - 1


def test_template_styles_override_the_house_style() -> None:
    document = _html("<style>h1 { color: #ff0000; }</style><h1>{{ t }}</h1>", {"t": "Red"})
    with pymupdf.open("pdf", document.content) as pdf:
        spans = [s for b in pdf[0].get_text("dict")["blocks"] for line in b["lines"] for s in line["spans"]]
    assert spans[0]["text"] == "Red"
    assert spans[0]["color"] == 0xFF0000


def test_data_uri_and_document_images_are_drawn() -> None:
    inline = "data:image/png;base64," + base64.b64encode(_png((0, 0, 255))).decode()
    logos = {"doc_logo1": _png((255, 0, 0))}
    document = generate_document(
        TemplateSource(
            kind="html", text='<img src="{{ inline }}" width="40"><img src="document:doc_logo1" width="40">'
        ),
        {"inline": inline},
        output=OutputOptions(),
        load_image=logos.__getitem__,
    )
    assert _image_count(document) == 2


def test_an_image_document_named_only_in_the_data_is_resolved_too() -> None:
    loaded: list[str] = []

    def load(document_id: str) -> bytes:
        loaded.append(document_id)
        return _png((0, 128, 0))

    document = generate_document(
        TemplateSource(kind="html", text='<img src="{{ logo }}">'),
        {"logo": "document:doc_green"},
        output=OutputOptions(),
        load_image=load,
    )
    assert loaded == ["doc_green"]
    assert _image_count(document) == 1


def test_a_document_that_is_not_an_image_is_refused_by_name() -> None:
    with pytest.raises(InputValidationError, match="document doc_text is used as an image"):
        generate_document(
            TemplateSource(kind="html", text='<img src="document:doc_text">'),
            {},
            output=OutputOptions(),
            load_image=lambda _id: b"hello, not an image",
        )


def test_layout_reads_nothing_from_the_filesystem(tmp_path: Path) -> None:
    secret_image = tmp_path / "secret.png"
    secret_image.write_bytes(_png((255, 0, 0)))
    secret_css = tmp_path / "secret.css"
    secret_css.write_text("p { color: #ff0000; }")
    source = (
        f'<style>@import url("{secret_css}"); @import url("file://{secret_css}");</style>'
        f'<link rel="stylesheet" href="{secret_css}">'
        f'<img src="{secret_image}"><img src="file://{secret_image}"><img src="../../{secret_image.name}">'
        "<p>text</p>"
    )
    document = _html(source, {})
    assert _image_count(document) == 0
    with pymupdf.open("pdf", document.content) as pdf:
        spans = [
            s
            for b in pdf[0].get_text("dict")["blocks"]
            if b["type"] == 0
            for ln in b["lines"]
            for s in ln["spans"]
        ]
    assert [s["color"] for s in spans if s["text"] == "text"] == [0x1A1A1A]


def test_content_taller_than_a_page_is_a_clear_error_not_endless_pages() -> None:
    rows = "".join(f"<p>line {i}</p>" for i in range(400))
    with pytest.raises(InputValidationError, match="can never fit on a page"):
        generate_document(
            TemplateSource(kind="html", text=f"<h1>x</h1><table><tr><td>{rows}</td></tr></table>"),
            {},
            output=OutputOptions(),
            limits=RenderLimits(max_pages=60),
        )


def test_page_cap_is_enforced() -> None:
    with pytest.raises(InputValidationError, match="more than 3 pages"):
        generate_document(
            TemplateSource(kind="html", text="{% for i in range(400) %}<p>line {{ i }}</p>{% endfor %}"),
            {},
            output=OutputOptions(),
            limits=RenderLimits(max_pages=3),
        )


# --------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------


def test_markdown_report_renders_to_pdf_with_headings_lists_and_a_table() -> None:
    document = generate_document(
        TemplateSource(kind="markdown", text=samples.REPORT_MARKDOWN),
        samples.REPORT_DATA,
        output=OutputOptions(),
    )
    assert document.pages == 1
    with pymupdf.open("pdf", document.content) as pdf:
        page = pdf[0]
        text = page.get_text()
        spans = [s for b in page.get_text("dict")["blocks"] for line in b["lines"] for s in line["spans"]]
        tables = page.find_tables().tables
    assert "Quarterly report: Q3 2026" in text
    assert "Prepared for Operations." in text
    for highlight in samples.REPORT_DATA["highlights"]:
        assert highlight in text
    title = next(s for s in spans if s["text"].startswith("Quarterly report"))
    body = next(s for s in spans if s["text"].startswith("Prepared for"))
    assert title["size"] > body["size"] * 1.5
    assert len(tables) == 1
    assert tables[0].extract() == [
        ["Region", "Revenue", "Growth"],
        ["North", "1,200,000", "4.5%"],
        ["South", "860,500", "-1.2%"],
        ["West", "2,310,900", "9.8%"],
    ]


def test_markdown_output_is_the_rendered_markdown_as_utf8() -> None:
    document = generate_document(
        TemplateSource(kind="markdown", text=samples.REPORT_MARKDOWN),
        samples.REPORT_DATA,
        output=OutputOptions(format="md", filename="report"),
    )
    text = document.content.decode("utf-8")
    assert document.filename == "report.md"
    assert document.content_type == "text/markdown; charset=utf-8"
    assert document.pages is None
    assert text.startswith("# Quarterly report: Q3 2026\n")
    assert "| West | 2,310,900 | 9.8% |" in text


def test_markdown_to_html_output_is_a_complete_document() -> None:
    document = generate_document(
        TemplateSource(kind="markdown", text=samples.REPORT_MARKDOWN),
        samples.REPORT_DATA,
        output=OutputOptions(format="html"),
    )
    html = document.content.decode("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in html
    assert "<h1>Quarterly report: Q3 2026</h1>" in html
    assert '<td style="text-align:right">2,310,900</td>' in html


def test_raw_html_in_markdown_values_is_shown_as_text() -> None:
    document = generate_document(
        TemplateSource(kind="markdown", text="Note: {{ note }}"),
        {"note": '<img src="x"><script>alert(1)</script>'},
        output=OutputOptions(format="html"),
    )
    html = document.content.decode()
    assert "&lt;script&gt;" in html
    assert "<script>" not in html


def test_html_output_is_the_rendered_html_as_utf8() -> None:
    document = _html("<p>{{ greeting }}</p>", {"greeting": "Grüße ✓"}, format="html")
    assert document.content == "<p>Grüße ✓</p>".encode()
    assert document.filename == "generated.html"
    assert document.content_type == "text/html; charset=utf-8"


# --------------------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------------------


def test_docx_template_is_filled_and_reopens_in_python_docx() -> None:
    import docx

    template = TemplateSource.from_document("offer.docx", samples.docx_offer_template())
    document = generate_document(template, samples.OFFER_DATA, output=OutputOptions(format="docx"))
    assert document.filename == "offer.docx"
    assert document.pages is None
    filled = docx.Document(io.BytesIO(document.content))
    paragraphs = [p.text for p in filled.paragraphs]
    assert "Offer OF-77" in paragraphs
    assert "Dear Dupont <Frères> & Cie," in paragraphs
    assert "we are pleased to offer 3 items:" in paragraphs
    assert "Valid until 2026-12-31." in paragraphs
    rows = [[cell.text for cell in row.cells] for row in filled.tables[0].rows]
    assert rows == [
        ["Item", "Qty", "Price"],
        ["Desk", "2", "249.00"],
        ["Chair", "4", "89.50"],
        ["Lamp", "1", "35.25"],
    ]
    assert filled.sections[0].footer.paragraphs[0].text == "Acme Office Supplies - offer OF-77"
    assert document.variables == ["company", "customer", "items", "number", "valid_until"]


def test_docx_missing_variables_are_listed_with_the_paragraph_they_are_in() -> None:
    template = TemplateSource.from_document("offer.docx", samples.docx_offer_template())
    data = {k: v for k, v in samples.OFFER_DATA.items() if k not in {"valid_until", "company"}}
    with pytest.raises(InputValidationError) as caught:
        generate_document(template, data, output=OutputOptions(format="docx"))
    assert caught.value.details is not None
    assert caught.value.details["missing"] == [
        {"variable": "valid_until", "line": None, "near": "Valid until {{ valid_until }}."},
        {"variable": "company", "line": None, "near": "{{ company }} - offer {{ number }}"},
    ]


def test_docx_inspection_lists_variables_and_fields() -> None:
    inspection = inspect_template(TemplateSource.from_document("offer.docx", samples.docx_offer_template()))
    assert inspection.variables == ["company", "customer", "items", "number", "valid_until"]
    assert "customer.name" in inspection.fields
    assert "items[].price" in inspection.fields


def test_docx_to_pdf_is_refused_before_any_rendering() -> None:
    template = TemplateSource.from_document("offer.docx", samples.docx_offer_template())
    with pytest.raises(InputValidationError, match="office suite"):
        generate_document(template, samples.OFFER_DATA, output=OutputOptions(format="pdf"))


def test_a_broken_docx_is_a_validation_error() -> None:
    template = TemplateSource.from_document("broken.docx", b"PK\x03\x04 not really a zip")
    with pytest.raises(InputValidationError, match=r"not a readable \.docx"):
        generate_document(template, {}, output=OutputOptions(format="docx"))


# --------------------------------------------------------------------------------------
# Template documents and names
# --------------------------------------------------------------------------------------


def test_template_documents_are_recognised_by_extension() -> None:
    assert TemplateSource.from_document("a.HTML", b"<p>x</p>").kind == "html"
    assert TemplateSource.from_document("a.md", b"# x").kind == "markdown"
    assert TemplateSource.from_document("a.md", b"\xef\xbb\xbf# bom").text == "# bom"
    with pytest.raises(InputValidationError, match="is not a template"):
        TemplateSource.from_document("a.pdf", b"%PDF-1.7")
    with pytest.raises(InputValidationError, match="is not UTF-8"):
        TemplateSource.from_document("a.html", b"\xff\xfe<\x00p\x00>")


def test_a_syntax_error_in_a_template_document_names_its_line() -> None:
    with pytest.raises(InputValidationError, match="line 2: unexpected '}'"):
        generate_document(
            TemplateSource.from_document("t.html", b"<p>ok</p>\n<p>{{ x }</p>"),
            {"x": 1},
            output=OutputOptions(),
        )


@pytest.mark.parametrize(
    ("requested", "fmt", "template", "expected"),
    [
        (None, "pdf", None, "generated.pdf"),
        (None, "pdf", "invoice.html", "invoice.pdf"),
        ("march", "html", None, "march.html"),
        ("march.HTM", "html", None, "march.HTM"),
        ("v1.2 final", "md", None, "v1.2 final.md"),
    ],
)
def test_output_filenames(requested: str | None, fmt: Any, template: str | None, expected: str) -> None:
    assert output_filename(requested, fmt, template) == expected


def test_an_output_filename_with_another_formats_extension_is_refused() -> None:
    with pytest.raises(InputValidationError, match=r"ends in \.pdf but options\.output\.format is html"):
        output_filename("x.pdf", "html", None)
