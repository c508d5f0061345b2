"""fill_form on an AcroForm with one field of each kind, read back from the written output."""

from __future__ import annotations

from typing import Any

import pymupdf
import pytest

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.edit.editor import EditResult, apply_edits
from docjobs.jobtypes.edit.options import parse_edit_options
from tests import edit_documents as docs

VALUES: dict[str, Any] = {
    "full_name": "Ada Lovelace",
    "zip": 12345,
    "agree": True,
    "size": "M",
    "color": "Blue",
    "fruits": ["Pear", "Plum"],
}


def _fill(values: dict[str, Any], *, flatten: bool = False) -> EditResult:
    options = parse_edit_options({"operations": [{"op": "fill_form", "values": values, "flatten": flatten}]})
    return apply_edits(docs.form_pdf(), options, filename="form.pdf")


def _widgets(pdf: bytes) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for page in pymupdf.open(stream=pdf, filetype="pdf"):
        for w in page.widgets():
            found.setdefault(w.field_name, []).append(
                (w.field_value, w.on_state() if w.field_type in (2, 5) else None)
            )
    return found


def test_every_field_type_is_filled_and_reads_back() -> None:
    result = _fill(VALUES)
    widgets = _widgets(result.pdf)
    assert widgets["full_name"] == [("Ada Lovelace", None)]
    assert widgets["zip"] == [("12345", None)]
    assert widgets["agree"] == [("Yes", "Yes")]
    assert [value for value, state in widgets["size"] if value != "Off"] == ["M"]
    assert widgets["color"] == [("Blue", None)]
    doc = pymupdf.open(stream=result.pdf)
    fruits = next(w for w in doc[0].widgets() if w.field_name == "fruits")
    assert doc.xref_get_key(fruits.xref, "V") == ("array", "[(Pear)(Plum)]")
    assert result.operations == [{"op": "fill_form", "applied": True, "fields": 6, "flattened": False}]
    assert result.verification.passed


def test_flatten_bakes_values_into_the_page_and_removes_widgets() -> None:
    result = _fill({"full_name": "Grace Hopper", "agree": True, "size": "L"}, flatten=True)
    doc = pymupdf.open(stream=result.pdf)
    assert list(doc[0].widgets()) == []
    assert "Grace Hopper" in doc[0].get_text()
    assert result.operations[0]["flattened"] is True


def test_unknown_field_names_it_and_lists_the_fields() -> None:
    with pytest.raises(InputValidationError) as caught:
        _fill({"full_name": "x", "surname": "y"})
    message = caught.value.message
    assert message.startswith("options.operations[0].values: the form has no field named 'surname'")
    assert "'agree', 'color', 'fruits', 'full_name', 'size', 'submit', 'zip'" in message


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"zip": "123456"}, "values.zip: 'zip' holds at most 5 characters"),
        ({"full_name": True}, "values.full_name: 'full_name' is a text field"),
        ({"agree": "maybe"}, "values.agree: 'agree' is a checkbox"),
        ({"size": "XL"}, "values.size: 'size' is a radio group: give one of 'L', 'M', 'S'"),
        (
            {"color": "Pink"},
            "values.color: 'Pink' is not an option of 'color'; its options are 'Red', 'Green', 'Blue'",
        ),
        ({"fruits": ["Kiwi"]}, "values.fruits: 'Kiwi' is not an option of 'fruits'"),
        ({"color": ["Red", "Blue"]}, "values.color: 'color' is a single-choice combo box"),
        ({"submit": "go"}, "values.submit: 'submit' is a Button field, which cannot be filled"),
    ],
)
def test_values_are_checked_against_the_field(values: dict[str, Any], problem: str) -> None:
    with pytest.raises(InputValidationError) as caught:
        _fill(values)
    assert caught.value.message == f"options.operations[0].{problem}" or problem in caught.value.message


def test_a_document_without_a_form_says_so() -> None:
    options = parse_edit_options({"operations": [{"op": "fill_form", "values": {"a": "b"}}]})
    with pytest.raises(InputValidationError, match="the document has no form fields"):
        apply_edits(docs.numbered_pdf(1), options, filename="plain.pdf")


def test_redacting_a_filled_value_removes_it_from_the_field() -> None:
    options = parse_edit_options(
        {
            "operations": [
                {"op": "fill_form", "values": {"full_name": f"Ada {docs.EMAIL}"}},
                {"op": "redact", "pii": ["email"]},
            ]
        }
    )
    result = apply_edits(docs.form_pdf(), options, filename="form.pdf")
    assert _widgets(result.pdf)["full_name"] == [("Ada ", None)]
    assert result.operations[1]["hits_in"]["form_fields"] == 1


def test_flattened_value_cut_by_a_later_redaction_is_not_a_residual() -> None:
    options = parse_edit_options(
        {
            "operations": [
                {"op": "fill_form", "values": {"full_name": f"Ada {docs.EMAIL}"}, "flatten": True},
                {"op": "redact", "pii": ["email"]},
            ]
        }
    )
    result = apply_edits(docs.form_pdf(), options, filename="form.pdf")
    text = pymupdf.open(stream=result.pdf)[0].get_text()
    assert "Ada" in text and docs.EMAIL not in text and result.verification.passed


def test_flattened_form_page_deleted_later_is_not_read_back() -> None:
    options = parse_edit_options(
        {
            "operations": [
                {"op": "fill_form", "values": {"full_name": "Ada"}, "flatten": True},
                {"op": "append_document", "document_id": "pii"},
                {"op": "reorder_pages", "order": [2, 1]},
                {"op": "delete_pages", "pages": "2"},
                {"op": "scrub_metadata"},
            ]
        }
    )
    result = apply_edits(
        docs.form_pdf(), options, filename="form.pdf", load_document=lambda _: docs.pii_pdf()
    )
    assert result.pages == 1 and result.verification.passed
