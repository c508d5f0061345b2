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


# ---- documents that complete, with warnings (job ``warnings`` and result.metadata.warnings)


def _completed_with(pipeline: Pipeline, data: bytes, filename: str, *warnings: str) -> dict:
    submitted = pipeline.submit(data, filename)
    job = pipeline.wait(submitted)
    assert job["status"] == "completed", job
    for expected in warnings:
        assert any(expected in w for w in job["warnings"]), job["warnings"]
        assert any(expected in w for w in job["result"]["metadata"]["warnings"]), job["result"]["metadata"]
    return job


def test_damaged_pdf_that_mupdf_repairs_completes_with_a_warning(pipeline: Pipeline) -> None:
    job = _completed_with(pipeline, samples.damaged_pdf(), "cut-xref.pdf", "damaged file repaired; 3 pages")
    assert job["result"]["metadata"]["chunk_count"] > 0


def test_owner_password_is_ignored_with_a_warning(pipeline: Pipeline) -> None:
    job = _completed_with(pipeline, samples.owner_password_pdf(), "restricted.pdf", "owner password ignored")
    assert job["result"]["metadata"]["chunk_count"] > 0


def test_extension_that_names_another_format_is_a_warning(pipeline: Pipeline) -> None:
    job = _completed_with(pipeline, samples.multi_page_pdf(1), "report.docx", "file named .docx is a PDF")
    assert job["metadata"]["file_type"] == "pdf"


def test_clean_pdf_has_no_warnings(pipeline: Pipeline) -> None:
    job = _completed_with(pipeline, samples.multi_page_pdf(1), "clean.pdf")
    assert job["warnings"] == [] and job["result"]["metadata"]["warnings"] == []


def test_image_without_text_completes_with_zero_chunks_and_says_why(pipeline: Pipeline) -> None:
    job = _completed_with(pipeline, samples.one_pixel_png(), "pixel.png", "image with no text found")
    assert job["result"]["metadata"]["chunk_count"] == 0
    assert job["result"]["chunks"] == []


def test_zero_chunks_always_says_why_even_with_ocr_off(pipeline: Pipeline) -> None:
    submitted = pipeline.submit(samples.image_only_pdf(), "scan.pdf", ocr="off")
    job = pipeline.wait(submitted)
    assert job["status"] == "completed", job
    assert job["result"]["metadata"]["chunk_count"] == 0
    assert any("no text found" in w and "OCR is off" in w for w in job["warnings"]), job["warnings"]
