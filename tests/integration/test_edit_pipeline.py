"""Edit jobs through the real state machine (statemachines/edit.asl.json in moto, stage handlers
in process): Upload → Parse [→ OCR] → Edit → JobSucceeded, and every way it can end otherwise.

The output is an output document: its own document_id, GET /api/documents/{id}, and a parse job
accepts it. A failed verification, a cancel, or a bad option registers nothing.
"""

from __future__ import annotations

from typing import Any

import pymupdf
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.textract.models import TextractBackend, textract_backends

from tests import edit_documents as docs
from tests import sample_documents as samples
from tests.integration.conftest import Gate, Pipeline, Submitted

ALL_PII = ["email", "phone", "credit_card", "iban", "us_ssn"]


def _submit_edit(pipeline: Pipeline, data: bytes, filename: str, **options: Any) -> Submitted:
    document_id = pipeline.upload_document(data, filename)
    status, body = pipeline.api(
        "POST", "/api/jobs", {"type": "edit", "document_id": document_id, "options": options}
    )
    assert status == 202, body
    machine = pipeline.stack.state_machine_arn("EditStateMachine")
    return Submitted(body["id"], machine.replace(":stateMachine:", ":execution:", 1) + ":" + body["id"])


def _documents(pipeline: Pipeline) -> list[str]:
    listing = pipeline.stack.client("s3").list_objects_v2(
        Bucket=pipeline.bucket, Prefix=f"documents/{pipeline.tenant}/"
    )
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def _output_pdf(pipeline: Pipeline, result: dict[str, Any]) -> bytes:
    key = f"documents/{pipeline.tenant}/{result['document_id']}/{result['filename']}"
    return bytes(pipeline.stack.client("s3").get_object(Bucket=pipeline.bucket, Key=key)["Body"].read())


def test_redaction_job_registers_a_verified_output_document_a_parse_job_accepts(pipeline: Pipeline) -> None:
    submitted = _submit_edit(
        pipeline,
        docs.pii_pdf(),
        "statement.pdf",
        operations=[
            {"op": "redact", "pii": ALL_PII},
            {"op": "stamp", "text": "REDACTED COPY", "position": "top", "opacity": 0.5},
            {"op": "set_metadata", "title": "Statement (redacted)"},
        ],
    )
    job = pipeline.wait(submitted)
    assert job["status"] == "completed", job
    assert job["type"] == "edit" and job["stage"] is None and job["progress"] == 100
    states = pipeline.states_entered(submitted)
    assert states == ["Upload", "Parse", "ParseInRanges", "NeedsOcr", "Edit", "JobSucceeded"]

    result = job["result"]
    assert result["filename"] == "statement_edited.pdf" and result["pages"] == 1
    assert result["url"].startswith("http") and result["bytes"] > 0
    assert [op["op"] for op in result["operations"]] == ["redact", "stamp", "set_metadata"]
    assert result["operations"][0]["hits_in"]["text"] == 9
    assert result["verification"] == {"passed": True, "residual": []}

    status, info = pipeline.api("GET", f"/api/documents/{result['document_id']}")
    assert status == 200, info
    assert info["source_job_id"] == job["id"] and info["content_type"] == "application/pdf"
    assert (
        info["pages"] == 1 and info["bytes"] == result["bytes"] and info["filename"] == "statement_edited.pdf"
    )

    pdf = pymupdf.open(stream=_output_pdf(pipeline, result), filetype="pdf")
    text = pdf[0].get_text()
    assert docs.EMAIL not in text and docs.CARD_VALID not in text and docs.CARD_INVALID in text
    assert "REDACTED COPY" in text and pdf.metadata["title"] == "Statement (redacted)"

    status, body = pipeline.api(
        "POST", "/api/jobs", {"type": "parse", "document_id": result["document_id"], "options": {}}
    )
    assert status == 202, body
    parsed = pipeline.wait(Submitted(body["id"], pipeline.execution_arn(body["id"])))
    assert parsed["status"] == "completed", parsed
    chunks = " ".join(chunk["text"] for chunk in parsed["result"]["chunks"])
    assert "for questions." in chunks and docs.EMAIL not in chunks


