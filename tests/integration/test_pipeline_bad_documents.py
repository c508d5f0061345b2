"""Documents the pipeline cannot process: the job ends failed with the right code and message."""

from __future__ import annotations

import pytest

from tests import sample_documents as samples
from tests.integration.conftest import Pipeline


def _assert_failed(pipeline: Pipeline, data: bytes, filename: str, code: str, *words: str) -> dict:
    submitted = pipeline.submit(data, filename)
    job = pipeline.wait(submitted)
    assert job["status"] == "failed", job
    assert job["error_code"] == code, job
    assert job["error"], "a failed job carries a message"
    for word in words:
        assert word in job["error"], job["error"]
    assert job["result"] is None
    assert pipeline.result_keys(submitted.job_id) == []
    states = pipeline.states_entered(submitted)
    assert states[-2:] == ["RecordFailure", "JobFailed"], states
    assert pipeline.execution_status(submitted) == "FAILED"
    assert job["retry_count"] == 0, "document errors are not retried"
    return job


def test_encrypted_pdf_fails_with_parse_error_naming_encryption(pipeline: Pipeline) -> None:
    _assert_failed(pipeline, samples.encrypted_pdf(), "locked.pdf", "PARSE_ERROR", "encrypted", "locked.pdf")


def test_truncated_pdf_fails_with_parse_error(pipeline: Pipeline) -> None:
    _assert_failed(pipeline, samples.truncated_pdf(), "cut.pdf", "PARSE_ERROR", "cut.pdf")


def test_empty_file_is_refused_by_the_upload_stage_as_invalid_input(pipeline: Pipeline) -> None:
    job = _assert_failed(pipeline, samples.empty_file(), "empty.pdf", "VALIDATION_ERROR", "empty (0 bytes)")
    assert job["stage"] == "uploading"


@pytest.mark.parametrize(
    ("data", "filename"),
    [(samples.not_a_document(), "archive.pdf"), (samples.plain_text(), "notes.pdf")],
    ids=["zip", "plain-text"],
)
def test_non_document_fails_with_validation_error(pipeline: Pipeline, data: bytes, filename: str) -> None:
    job = _assert_failed(pipeline, data, filename, "VALIDATION_ERROR", "Unsupported document format")
    assert job["stage"] == "parsing"


def test_image_page_with_ocr_engine_none_fails_with_ocr_error_not_available(pipeline: Pipeline) -> None:
    pipeline.configure(OCR_ENGINE="none")
    job = _assert_failed(pipeline, samples.image_only_pdf(), "scan.pdf", "OCR_ERROR", "not available")
    assert job["stage"] == "ocr"
