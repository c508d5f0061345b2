"""OCR_ENGINE=textract through the real ASL: TextractStart → TextractWait → TextractPoll loop.

moto's Textract answers the asynchronous API from class attributes (``BLOCKS``, ``PAGES``,
``JOB_STATUS``), as in tests/unit/test_textract_ocr.py; a job's status can be changed in the
backend between polls.
"""

from __future__ import annotations

from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.textract.models import TextractBackend, textract_backends

from docjobs.engines import textract_ocr
from tests import sample_documents as samples
from tests.integration.conftest import Pipeline

SEEDED_LINES = ["TEXTRACT SEEDED HEADLINE", "Seeded second line from Textract"]


def _backend() -> TextractBackend:
    return textract_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


def _textract_jobs() -> list[Any]:
    backend = _backend()
    return [*backend.async_text_detection_jobs.values(), *backend.async_document_analysis_jobs.values()]


@pytest.fixture
def textract_pipeline(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    blocks = [{"BlockType": "PAGE", "Id": "p1", "Page": 1}] + [
        {"BlockType": "LINE", "Id": f"l{i}", "Text": text, "Page": 1} for i, text in enumerate(SEEDED_LINES)
    ]
    monkeypatch.setattr(TextractBackend, "BLOCKS", blocks)
    monkeypatch.setattr(TextractBackend, "PAGES", 1)
    pipeline.configure(OCR_ENGINE="textract", TEXTRACT_POLL_SECONDS="1")
    return pipeline


def test_textract_job_is_polled_until_done_and_its_text_lands_in_the_chunks(
    textract_pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = textract_pipeline
    monkeypatch.setattr(TextractBackend, "JOB_STATUS", "IN_PROGRESS")
    real_poll = textract_ocr.poll_text_detection
    polls: list[str] = []

    def poll_then_finish(*args: Any, **kwargs: Any) -> Any:
        result = real_poll(*args, **kwargs)
        polls.append(result.status)
        for job in _textract_jobs():  # Textract finishes after the first poll
            job.job["JobStatus"] = "SUCCEEDED"
        return result

    monkeypatch.setattr(textract_ocr, "poll_text_detection", poll_then_finish)
    submitted = pipeline.submit(samples.mixed_pdf(), "mixed.pdf")
    job = pipeline.wait(submitted)

    assert job["status"] == "completed", job
    states = pipeline.states_entered(submitted)
    assert "OcrPages" not in states
    ocr_states = [s for s in states if s.startswith("Textract")]
    assert ocr_states == [
        "TextractStart",
        "TextractWait",
        "TextractPoll",
        "TextractDone",
        "TextractWait",
        "TextractPoll",
        "TextractDone",
    ]
    last_done = len(states) - 1 - states[::-1].index("TextractDone")
    assert states[last_done + 1] == "Chunk"
    assert polls == ["IN_PROGRESS", "SUCCEEDED"]

    # only the page without text went to Textract, as a one-page subset PDF
    started = _textract_jobs()
    assert len(started) == 1
    assert job["result"]["metadata"]["ocr_pages"] == 1
    text = "\n".join(chunk["text"] for chunk in job["result"]["chunks"])
    for line in SEEDED_LINES:
        assert line in text
    # the Textract page (subset page 1) is merged back as page 2, between the text pages
    assert text.index("Part 1") < text.index(SEEDED_LINES[0]) < text.index("Part 3")


def test_failed_textract_job_fails_the_job_with_ocr_error_and_textracts_message(
    textract_pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = textract_pipeline
    monkeypatch.setattr(TextractBackend, "JOB_STATUS", "FAILED")
    real_start = textract_ocr.start_text_detection

    def start_and_fail(*args: Any, **kwargs: Any) -> str:
        job_id = real_start(*args, **kwargs)
        for job in _textract_jobs():
            job.job["StatusMessage"] = "Unable to process the document: unsupported page layout"
        return job_id

    monkeypatch.setattr(textract_ocr, "start_text_detection", start_and_fail)
    submitted = pipeline.submit(samples.mixed_pdf(), "scan.pdf")
    job = pipeline.wait(submitted)

    assert job["status"] == "failed", job
    assert job["error_code"] == "OCR_ERROR"
    assert "unsupported page layout" in job["error"]
    assert job["stage"] == "ocr"
    states = pipeline.states_entered(submitted)
    assert "TextractPoll" in states and states[-2:] == ["RecordFailure", "JobFailed"]
    assert pipeline.result_keys(submitted.job_id) == []


def test_single_image_goes_through_textract_sync_api_not_the_async_loop(textract_pipeline: Pipeline) -> None:
    """A one-page document (an image) is read with DetectDocumentText in the OCR Map, not by
    starting an asynchronous Textract job and polling it. (detect_tables=False: moto does not
    implement the synchronous AnalyzeDocument that tables need; tests/unit covers that call.)"""
    pipeline = textract_pipeline
    textract_jobs_before = len(_textract_jobs())
    submitted = pipeline.submit(samples.image_png(), "scan.png", detect_tables=False)
    job = pipeline.wait(submitted)

    assert job["status"] == "completed", job
    states = pipeline.states_entered(submitted)
    assert "OcrPages" in states
    assert not [s for s in states if s.startswith("Textract")]
    assert len(_textract_jobs()) == textract_jobs_before  # no asynchronous job was started
    text = " ".join(chunk["text"] for chunk in job["result"]["chunks"])
    assert "TEXTRACT SEEDED HEADLINE" in text
