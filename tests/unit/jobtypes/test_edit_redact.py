"""Real redaction on generated PDFs, searched again in the output; the verification's failure path."""

from __future__ import annotations

from typing import Any

import pymupdf
import pytest

from docjobs.core.errors import InputValidationError
from docjobs.engines.ocr import TesseractEngine, find_tessdata
from docjobs.jobtypes.edit.editor import EditResult, apply_edits
from docjobs.jobtypes.edit.matching import RedactionMatcher
from docjobs.jobtypes.edit.options import RedactOp, parse_edit_options
from docjobs.jobtypes.edit.redaction import OcrReading
from tests import edit_documents as docs

ALL_PII = ["email", "phone", "credit_card", "iban", "us_ssn"]


needs_tesseract = pytest.mark.skipif(find_tessdata() is None, reason="no Tesseract language data")


def _edit(pdf: bytes, *operations: dict[str, Any], **kwargs: Any) -> EditResult:
    return apply_edits(pdf, parse_edit_options({"operations": list(operations)}), filename="in.pdf", **kwargs)


def _all_text(pdf: bytes) -> str:
    """Every bit of text a reader could get at: all layers on, nothing clipped."""
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    for config in doc.layer_ui_configs():
        doc.set_layer_ui_config(config["number"], action=0)
    return "\n".join(page.get_text(clip=pymupdf.INFINITE_RECT(), flags=0) for page in doc)


def test_matcher_finds_valid_pii_and_skips_checksum_failures() -> None:
    matcher = RedactionMatcher(RedactOp(op="redact", pii=ALL_PII), 0)  # type: ignore[arg-type]
    found = {m.value for m in matcher.find("\n".join(docs.PII_LINES))}
    assert {
        docs.EMAIL,
        docs.EMAIL_2,
        docs.PHONE,
        docs.PHONE_INTL,
        docs.CARD_VALID,
        docs.IBAN,
        docs.SSN,
    } <= found
    assert docs.CARD_INVALID not in found
    assert not any("2024-11-05" in v or "12345678" in v for v in found)


def test_matcher_checks_iban_checksum_and_ssn_rules() -> None:
    matcher = RedactionMatcher(RedactOp(op="redact", pii=["iban", "us_ssn"]), 0)  # type: ignore[arg-type]
    values = [
        m.value
        for m in matcher.find("DE89 3704 0044 0532 0130 01 and GB82WEST12345698765432 and 666-12-3456")
    ]
    assert values == ["GB82WEST12345698765432"]


def test_pii_is_removed_from_text_metadata_annotations_links_outline_and_hidden_places() -> None:
    result = _edit(docs.pii_pdf(), {"op": "redact", "pii": ALL_PII})
    text = _all_text(result.pdf)
    for secret in (
        docs.EMAIL,
        docs.EMAIL_2,
        docs.PHONE,
        docs.PHONE_INTL,
        docs.CARD_VALID,
        docs.IBAN,
        docs.SSN,
    ):
        assert secret not in text
    assert docs.HIDDEN_EMAIL not in text and docs.OFFCROP_EMAIL not in text
    assert docs.CARD_INVALID in text and "Order 2024-11-05 lists 12345678 items" in text
    assert "for questions." in text and "is confidential." in text

    doc = pymupdf.open(stream=result.pdf, filetype="pdf")
    assert doc.metadata["title"] == "Statement for " and doc.metadata["keywords"] == "ssn "
    info = int(doc.xref_get_key(-1, "Info")[1].split()[0])
    assert docs.PHONE not in doc.xref_get_key(info, "ContactPhone")[1]
    assert doc.get_xml_metadata() == ""
    assert list(doc[0].annots()) == [] and doc[0].get_links() == []
    assert doc.get_toc() == [[1, "Statement for ", 1]]
    assert doc.get_layer(-1)["off"], "the hidden layer stays hidden by default"

    report = result.operations[0]
    assert report["op"] == "redact" and report["applied"] and report["pages"] == [1]
    assert report["hits_in"]["text"] == 9 and report["hits_in"]["annotations"] == 1
    assert report["hits_in"]["links"] == 1 and report["hits_in"]["metadata"] >= 3
    assert result.verification.passed and result.verification.residual == []


def test_text_is_removed_not_covered_and_the_box_is_filled() -> None:
    result = _edit(
        docs.pii_pdf(), {"op": "redact", "text": ["CONFIDENTIAL", "Social Security"], "fill": "#ff0000"}
    )
    doc = pymupdf.open(stream=result.pdf, filetype="pdf")
    assert "Social security" not in doc[0].get_text() and "number" in doc[0].get_text()
    fills = [d.get("fill") for d in doc[0].get_drawings()]
    assert (1.0, 0.0, 0.0) in fills
    assert result.operations[0]["hits_in"]["text"] == 2  # "confidential" matched case-insensitively


