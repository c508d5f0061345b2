"""generate with options.instructions through the real generate state machine (moto, handlers
in-process): extracting (the openai engine, the real SDK client against the local fake server)
writes Markdown from the input document, generating renders it as a PDF output document."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pymupdf
import pytest

from docjobs.engines.models import openai_compatible
from tests.fakes.openai_server import FakeOpenAI, Reply, start_fake_openai
from tests.integration.conftest import Pipeline, StatusSpy, Submitted

MACHINE = "GenerateStateMachine"
WRITTEN = "# Lease summary\n\nThe tenant pays **900 EUR** a month for three years.\n\n- deposit: 2700 EUR\n"


@pytest.fixture
def with_openai(pipeline: Pipeline) -> Iterator[FakeOpenAI]:
    fake = start_fake_openai()
    pipeline.configure(
        BEDROCK_MODEL_ID="",
        OPENAI_BASE_URL=fake.base_url,
        OPENAI_MODEL="llama3.2:3b",
        MODEL_TIMEOUT_SECONDS="5",
    )
    openai_compatible.reset_clients()
    yield fake
    openai_compatible.reset_clients()
    fake.server.clear()
    fake.server.stop()


def _lease_pdf() -> bytes:
    document = pymupdf.open()
    page = document.new_page()
    page.insert_text((72, 72), "LEASE AGREEMENT. Monthly rent: 900 EUR. Term: three years.")
    page.insert_text((72, 100), "Deposit: 2700 EUR, returned at the end of the term.")
    return document.tobytes()


def _submit(pipeline: Pipeline, options: dict[str, Any], **fields: Any) -> Submitted:
    status, body = pipeline.api("POST", "/api/jobs", {"type": "generate", "options": options, **fields})
    assert status == 202, body
    arn = pipeline.stack.state_machine_arn(MACHINE).replace(":stateMachine:", ":execution:", 1)
    return Submitted(body["id"], f"{arn}:{body['id']}")


def _output_text(pipeline: Pipeline, document_id: str) -> str:
    status, info = pipeline.api("GET", f"/api/documents/{document_id}")
    assert status == 200, info
    key = f"documents/{pipeline.tenant}/{document_id}/{info['filename']}"
    pdf = pipeline.stack.client("s3").get_object(Bucket=pipeline.bucket, Key=key)["Body"].read()
    with pymupdf.open(stream=io.BytesIO(pdf), filetype="pdf") as document:
        return " ".join(page.get_text() for page in document)


def test_instructions_write_markdown_from_the_document_and_it_becomes_the_pdf(
    with_openai: FakeOpenAI, pipeline: Pipeline, status_spy: StatusSpy
) -> None:
    with_openai.reply({"markdown": WRITTEN})
    document_id = pipeline.upload_document(_lease_pdf(), "lease.pdf")
    submitted = _submit(
        pipeline, {"instructions": "Summarise the lease for the tenant"}, document_id=document_id
    )
    job = pipeline.wait(submitted, timeout=120)
    assert job["status"] == "completed", job
    stages = status_spy.stages(submitted.job_id)
    assert stages.index("extracting") < stages.index("generating")
    result = job["result"]
    assert result["format"] == "pdf" and result["pages"] == 1
    assert (job["credits"]["cost"], job["credits"]["state"]) == (1, "committed")  # 1 per output page
    assert result["model"]["engine"] == "openai" and result["model"]["model"] == "llama3.2:3b"
    assert result["model"]["pages_read"] == 1 and result["model"]["truncated"] is False
    text = _output_text(pipeline, result["document_id"])
    assert "Lease summary" in text and "900 EUR" in text and "deposit: 2700 EUR" in text
    assert "**" not in text and "# " not in text  # rendered, not the Markdown source
    # the model read the document and the instructions
    user = with_openai.requests[-1]["messages"][-1]["content"]
    assert "Summarise the lease for the tenant" in user and "Monthly rent: 900 EUR" in user


def test_the_written_markdown_fills_a_template_as_generated(
    with_openai: FakeOpenAI, pipeline: Pipeline
) -> None:
    with_openai.reply({"markdown": WRITTEN})
    document_id = pipeline.upload_document(_lease_pdf(), "lease.pdf")
    template = "<h1>Report for {{ name }}</h1><div>{{ generated_html | safe }}</div>"
    submitted = _submit(
        pipeline,
        {"template": {"html": template}, "data": {"name": "ACME"}, "instructions": "Summarise"},
        document_id=document_id,
    )
    job = pipeline.wait(submitted, timeout=120)
    assert job["status"] == "completed", job
    assert set(job["result"]["variables"]) == {"name", "generated_html"}
    text = _output_text(pipeline, job["result"]["document_id"])
    assert "Report for ACME" in text and "Lease summary" in text and "deposit: 2700 EUR" in text


def test_a_throttled_model_shows_retrying_then_completes(
    with_openai: FakeOpenAI, pipeline: Pipeline, status_spy: StatusSpy
) -> None:
    # the SDK's own two quick retries, then the state machine's backoff, then success
    with_openai.reply(*[Reply(status=429, message="rate limited")] * 3, {"markdown": WRITTEN})
    submitted = _submit(
        pipeline, {"instructions": "Write a one-paragraph lease summary", "output": {"format": "md"}}
    )
    job = pipeline.wait(submitted, timeout=120)
    assert job["status"] == "completed", job
    assert job["retry_count"] >= 1
    assert "retrying" in status_spy.statuses(submitted.job_id)
    assert job["result"]["format"] == "md"


def test_markdown_that_never_validates_fails_the_job_with_validation_error(
    with_openai: FakeOpenAI, pipeline: Pipeline
) -> None:
    with_openai.reply({"text": "no markdown key"}, {"text": "still none"})
    submitted = _submit(pipeline, {"instructions": "Write something"})
    job = pipeline.wait(submitted, timeout=120)
    assert job["status"] == "failed", job
    assert job["error_code"] == "VALIDATION_ERROR"
    assert 'the answer shape {"markdown": "..."}' in job["error"]
    assert job["result"] is None


def test_a_missing_input_document_is_a_400(with_openai: FakeOpenAI, pipeline: Pipeline) -> None:
    status, body = pipeline.api(
        "POST",
        "/api/jobs",
        {"type": "generate", "document_id": "doc_missing", "options": {"instructions": "x"}},
    )
    assert status == 400 and "doc_missing does not exist" in body["error"], body