def test_form_and_page_operations_from_the_api(pipeline: Pipeline) -> None:
    appendix = pipeline.upload_document(docs.numbered_pdf(2), "appendix.pdf")
    submitted = _submit_edit(
        pipeline,
        docs.form_pdf(),
        "form.pdf",
        operations=[
            {"op": "fill_form", "values": {"full_name": "Ada Lovelace", "size": "S", "agree": True}},
            {"op": "append_document", "document_id": appendix},
            {"op": "rotate_pages", "pages": "2-", "degrees": 90},
            {"op": "reorder_pages", "order": [2, 3, 1]},
            {"op": "scrub_metadata"},
        ],
        output_filename="application-filled",
    )
    job = pipeline.wait(submitted)
    assert job["status"] == "completed", job
    result = job["result"]
    assert result["filename"] == "application-filled.pdf" and result["pages"] == 3
    pdf = pymupdf.open(stream=_output_pdf(pipeline, result), filetype="pdf")
    assert [page.rotation for page in pdf] == [90, 90, 0]
    assert docs.page_markers(_output_pdf(pipeline, result))[:2] == [1, 2]
    values = {w.field_name: w.field_value for w in pdf[2].widgets()}
    assert values["full_name"] == "Ada Lovelace" and values["agree"] == "Yes"


def test_bad_options_are_refused_at_submission_naming_the_option(pipeline: Pipeline) -> None:
    document_id = pipeline.upload_document(docs.numbered_pdf(2), "doc.pdf")
    other = Pipeline(pipeline.stack, pipeline.monkeypatch)
    foreign = other.upload_document(docs.numbered_pdf(1), "theirs.pdf")
    cases = [
        ([{"op": "shred"}], "options.operations[0].op"),
        ([{"op": "scrub_metadata"}, {"op": "delete_pages", "pages": "2-1"}], "options.operations[1].pages"),
        ([{"op": "rotate_pages", "degrees": 45}], "options.operations[0].degrees"),
        ([{"op": "reorder_pages", "order": [1, 1]}], "options.operations[0].order"),
        ([{"op": "redact", "patterns": ["(unclosed"]}], "options.operations[0].patterns[0]"),
        (
            [{"op": "stamp", "text": "x"}, {"op": "append_document", "document_id": "nope"}],
            "options.operations[1].document_id: there is no document 'nope'",
        ),
        ([{"op": "append_document", "document_id": foreign}], f"there is no document '{foreign}'"),
    ]
    for operations, expected in cases:
        status, body = pipeline.api(
            "POST",
            "/api/jobs",
            {"type": "edit", "document_id": document_id, "options": {"operations": operations}},
        )
        assert status == 400, (operations, body)
        assert body["error_code"] == "VALIDATION_ERROR" and expected in body["error"], body
    assert pipeline.api("GET", "/api/jobs?type=edit")[1]["total"] == 0


