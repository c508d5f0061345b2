"""Credits through the real state machine: a job over the limit fails QUOTA_EXCEEDED before any
paid engine runs; concurrent jobs never overspend; failed and cancelled jobs cost nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from docjobs.adapters import ledger
from docjobs.core.values import credit_period
from tests import sample_documents as samples
from tests.integration.conftest import Pipeline


def test_a_job_over_the_limit_fails_quota_exceeded_before_ocr(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from docjobs.engines import ocr

    ocr_calls: list[Any] = []
    real_engine = ocr.get_ocr_engine
    monkeypatch.setattr(ocr, "get_ocr_engine", lambda name: ocr_calls.append(name) or real_engine(name))
    ledger.set_credit_limit(pipeline.tenant, 2)
    submitted = pipeline.submit(samples.mixed_pdf())  # pages + OCR'd pages cost more than 2
    job = pipeline.wait(submitted)

    assert job["status"] == "failed", job
    assert job["error_code"] == "QUOTA_EXCEEDED"
    assert "credits" in job["error"] and credit_period() in job["error"]
    assert job["credits"] is None
    states = pipeline.states_entered(submitted)
    assert "OcrPages" not in states and "Chunk" not in states and "TextractStart" not in states
    assert ocr_calls == []
    usage = pipeline.api("GET", "/api/usage")[1]
    assert usage["credits_used"] == 0 and usage["credits_reserved"] == 0


def test_a_completed_job_shows_and_commits_its_cost(pipeline: Pipeline) -> None:
    ledger.set_credit_limit(pipeline.tenant, 100)
    job = pipeline.wait(pipeline.submit(samples.multi_page_pdf(3)))
    assert job["status"] == "completed", job
    assert job["credits"] == {"cost": 3, "period": credit_period(), "state": "committed"}
    usage = pipeline.api("GET", "/api/usage")[1]
    assert usage["credits_used"] == 3 and usage["credits_reserved"] == 0 and usage["credits_remaining"] == 97
    assert usage["by_type"] == {"parse": {"used": 3, "reserved": 0}}


def test_concurrent_jobs_never_spend_past_the_limit(pipeline: Pipeline) -> None:
    ledger.set_credit_limit(pipeline.tenant, 10)  # 3 pages each: three jobs fit, 30 would not
    document_id = pipeline.upload_document(samples.multi_page_pdf(3), "three.pdf")
    submitted: list[str] = []
    lock = threading.Lock()

    def submit() -> None:
        status, body = pipeline.api("POST", "/api/jobs", {"type": "parse", "document_id": document_id})
        with lock:
            submitted.append(body["id"] if 200 <= status < 300 else f"refused {status} {body['error_code']}")

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [s for s in submitted if not s.startswith("refused")]
    for job_id in ids:
        pipeline.stack.wait_for_execution(pipeline.execution_arn(job_id), timeout=120)
    jobs = [pipeline.get(job_id) for job_id in ids]
    completed = [j for j in jobs if j["status"] == "completed"]
    refused = [j for j in jobs if j["status"] != "completed"]
    assert all(j["status"] == "failed" and j["error_code"] == "QUOTA_EXCEEDED" for j in refused), [
        (j["status"], j["error_code"], j["error"]) for j in refused
    ]
    assert all(s == "refused 429 QUOTA_EXCEEDED" for s in submitted if s.startswith("refused")), submitted
    assert len(completed) == 3
    usage = pipeline.api("GET", "/api/usage")[1]
    assert usage["credits_used"] == sum(j["credits"]["cost"] for j in completed) == 9
    assert usage["credits_reserved"] == 0 and usage["credits_remaining"] == 1


def test_a_failed_job_releases_what_it_reserved(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    from docjobs.core.errors import InputValidationError
    from docjobs.jobtypes.parse import chunk

    def refuse(task: Any, job: Any) -> Any:
        raise InputValidationError("chunking refused this document")

    monkeypatch.setattr(chunk.chunk, "work", refuse)
    ledger.set_credit_limit(pipeline.tenant, 100)
    job = pipeline.wait(pipeline.submit(samples.multi_page_pdf(2)))
    assert job["status"] == "failed" and job["error_code"] == "VALIDATION_ERROR"
    assert job["credits"] == {"cost": 2, "period": credit_period(), "state": "released"}
    usage = pipeline.api("GET", "/api/usage")[1]
    assert usage["credits_used"] == 0 and usage["credits_reserved"] == 0
