"""extract jobs through the real state machine (moto, handlers in-process): rules, openai, bedrock.

Upload -> Parse (-> OCR) -> Extract: submit, watch the stages, read the result; model engines are
the real SDK clients against local fakes (tests/fakes), configured through settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from docjobs.engines.models import openai_compatible
from tests import extract_documents as docs
from tests.fakes.bedrock_server import FakeBedrock, Fault, start_fake_bedrock
from tests.fakes.openai_server import FakeOpenAI, Reply, start_fake_openai
from tests.integration.conftest import Gate, Pipeline, StatusSpy, Submitted

BEDROCK_MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


@pytest.fixture
def extract(pipeline: Pipeline) -> Iterator[Pipeline]:
    """Only the rules engine configured (the template's default Bedrock model switched off)."""
    pipeline.configure(BEDROCK_MODEL_ID="", OPENAI_BASE_URL="", OPENAI_MODEL="")
    openai_compatible.reset_clients()
    yield pipeline
    openai_compatible.reset_clients()


@pytest.fixture
def with_openai(extract: Pipeline) -> Iterator[FakeOpenAI]:
    fake = start_fake_openai()
    extract.configure(OPENAI_BASE_URL=fake.base_url, OPENAI_MODEL="llama3.2:3b", MODEL_TIMEOUT_SECONDS="5")
    yield fake
    fake.server.clear()
    fake.server.stop()


@pytest.fixture
def with_bedrock(extract: Pipeline) -> Iterator[FakeBedrock]:
    fake = start_fake_bedrock()
    extract.configure(BEDROCK_MODEL_ID=BEDROCK_MODEL, AWS_ENDPOINT_URL_BEDROCK_RUNTIME=fake.url)
    yield fake
    fake.server.clear()
    fake.server.stop()


def submit(
    pipeline: Pipeline, pdf: bytes, options: dict[str, Any], filename: str = "invoice.pdf"
) -> Submitted:
    document_id = pipeline.upload_document(pdf, filename)
    status, body = pipeline.api(
        "POST", "/api/jobs", {"type": "extract", "document_id": document_id, "options": options}
    )
    assert status == 202, body
    machine = pipeline.stack.state_machine_arn("ExtractStateMachine")
    return Submitted(body["id"], machine.replace(":stateMachine:", ":execution:", 1) + ":" + body["id"])


def fields_by_path(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["path"]: f for f in job["result"]["fields"]}


def test_invoice_with_rules_goes_parsing_then_extracting_and_completes(
    extract: Pipeline, status_spy: StatusSpy
) -> None:
    submitted = submit(extract, docs.invoice_pdf(), {"schema": docs.INVOICE_SCHEMA})
    job = extract.wait(submitted)
    assert job["status"] == "completed", job
    assert job["type"] == "extract" and job["progress"] == 100
    assert (job["credits"]["cost"], job["credits"]["state"]) == (2, "committed")  # 2 a page
    stages = status_spy.stages(submitted.job_id)
    assert stages.index("parsing") < stages.index("extracting")
    result = job["result"]
    assert result["data"] == docs.INVOICE_EXPECTED
    assert result["validation"] == {"valid": True, "errors": []}
    assert result["metadata"]["engine"] == "rules" and result["metadata"]["model"] is None
    assert result["metadata"]["usage"] == {"input_tokens": 0, "output_tokens": 0}
    number = fields_by_path(job)["/invoice_number"]
    assert number["verified"] is True and number["page"] == 1 and len(number["bbox"]) == 4
    assert [s for s in extract.states_entered(submitted) if s in {"Upload", "Parse", "Extract"}] == [
        "Upload",
        "Parse",
        "Extract",
    ]


def test_scanned_invoice_goes_through_ocr_once(
    extract: Pipeline, status_spy: StatusSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The OCR stage reads the scanned page; the extract stage cites from the words it kept."""
    from docjobs.engines import ocr

    reads: list[int] = []
    real = ocr.read_page

    def counted(page: Any, **kwargs: Any) -> Any:
        reads.append(page.number + 1)
        return real(page, **kwargs)

    monkeypatch.setattr(ocr, "read_page", counted)
    submitted = submit(extract, docs.scanned_invoice_pdf(), {"schema": docs.INVOICE_SCHEMA}, "scan.pdf")
    job = extract.wait(submitted, timeout=120)
    assert job["status"] == "completed", job
    assert "ocr" in status_spy.stages(submitted.job_id)
    assert job["result"]["data"]["total"] == 5283.85
    assert job["result"]["metadata"]["ocr_pages"] == [1]
    assert reads == [1]
    number = fields_by_path(job)["/invoice_number"]
    assert number["verified"] is True and number["page"] == 1
    x0, y0, x1, y1 = number["bbox"]
    assert 0 < x0 < x1 <= 612 and 0 < y0 < y1 <= 792


def test_a_bad_schema_is_a_400_naming_the_option(extract: Pipeline) -> None:
    document_id = extract.upload_document(docs.invoice_pdf(), "invoice.pdf")
    schema = {"type": "object", "properties": {"total": {"type": "money"}}}
    status, body = extract.api(
        "POST", "/api/jobs", {"type": "extract", "document_id": document_id, "options": {"schema": schema}}
    )
    assert status == 400 and body["error_code"] == "VALIDATION_ERROR"
    assert "options.schema.properties.total.type" in body["error"]


def test_an_unconfigured_engine_is_a_400_naming_the_configured_ones(extract: Pipeline) -> None:
    document_id = extract.upload_document(docs.invoice_pdf(), "invoice.pdf")
    status, body = extract.api(
        "POST",
        "/api/jobs",
        {
            "type": "extract",
            "document_id": document_id,
            "options": {"schema": docs.LETTER_SCHEMA, "engine": "bedrock"},
        },
    )
    assert status == 400 and body["error_code"] == "VALIDATION_ERROR"
    assert "options.engine" in body["error"] and "configured engines: rules" in body["error"]


def test_page_beyond_the_document_fails_the_job_with_validation_error(extract: Pipeline) -> None:
    job = extract.wait(submit(extract, docs.invoice_pdf(), {"schema": docs.INVOICE_SCHEMA, "pages": "4-"}))
    assert job["status"] == "failed" and job["error_code"] == "VALIDATION_ERROR"
    assert "options.pages" in job["error"]


def test_openai_values_are_verified_when_on_the_page_and_not_when_planted(
    with_openai: FakeOpenAI, extract: Pipeline
) -> None:
    with_openai.reply({**docs.INVOICE_EXPECTED, "purchase_order": "PO-31337"})
    job = extract.wait(
        submit(extract, docs.invoice_pdf(), {"schema": docs.INVOICE_SCHEMA, "engine": "openai"})
    )
    assert job["status"] == "completed", job
    fields = fields_by_path(job)
    assert fields["/total"]["verified"] is True and fields["/total"]["page"] == 1
    assert fields["/purchase_order"]["verified"] is False and fields["/purchase_order"]["page"] is None
    assert job["result"]["data"]["purchase_order"] == "PO-31337"
    assert (
        job["result"]["metadata"]["engine"] == "openai"
        and job["result"]["metadata"]["model"] == "llama3.2:3b"
    )


def test_openai_throttling_shows_retrying_then_completes(
    with_openai: FakeOpenAI, extract: Pipeline, status_spy: StatusSpy
) -> None:
    # the SDK's own two quick retries, then the state machine's backoff, then success
    with_openai.reply(*[Reply(status=429, message="rate limited")] * 3, {"invoice_number": "INV-0042"})
    schema = {"type": "object", "properties": {"invoice_number": {"type": "string"}}}
    submitted = submit(extract, docs.invoice_pdf(), {"schema": schema, "engine": "openai"})
    job = extract.wait(submitted, timeout=120)
    assert job["status"] == "completed", job
    assert job["retry_count"] >= 1
    assert "retrying" in status_spy.statuses(submitted.job_id)
    assert job["result"]["data"] == {"invoice_number": "INV-0042"}


def test_openai_output_invalid_twice_fails_with_validation_error(
    with_openai: FakeOpenAI, extract: Pipeline
) -> None:
    with_openai.reply({"invoice_number": 42}, {"invoice_number": 43})
    schema = {
        "type": "object",
        "properties": {"invoice_number": {"type": "string"}},
        "required": ["invoice_number"],
    }
    job = extract.wait(submit(extract, docs.invoice_pdf(), {"schema": schema, "engine": "openai"}))
    assert job["status"] == "failed" and job["error_code"] == "VALIDATION_ERROR"
    assert "/invoice_number: 43 is not of type 'string'" in job["error"]


def test_bedrock_through_the_real_client_throttled_then_completed(
    with_bedrock: FakeBedrock, extract: Pipeline, status_spy: StatusSpy
) -> None:
    # botocore's own two quick retries, then the state machine's backoff, then success
    with_bedrock.reply(
        *[Fault("ThrottlingException", 429, "Too many requests")] * 3, {"invoice_number": "INV-0042"}
    )
    schema = {"type": "object", "properties": {"invoice_number": {"type": "string"}}}
    submitted = submit(extract, docs.invoice_pdf(), {"schema": schema})  # auto: bedrock is configured
    job = extract.wait(submitted, timeout=120)
    assert job["status"] == "completed", job
    assert "retrying" in status_spy.statuses(submitted.job_id)
    assert (
        job["result"]["metadata"]["engine"] == "bedrock"
        and job["result"]["metadata"]["model"] == BEDROCK_MODEL
    )
    assert job["result"]["metadata"]["usage"]["input_tokens"] > 0
    model, request = with_bedrock.requests[-1]
    assert model == BEDROCK_MODEL
    assert request["toolConfig"]["toolChoice"] == {"tool": {"name": "record_result"}}
    assert request["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"] == schema
    assert fields_by_path(job)["/invoice_number"]["verified"] is True


def test_bedrock_permanent_error_fails_the_job_without_retrying(
    with_bedrock: FakeBedrock, extract: Pipeline
) -> None:
    with_bedrock.reply(Fault("AccessDeniedException", 403, "You don't have access to the model"))
    job = extract.wait(submit(extract, docs.invoice_pdf(), {"schema": docs.LETTER_SCHEMA}))
    assert job["status"] == "failed" and job["error_code"] == "INTERNAL_ERROR"
    assert "model access" in job["error"] and job["retry_count"] == 0
    assert len(with_bedrock.requests) == 1


def test_cancel_during_extracting_publishes_nothing(
    extract: Pipeline, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    from docjobs.jobtypes.extract import extraction

    real = extraction.run_extraction

    def blocked(*args: Any, **kwargs: Any) -> Any:
        gate.block()
        return real(*args, **kwargs)

    monkeypatch.setattr(extraction, "run_extraction", blocked)
    submitted = submit(extract, docs.invoice_pdf(), {"schema": docs.INVOICE_SCHEMA})
    try:
        gate.wait_entered()
        assert extract.get(submitted.job_id)["stage"] == "extracting"
        status, body = extract.api("DELETE", f"/api/jobs/{submitted.job_id}")
        assert status == 200, body
    finally:
        gate.release.set()
    extract.stack.wait_for_execution(submitted.execution_arn, timeout=30)
    job = extract.get(submitted.job_id)
    assert job["status"] == "cancelled" and job["result"] is None
    assert extract.result_keys(submitted.job_id) == []


def test_with_textract_ocr_the_extract_stage_still_cites_the_scanned_page(
    extract: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared Textract path reads the scanned page; the extract stage cites from Textract's
    WORD blocks (moto answers with blocks made from the invoice's own words and positions)."""
    import pymupdf
    from moto.textract.models import TextractBackend

    monkeypatch.setattr(TextractBackend, "BLOCKS", textract_word_blocks(docs.invoice_pdf()))
    monkeypatch.setattr(TextractBackend, "PAGES", 1)
    extract.configure(OCR_ENGINE="textract", TEXTRACT_POLL_SECONDS="1")
    doc = pymupdf.open()
    doc.insert_pdf(pymupdf.open(stream=docs.letter_pdf(), filetype="pdf"))
    doc.insert_pdf(pymupdf.open(stream=docs.scanned_invoice_pdf(), filetype="pdf"))
    submitted = submit(extract, doc.tobytes(), {"schema": docs.INVOICE_SCHEMA, "pages": "2"})
    job = extract.wait(submitted, timeout=120)
    assert job["status"] == "completed", job
    assert {"TextractStart", "TextractWait", "TextractPoll", "TextractDone"} <= set(
        extract.states_entered(submitted)
    )
    assert job["result"]["data"]["invoice_number"] == "INV-0042"
    assert job["result"]["data"]["total"] == 5283.85
    assert job["result"]["metadata"]["ocr_pages"] == [2]
    number = fields_by_path(job)["/invoice_number"]
    assert number["page"] == 2 and number["verified"] is True


def textract_word_blocks(pdf: bytes) -> list[dict[str, Any]]:
    """What Textract's text detection answers for a one-page document: a PAGE block and a WORD
    block per word, each with its BoundingBox as fractions of the page."""
    import pymupdf

    with pymupdf.open(stream=pdf, filetype="pdf") as document:
        page = document[0]
        width, height = page.rect.width, page.rect.height
        words = page.get_text("words", sort=True)
    blocks: list[dict[str, Any]] = [{"BlockType": "PAGE", "Id": "page-1", "Page": 1}]
    for index, (x0, y0, x1, y1, text, *_) in enumerate(words):
        box = {
            "Left": x0 / width,
            "Top": y0 / height,
            "Width": (x1 - x0) / width,
            "Height": (y1 - y0) / height,
        }
        blocks.append(
            {
                "BlockType": "WORD",
                "Id": f"word-{index}",
                "Page": 1,
                "Text": text,
                "Confidence": 99.0,
                "Geometry": {"BoundingBox": box},
            }
        )
    return blocks


def test_cancel_while_the_engine_runs_withdraws_the_result_and_ends_in_job_cancelled(
    extract: Pipeline, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """StopExecution lost: the stage finishes its work, its publish finds the job cancelled,
    withdraws the result it wrote, and the state machine ends quietly in JobCancelled."""
    from docjobs.adapters import executions
    from docjobs.jobtypes.extract import extraction

    monkeypatch.setattr(executions, "stop_execution", lambda execution_arn, cause: None)
    real = extraction.run_extraction

    def blocked(*args: Any, **kwargs: Any) -> Any:
        gate.block()
        return real(*args, **kwargs)

    monkeypatch.setattr(extraction, "run_extraction", blocked)
    submitted = submit(extract, docs.invoice_pdf(), {"schema": docs.INVOICE_SCHEMA})
    try:
        gate.wait_entered()
        status, _ = extract.api("DELETE", f"/api/jobs/{submitted.job_id}")
        assert status == 200
    finally:
        gate.release.set()
    job = extract.wait(submitted)
    assert extract.states_entered(submitted)[-1] == "JobCancelled"
    assert job["status"] == "cancelled" and job["result"] is None
    assert extract.result_keys(submitted.job_id) == []