def test_failed_verification_fails_the_job_and_registers_nothing(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # text that survives the redaction (simulated: MuPDF applies nothing)
    monkeypatch.setattr(pymupdf.Page, "apply_redactions", lambda self, *a, **k: True)
    submitted = _submit_edit(
        pipeline, docs.pii_pdf(), "statement.pdf", operations=[{"op": "redact", "pii": ["email"]}]
    )
    job = pipeline.wait(submitted)
    assert job["status"] == "failed", job
    assert job["error_code"] == "VALIDATION_ERROR" and job["stage"] == "generating"
    assert job["error"].startswith("verification of the edited document failed, so it was not saved")
    assert "options.operations[0].pii still matches" in job["error"] and docs.EMAIL not in job["error"]
    assert pipeline.states_entered(submitted)[-2:] == ["RecordFailure", "JobFailed"]
    assert len(_documents(pipeline)) == 1  # only the input
    assert pipeline.result_keys(submitted.job_id) == []


def test_catastrophic_pattern_fails_with_validation_error_in_bounded_time(pipeline: Pipeline) -> None:
    doc = pymupdf.open()
    doc.new_page().insert_text((10, 100), "a" * 5000 + "!", fontsize=4)
    submitted = _submit_edit(
        pipeline, doc.tobytes(), "long.pdf", operations=[{"op": "redact", "patterns": ["(a+)+$"]}]
    )
    job = pipeline.wait(submitted)
    assert job["status"] == "failed" and job["error_code"] == "VALIDATION_ERROR", job
    assert job["error"].startswith("options.operations[0].patterns[0]: the regular expression ran out of its")


def test_encrypted_input_fails_with_parse_error(pipeline: Pipeline) -> None:
    job = pipeline.wait(
        _submit_edit(pipeline, docs.encrypted_pdf(), "locked.pdf", operations=[{"op": "scrub_metadata"}])
    )
    assert job["status"] == "failed" and job["error_code"] == "PARSE_ERROR" and "encrypted" in job["error"]


def test_a_field_the_form_lacks_fails_naming_it(pipeline: Pipeline) -> None:
    submitted = _submit_edit(
        pipeline, docs.form_pdf(), "form.pdf", operations=[{"op": "fill_form", "values": {"surname": "x"}}]
    )
    job = pipeline.wait(submitted)
    assert job["status"] == "failed" and job["error_code"] == "VALIDATION_ERROR", job
    assert "options.operations[0].values: the form has no field named 'surname'" in job["error"]
    assert "'full_name'" in job["error"]


@pytest.mark.parametrize("stop_lost", [False, True], ids=["stopped", "stop-execution-lost"])
def test_cancel_during_generating_registers_no_output(
    pipeline: Pipeline, gate: Gate, monkeypatch: pytest.MonkeyPatch, stop_lost: bool
) -> None:
    """Cancelled while the edited PDF is written and verified: nothing is registered. When
    StopExecution is lost, publishing finds the job cancelled, withdraws what it copied and the
    execution ends in JobCancelled."""
    from docjobs.adapters import executions
    from docjobs.jobtypes.edit import editor

    if stop_lost:
        monkeypatch.setattr(executions, "stop_execution", lambda execution_arn, cause: None)
    real = editor.apply_edits

    def blocked(*args: Any, **kwargs: Any) -> Any:
        edited = real(*args, **kwargs)
        gate.block()  # the output is written and verified; the job is about to publish it
        return edited

    monkeypatch.setattr(editor, "apply_edits", blocked)
    submitted = _submit_edit(
        pipeline, docs.numbered_pdf(3), "doc.pdf", operations=[{"op": "delete_pages", "pages": "1"}]
    )
    try:
        gate.wait_entered()
        status, body = pipeline.api("DELETE", f"/api/jobs/{submitted.job_id}")
        assert status == 200, body
    finally:
        gate.release.set()
    pipeline.stack.wait_for_execution(submitted.execution_arn, timeout=30)
    job = pipeline.get(submitted.job_id)
    assert job["status"] == "cancelled" and job["result"] is None
    if stop_lost:
        assert pipeline.states_entered(submitted)[-2:] == ["Edit", "JobCancelled"]
    else:  # stopped mid-task: moto reports the stopped execution as aborted or failed
        assert pipeline.execution_status(submitted) in {"ABORTED", "FAILED"}
        assert not {"RecordFailure", "JobFailed", "JobSucceeded"} & set(pipeline.states_entered(submitted))
    assert len(_documents(pipeline)) == 1  # only the input
    assert pipeline.result_keys(submitted.job_id) == []


def test_comprehend_pii_engine_redacts_what_comprehend_finds(pipeline: Pipeline) -> None:
    # moto's DetectPiiEntities answers canned offsets: a NAME at 50-58 (the others fall beyond this text)
    line = "Patient record prepared for the clinic on Monday: "
    assert len(line) == 50
    doc = pymupdf.open()
    doc.new_page().insert_text((40, 72), line + "Jane Roe visited.", fontsize=9)
    submitted = _submit_edit(
        pipeline, doc.tobytes(), "record.pdf", operations=[{"op": "redact", "pii_engine": "comprehend"}]
    )
    job = pipeline.wait(submitted)
    assert job["status"] == "completed", job
    text = pymupdf.open(stream=_output_pdf(pipeline, job["result"]), filetype="pdf")[0].get_text()
    assert "Jane Roe" not in text and "visited." in text and "Monday:" in text


def test_a_scanned_pages_match_found_by_tesseract_is_removed_from_the_image(pipeline: Pipeline) -> None:
    from docjobs.engines.ocr import TesseractEngine

    submitted = _submit_edit(
        pipeline, docs.scanned_pdf(), "scan.pdf", ocr="auto", operations=[{"op": "redact", "pii": ["email"]}]
    )
    job = pipeline.wait(submitted)
    assert job["status"] == "completed", job
    assert "OcrPages" in pipeline.states_entered(submitted)
    report = job["result"]["operations"][0]
    assert report["hits_in"]["scanned_text"] == 1 and report["pages"] == [1]
    assert "page(s) 1 have no text layer" in report["warnings"][0]
    assert "OCR found 1 match(es) there and their image pixels were removed" in report["warnings"][0]
    (page,) = TesseractEngine().ocr_pages(_output_pdf(pipeline, job["result"]), [1])
    assert "@" not in page.text and "letter" in page.text


def test_a_scanned_pages_match_found_by_textract_is_removed_from_the_image(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Textract's answer for the picture on page 2 (drawn at 72,72-472,152 on a 595 x 842 page):
    # a line and its words, the e-mail's box over the picture.
    words = [("Scanned", 80), ("reply", 150), ("from", 210), (docs.EMAIL, 270)]
    blocks: list[dict[str, Any]] = [
        {"BlockType": "PAGE", "Id": "p1", "Page": 1},
        {"BlockType": "LINE", "Id": "l1", "Text": f"Scanned reply from {docs.EMAIL}", "Page": 1},
    ]
    for index, (text, left) in enumerate(words):
        width = 190 if "@" in text else 55
        box = {"Left": left / 595, "Top": 90 / 842, "Width": width / 595, "Height": 30 / 842}
        word = {"BlockType": "WORD", "Id": f"w{index}", "Text": text, "Page": 1}
        blocks.append({**word, "Geometry": {"BoundingBox": box}})
    monkeypatch.setattr(TextractBackend, "BLOCKS", blocks)
    monkeypatch.setattr(TextractBackend, "PAGES", 1)
    pipeline.configure(OCR_ENGINE="textract", TEXTRACT_POLL_SECONDS="1")
    submitted = _submit_edit(
        pipeline,
        samples.mixed_pdf(),
        "mixed.pdf",
        ocr="auto",
        operations=[{"op": "redact", "pii": ["email"]}],
    )
    job = pipeline.wait(submitted)
    assert job["status"] == "completed", job
    assert {"TextractStart", "TextractWait", "TextractPoll", "TextractDone"} <= set(
        pipeline.states_entered(submitted)
    )
    assert textract_backends[DEFAULT_ACCOUNT_ID]["us-east-1"] is not None
    report = job["result"]["operations"][0]
    assert report["hits_in"]["scanned_text"] == 1 and report["pages"] == [2]
    assert "page(s) 2 have no text layer" in report["warnings"][0]
    assert "OCR found 1 match(es) there and their image pixels were removed" in report["warnings"][0]
