"""Extraction through a model engine (the real openai client, a fake server): citations and windows."""

from __future__ import annotations

import json
from typing import Any

import pymupdf
import pytest

from docjobs.core.errors import ModelOutputInvalidError
from docjobs.engines.models import resolve_engine
from docjobs.jobtypes.extract.extraction import run_extraction
from docjobs.jobtypes.extract.options import ExtractOptions
from tests import extract_documents as docs
from tests.fakes.openai_server import FakeOpenAI


def extract(pdf: bytes, schema: dict[str, Any], **options: Any) -> dict[str, Any]:
    with pymupdf.open(stream=pdf, filetype="pdf") as document:
        return run_extraction(
            document,
            ExtractOptions.model_validate({"schema": schema, **options}),
            resolve_engine("openai", None),
        )


def test_model_values_found_on_the_page_are_verified_and_planted_ones_are_not(
    fake_openai: FakeOpenAI,
) -> None:
    answer = {**docs.INVOICE_EXPECTED, "purchase_order": "PO-7777"}  # not in the document
    fake_openai.reply(answer)
    result = extract(docs.invoice_pdf(), docs.INVOICE_SCHEMA, instructions="Amounts in USD")
    fields = {f["path"]: f for f in result["fields"]}
    assert result["data"]["purchase_order"] == "PO-7777"  # kept ...
    planted = fields["/purchase_order"]
    assert (
        planted["verified"] is False and planted["page"] is None and planted["confidence"] < 0.5
    )  # ... flagged
    total = fields["/total"]
    assert (total["verified"], total["page"], total["text"], total["source"]) == (
        True,
        1,
        "$5,283.85",
        "model",
    )
    assert fields["/invoice_date"]["text"] == "March 5, 2026"
    assert fields["/line_items/1/description"]["verified"] is True
    assert result["metadata"]["engine"] == "openai" and result["metadata"]["model"] == "llama3.2:3b"
    assert result["metadata"]["usage"]["input_tokens"] > 0
    system = fake_openai.requests[0]["messages"][0]["content"]
    assert "Amounts in USD" in system
    assert "INV-0042" in fake_openai.requests[0]["messages"][1]["content"]


def test_long_documents_go_in_page_windows_and_the_answers_merge(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_MAX_INPUT_TOKENS", "700")  # one page a window
    doc = pymupdf.open()
    for _ in range(3):
        doc.insert_pdf(pymupdf.open(stream=docs.invoice_pdf(), filetype="pdf"))
    item = docs.INVOICE_EXPECTED["line_items"][0]
    fake_openai.reply(
        {"invoice_number": "INV-0042", "total": None, "line_items": [item]},
        {"invoice_number": "INV-9999", "total": 5283.85, "line_items": [item]},
        {"invoice_number": None, "total": 1.0, "line_items": [docs.INVOICE_EXPECTED["line_items"][1]]},
    )
    schema = {k: v for k, v in docs.INVOICE_SCHEMA.items() if k != "required"}
    result = extract(doc.tobytes(), schema)
    assert len(fake_openai.requests) == 3
    for number, request in enumerate(fake_openai.requests, start=1):
        user = request["messages"][1]["content"]
        assert f"--- Page {number} ---" in user and user.count("--- Page") == 1
        sent_schema = request["response_format"]["json_schema"]["schema"]
        assert sent_schema["properties"]["total"]["type"] == ["number", "null"]  # a window may lack it
    data = result["data"]
    assert data["invoice_number"] == "INV-0042"  # first window that gives a value found on its pages
    assert data["total"] == 5283.85  # 1.0 of window 3 is not on page 3; window 2's value is
    assert data["line_items"] == [item, docs.INVOICE_EXPECTED["line_items"][1]]  # repeat at the edge dropped
    assert result["metadata"]["windows"] == 3


def test_merged_answer_that_does_not_validate_fails(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_MAX_INPUT_TOKENS", "700")  # one page a window
    doc = pymupdf.open()
    for _ in range(2):
        doc.insert_pdf(pymupdf.open(stream=docs.invoice_pdf(), filetype="pdf"))
    fake_openai.default = {"invoice_number": None}
    with pytest.raises(ModelOutputInvalidError) as caught:
        extract(doc.tobytes(), docs.INVOICE_SCHEMA)
    assert "does not validate" in caught.value.message


def test_a_window_the_model_refuses_as_too_long_is_halved(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes.openai_server import Reply

    doc = pymupdf.open()
    for _ in range(2):
        doc.insert_pdf(pymupdf.open(stream=docs.invoice_pdf(), filetype="pdf"))
    fake_openai.reply(
        Reply(status=400, message="prompt is too long: maximum context length is 512 tokens"),
        {"invoice_number": "INV-0042"},
        {"invoice_number": "INV-0042"},
    )
    schema = {"type": "object", "properties": {"invoice_number": {"type": "string"}}}
    result = extract(doc.tobytes(), schema)
    assert result["data"] == {"invoice_number": "INV-0042"}
    assert [r["messages"][1]["content"].count("--- Page") for r in fake_openai.requests] == [2, 1, 1]
    assert json.dumps(result["fields"][0]["page"]) == "1"
