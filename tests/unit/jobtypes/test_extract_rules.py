"""The rules engine on generated documents with known answers (no model, no network)."""

from __future__ import annotations

from typing import Any

import pymupdf
import pytest

from docjobs.engines.models import resolve_engine
from docjobs.jobtypes.extract.extraction import run_extraction
from docjobs.jobtypes.extract.options import ExtractOptions
from tests import extract_documents as docs


def extract(pdf: bytes, schema: dict[str, Any], **options: Any) -> dict[str, Any]:
    with pymupdf.open(stream=pdf, filetype="pdf") as document:
        return run_extraction(
            document,
            ExtractOptions.model_validate({"schema": schema, **options}),
            resolve_engine("rules", None),
            ocr_words=docs.ocr_words(pdf),
        )


def fields_by_path(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {field["path"]: field for field in result["fields"]}


def test_invoice_number_date_total_and_line_items_with_citations() -> None:
    result = extract(docs.invoice_pdf(), docs.INVOICE_SCHEMA)
    assert result["data"] == docs.INVOICE_EXPECTED
    assert result["validation"] == {"valid": True, "errors": []}
    assert result["metadata"] == {
        "engine": "rules",
        "model": None,
        "pages": 1,
        "usage": {"input_tokens": 0, "output_tokens": 0},
        "ocr_pages": [],
    }
    fields = fields_by_path(result)
    number = fields["/invoice_number"]
    assert (
        number["text"] == "Invoice No: INV-0042" and number["source"] == "text" and number["verified"] is True
    )
    assert number["page"] == 1
    x0, y0, x1, y1 = number["bbox"]
    assert 400 < x0 < x1 < 470 and 95 < y0 < y1 < 115  # around "INV-0042" at (412, 110)
    assert fields["/invoice_date"]["text"] == "Invoice Date: March 5, 2026"
    assert fields["/line_items/2/unit_price"] == {
        **fields["/line_items/2/unit_price"],
        "value": 1234.5,
        "text": "$1,234.50",
        "source": "table",
    }
    assert "/purchase_order" not in fields  # not found: null in data, no field


def test_absent_values_are_null_never_guessed() -> None:
    result = extract(docs.letter_pdf(), docs.LETTER_SCHEMA)
    assert result["data"] == {"recipient": "Dr. Alan Grant"}  # not required and not nullable: absent
    assert list(fields_by_path(result)) == ["/recipient"]


def test_a_required_field_that_is_absent_is_null_and_reported_by_validation() -> None:
    schema = {**docs.LETTER_SCHEMA, "required": ["invoice_number"]}
    result = extract(docs.letter_pdf(), schema)
    assert result["data"]["invoice_number"] is None
    assert result["validation"]["valid"] is False
    assert result["validation"]["errors"] == ["/invoice_number: None is not of type 'string'"]


def test_acroform_values_come_from_the_form_fields() -> None:
    result = extract(docs.acroform_pdf(), docs.FORM_SCHEMA)
    expected = {k: v for k, v in docs.FORM_EXPECTED.items() if v is not None}
    assert result["data"] == expected
    fields = fields_by_path(result)
    assert {f["source"] for f in fields.values()} == {"form_field"}
    assert {f["confidence"] for f in fields.values()} == {1.0}
    assert fields["/date_of_birth"]["text"] == "23.11.1988"  # raw text kept, value coerced


def test_two_column_key_value_sheet_with_labels_beside_and_above_values() -> None:
    result = extract(docs.key_value_sheet_pdf(), docs.SHEET_SCHEMA)
    expected = {k: v for k, v in docs.SHEET_EXPECTED.items() if v is not None}
    assert result["data"] == expected
    fields = fields_by_path(result)
    assert fields["/employee/start_date"]["text"] == "Start Date 01/15/2024"
    assert fields["/office_phone"]["text"] == "Office Phone +1 555 0100"


def test_scanned_invoice_is_read_through_ocr() -> None:
    result = extract(docs.scanned_invoice_pdf(), docs.INVOICE_SCHEMA)
    assert result["metadata"]["ocr_pages"] == [1]
    data = result["data"]
    assert (data["invoice_number"], data["invoice_date"], data["total"]) == (
        "INV-0042",
        "2026-03-05",
        5283.85,
    )
    assert data["line_items"] == docs.INVOICE_EXPECTED["line_items"]
    assert all(f["verified"] for f in result["fields"])


def test_page_selection_limits_what_is_read() -> None:
    doc = pymupdf.open()
    doc.insert_pdf(pymupdf.open(stream=docs.letter_pdf(), filetype="pdf"))
    doc.insert_pdf(pymupdf.open(stream=docs.invoice_pdf(), filetype="pdf"))
    pdf = doc.tobytes()
    assert extract(pdf, docs.INVOICE_SCHEMA, pages="1")["data"]["line_items"] == []
    result = extract(pdf, docs.INVOICE_SCHEMA, pages="2-")
    assert result["data"]["invoice_number"] == "INV-0042"
    assert fields_by_path(result)["/invoice_number"]["page"] == 2
    assert result["metadata"]["pages"] == 1


def test_citations_off_leaves_locations_out() -> None:
    result = extract(docs.invoice_pdf(), docs.INVOICE_SCHEMA, citations=False)
    assert result["data"]["total"] == 5283.85
    assert all(f["page"] is None and f["bbox"] is None for f in result["fields"])


def test_page_beyond_the_document_is_a_validation_error() -> None:
    from docjobs.core.errors import InputValidationError

    with pytest.raises(InputValidationError, match=r"options\.pages: page 3 is beyond"):
        extract(docs.invoice_pdf(), docs.INVOICE_SCHEMA, pages="3")


def test_share_of_fields_exactly_right_on_the_generated_set() -> None:
    """Every expected leaf of every generated case, compared exactly (the figure bench prints)."""
    right = total = 0
    for _, build, schema, expected in docs.CASES:
        data = extract(build(), schema)["data"]
        want, got = docs.leaf_values(expected), docs.leaf_values(data)
        total += len(want)
        right += sum(1 for path, value in want.items() if got.get(path) == value)
    assert right == total


def test_second_layout_labels_above_values_european_numbers_unruled_table() -> None:
    result = extract(docs.invoice_b_pdf(), docs.INVOICE_SCHEMA)
    assert result["data"] == docs.INVOICE_B_EXPECTED
    fields = fields_by_path(result)
    assert fields["/tax"]["text"] == "VAT 19% 465,50 EUR"  # the rate in the label is not the value
    assert fields["/invoice_date"]["text"] == "Date of issue 14.02.2026"


def test_a_table_header_is_not_a_label_for_a_scalar() -> None:
    result = extract(docs.invoice_c_pdf(), docs.INVOICE_SCHEMA)
    assert result["data"]["total"] == 312.4  # "Balance Due", not the "Total" column's first cell
    assert result["data"]["line_items"] == docs.INVOICE_C_EXPECTED["line_items"]
    assert "customer_email" not in result["data"]  # no label says so: absent, not guessed