def test_case_sensitive_text_leaves_other_cases() -> None:
    result = _edit(docs.pii_pdf(), {"op": "redact", "text": ["social security"], "case_sensitive": True})
    assert result.operations[0]["hits"] == 0
    assert "Social security" in pymupdf.open(stream=result.pdf)[0].get_text()


def test_image_pixels_under_the_box_are_removed() -> None:
    doc = pymupdf.open()
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 200, 40), False)
    pix.set_rect(pix.irect, (0, 0, 255))
    page.insert_image(pymupdf.Rect(60, 60, 400, 120), pixmap=pix)
    page.insert_text((72, 95), f"Mail {docs.EMAIL} now", fontsize=12, color=(1, 1, 1))
    result = _edit(doc.tobytes(), {"op": "redact", "pii": ["email"], "fill": "white"})
    out = pymupdf.open(stream=result.pdf)
    image = pymupdf.Pixmap(out, out[0].get_images()[0][0])
    colours = {image.pixel(x, image.height // 2) for x in range(0, image.width, 5)}
    assert (255, 255, 255) in colours and (0, 0, 255) in colours  # a white hole, the rest untouched


def test_pages_limit_the_text_search_to_those_pages() -> None:
    doc = pymupdf.open()
    for n in range(3):
        doc.new_page().insert_text((72, 72), f"Page {n + 1} writes to {docs.EMAIL}", fontsize=11)
    result = _edit(doc.tobytes(), {"op": "redact", "pii": ["email"], "pages": "2"})
    out = pymupdf.open(stream=result.pdf)
    assert [docs.EMAIL in page.get_text() for page in out] == [True, False, True]
    assert result.operations[0]["pages"] == [2]


def test_redacted_pages_are_followed_through_later_page_operations() -> None:
    doc = pymupdf.open()
    for n in range(3):
        doc.new_page().insert_text((72, 72), f"Page {n + 1} writes to {docs.EMAIL}", fontsize=11)
    result = _edit(
        doc.tobytes(),
        {"op": "redact", "pii": ["email"], "pages": "1"},
        {"op": "reorder_pages", "order": [3, 2, 1]},
        {"op": "append_document", "document_id": "other"},
        load_document=lambda _id: docs.pii_pdf(),
    )
    assert result.verification.passed and result.pages == 4  # the appended page keeps its e-mail


def test_scanned_pages_without_ocr_are_reported_not_claimed() -> None:
    result = _edit(docs.scanned_pdf(), {"op": "redact", "pii": ["email"]})
    report = result.operations[0]
    assert report["hits"] == 0
    assert "no text layer" in report["warnings"][0] and "page(s) 1" in report["warnings"][0]
    assert "ocr: auto" in report["warnings"][0]


def _ocr_reading(pdf: bytes) -> OcrReading:
    (page,) = TesseractEngine().ocr_pages(pdf, [1])
    return OcrReading(page.text, tuple(page.words or ()))


def _rotated_scan(rotation: int) -> bytes:
    """The scanned letter as a scanner turned it: the picture sideways, /Rotate showing it upright."""
    picture = pymupdf.open(stream=docs.scanned_pdf(), filetype="pdf")[0].get_pixmap(dpi=150)
    doc = pymupdf.open()
    page = doc.new_page(width=200, height=400)
    page.insert_image(page.rect, stream=picture.tobytes("png"), rotate=rotation)
    page.set_rotation(rotation)
    return doc.tobytes()


@needs_tesseract
@pytest.mark.parametrize("rotation", [0, 90, 270])
def test_matches_in_a_scanned_pages_ocr_words_are_removed_as_pixels(rotation: int) -> None:
    pdf = docs.scanned_pdf() if rotation == 0 else _rotated_scan(rotation)
    reading = _ocr_reading(pdf)
    assert docs.EMAIL in reading.text
    result = _edit(pdf, {"op": "redact", "pii": ["email"]}, ocr={0: reading})
    report = result.operations[0]
    assert report["hits"] == report["hits_in"]["scanned_text"] == 1
    assert "image pixels were removed" in report["warnings"][0]
    again = _ocr_reading(result.pdf)
    assert docs.EMAIL not in again.text and "@" not in again.text
    assert "letter" in again.text  # only the match went
    assert pymupdf.open(stream=result.pdf, filetype="pdf")[0].rotation == rotation
    assert _filled_where_ocr_saw(result.pdf, reading, docs.EMAIL, rotation) > 0.9


def _filled_where_ocr_saw(pdf: bytes, reading: OcrReading, word: str, rotation: int) -> float:
    """The share of dark pixels inside ``word``'s OCR box, the page shown as the OCR saw it."""
    (box,) = [w[:4] for w in reading.words if w[4] == word]
    page = pymupdf.open(stream=pdf, filetype="pdf")[0]
    page.set_rotation(rotation)
    width, height = page.rect.width, page.rect.height
    inner = pymupdf.Rect(box[0] * width + 2, box[1] * height + 2, box[2] * width - 2, box[3] * height - 2)
    samples = page.get_pixmap(clip=inner, dpi=144, colorspace=pymupdf.csGRAY, alpha=False).samples
    return sum(1 for value in samples if value < 64) / len(samples)


@needs_tesseract
def test_a_page_rotated_by_an_earlier_operation_is_redacted_where_the_ocr_saw_the_match() -> None:
    reading = _ocr_reading(docs.scanned_pdf())
    result = _edit(
        docs.scanned_pdf(),
        {"op": "rotate_pages", "pages": "1", "degrees": 90},
        {"op": "redact", "pii": ["email"]},
        ocr={0: reading},
    )
    assert result.operations[1]["hits_in"]["scanned_text"] == 1
    output = pymupdf.open(stream=result.pdf, filetype="pdf")
    output[0].set_rotation(0)
    assert docs.EMAIL not in _ocr_reading(output.tobytes()).text
    assert _filled_where_ocr_saw(result.pdf, reading, docs.EMAIL, 0) > 0.9


def test_ocr_text_without_word_boxes_is_counted_not_claimed() -> None:
    reading = OcrReading(f"Scanned letter from {docs.EMAIL}")
    result = _edit(docs.scanned_pdf(), {"op": "redact", "pii": ["email"]}, ocr={0: reading})
    report = result.operations[0]
    assert report["hits"] == 0
    assert "without word positions has 1 more, NOT removed" in report["warnings"][0]


def test_catastrophic_pattern_fails_with_validation_error_naming_it() -> None:
    doc = pymupdf.open()
    doc.new_page().insert_text((10, 100), "a" * 5000 + "!", fontsize=4)
    with pytest.raises(InputValidationError) as caught:
        _edit(doc.tobytes(), {"op": "redact", "text": ["x"], "patterns": ["\\d+", "(a+)+$"]})
    assert caught.value.message.startswith(
        "options.operations[0].patterns[1]: the regular expression ran out"
    )


def test_comprehend_findings_are_removed_and_verified_as_literals() -> None:
    calls: list[str] = []

    def detector(text: str) -> list[tuple[int, int, str]]:
        calls.append(text)
        start = text.find("Accounts team")
        return [(start, start + len("Accounts team"), "NAME")] if start >= 0 else []

    pdf = pymupdf.open()
    pdf.new_page().insert_text((72, 72), "Signed by the Accounts team today.", fontsize=11)
    result = _edit(pdf.tobytes(), {"op": "redact", "pii_engine": "comprehend"}, pii_detector=detector)
    assert "Accounts team" not in pymupdf.open(stream=result.pdf)[0].get_text()
    assert len(calls) == 1, "the verification searches the found strings, it does not call Comprehend again"


def test_comprehend_without_a_detector_is_a_validation_error() -> None:
    with pytest.raises(InputValidationError, match=r"operations\[0\]\.pii_engine: Amazon Comprehend"):
        _edit(docs.pii_pdf(), {"op": "redact", "pii_engine": "comprehend"})


def test_text_the_redaction_cannot_remove_fails_the_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulate text that survives apply_redactions (a content construct MuPDF does not filter).
    monkeypatch.setattr(pymupdf.Page, "apply_redactions", lambda self, *a, **k: True)
    with pytest.raises(InputValidationError) as caught:
        _edit(docs.pii_pdf(), {"op": "redact", "pii": ["email"], "text": ["confidential"]})
    message = caught.value.message
    assert message.startswith("verification of the edited document failed, so it was not saved")
    residual = caught.value.details["verification"]["residual"]  # type: ignore[index]
    assert {r["rule"] for r in residual} == {"options.operations[0].pii", "options.operations[0].text[0]"}
    assert all(r["where"] == "text" and r["page"] == 1 for r in residual)
    assert docs.EMAIL not in message, "the residual is described without repeating the secret"


def test_text_written_again_after_the_redaction_fails_the_verification() -> None:
    with pytest.raises(InputValidationError) as caught:
        _edit(
            docs.pii_pdf(),
            {"op": "redact", "pii": ["email"]},
            {"op": "stamp", "text": f"Reply to {docs.EMAIL}", "position": "top"},
        )
    assert "options.operations[0].pii still matches" in caught.value.message


def test_a_box_whose_image_pixels_were_not_blanked_fails_the_redaction() -> None:
    """The check behind every scanned-page redaction: the pixels must be gone, not covered."""
    from docjobs.core.errors import DocjobsError
    from docjobs.jobtypes.edit.redaction import _check_and_fill

    page = pymupdf.open(stream=docs.scanned_pdf(), filetype="pdf")[0]
    line = pymupdf.Rect(15, 85, 385, 105)  # the picture's line of text, not redacted
    with pytest.raises(DocjobsError, match="was not blanked"):
        _check_and_fill(page, [line], (0.0, 0.0, 0.0), "page 1")
