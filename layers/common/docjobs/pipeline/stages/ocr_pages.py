"""Stage ``ocr``: read the pages without a text layer.

Two paths (statemachines/job.asl.json): a Map of page batches, each OCR'd by the
configured engine in its own invocation; or Textract's asynchronous API, started by one
invocation and polled by the state machine (Wait → poll → Choice), so no Lambda sleeps.
Either way the OCR'd pages land in ``ocr/*.jsonl`` in page order for the chunking stage.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel

from docjobs.adapters import aws_clients, storage
from docjobs.adapters.storage import WorkFile
from docjobs.core.models import JobRecord
from docjobs.core.settings import get_settings
from docjobs.domain import transitions
from docjobs.engines.pdf import MUPDF_LOCK
from docjobs.pipeline.runner import StageInput, dispatch, stage
from docjobs.pipeline.stages.parse import OcrBatch, TextOptions


def _batch_key(tenant_id: str, job_id: str, index: int) -> str:
    return storage.work_key(tenant_id, job_id, f"{WorkFile.OCR}batch-{index:06d}.jsonl")


class OcrBatchInput(StageInput):
    action: Literal["batch"]
    document_key: str
    batch: OcrBatch
    batch_count: int


class OcrBatchOutput(BaseModel):
    index: int
    pages: int


class TextractStartInput(StageInput):
    action: Literal["textract_start"]
    document_key: str


class TextractState(BaseModel):
    """The Textract job the state machine polls (``$.textract``)."""

    job_id: str
    status: Literal["IN_PROGRESS", "SUCCEEDED"]
    poll_after_seconds: int
    pages: int | None = None
    polls: int = 0


#: Longest wait between two Textract status polls.
MAX_POLL_SECONDS = 60


def next_poll_seconds(polls: int) -> int:
    """Exponential back-off with full jitter from ``TEXTRACT_POLL_SECONDS``: many jobs polling
    at once do not eat the account's shared GetDocumentTextDetection quota in step."""
    base = get_settings().textract_poll_seconds
    if base == 0:
        return 0
    ceiling = min(MAX_POLL_SECONDS, base * 2 ** min(polls, 6))
    return max(1, round(random.uniform(base / 2, ceiling)))  # noqa: S311 - jitter, not security


class TextractPollInput(StageInput):
    action: Literal["textract_poll"]
    textract: TextractState


@stage("ocr")
def run_batch(task: OcrBatchInput, job: JobRecord) -> OcrBatchOutput:
    from docjobs.engines.ocr import get_ocr_engine

    document_key, batch = task.document_key, task.batch
    options = TextOptions.model_validate(job.options)
    engine = get_ocr_engine(get_settings().ocr_engine)
    pages = batch.pages
    data = storage.get_bytes(document_key)
    with MUPDF_LOCK:  # "Attempt to use Leptonica from 2 threads at once" otherwise (engines.pdf)
        results = engine.ocr_pages(
            _as_pdf(data, document_key),
            pages,
            language=options.ocr_language,
            detect_tables=options.detect_tables,
        )
    storage.put_jsonl(
        _batch_key(job.tenant_id, job.id, batch.index),
        (page.model_dump(mode="json") for page in results),
    )
    transitions.report_progress(job.tenant_id, job.id, "ocr", (batch.index + 1) / max(1, task.batch_count))
    return OcrBatchOutput(index=batch.index, pages=len(results))


def _as_pdf(data: bytes, key: str) -> bytes:
    """OCR engines take PDF bytes: convert images and other formats PyMuPDF opens."""
    if data[:5] == b"%PDF-":
        return data
    from docjobs.engines.pdf import open_document

    with open_document(data, filename=key.rsplit("/", 1)[-1]) as doc:
        return bytes(doc.tobytes()) if doc.is_pdf else bytes(doc.convert_to_pdf())


@stage("ocr")
def start_textract(task: TextractStartInput, job: JobRecord) -> TextractState:
    from docjobs.engines.textract_ocr import build_page_subset_pdf, start_text_detection

    document_key = task.document_key
    options = TextOptions.model_validate(job.options)
    ocr_pages = [
        int(row["page"])
        for row in storage.iter_jsonl(storage.work_key(job.tenant_id, job.id, WorkFile.PAGES))
        if options.ocr == "force" or row.get("needs_ocr")
    ]
    data = storage.get_bytes(document_key)
    with MUPDF_LOCK:
        subset, page_map = build_page_subset_pdf(_as_pdf(data, document_key), ocr_pages)
    input_key = storage.work_key(job.tenant_id, job.id, WorkFile.TEXTRACT_INPUT)
    storage.put_bytes(input_key, subset, "application/pdf")
    storage.put_json(storage.work_key(job.tenant_id, job.id, WorkFile.TEXTRACT_PAGE_MAP), page_map)
    textract_job_id = start_text_detection(
        storage.bucket(),
        input_key,
        detect_tables=options.detect_tables,
        client_request_token=job.id,
        job_tag=job.tenant_id,
    )
    return TextractState(
        job_id=textract_job_id, status="IN_PROGRESS", poll_after_seconds=next_poll_seconds(0)
    )


@stage(None)
def poll_textract(task: TextractPollInput, job: JobRecord) -> TextractState:
    from docjobs.engines.textract_ocr import collect_pages, poll_text_detection

    textract = task.textract
    options = TextOptions.model_validate(job.options)
    poll = poll_text_detection(textract.job_id, detect_tables=options.detect_tables)
    if poll.status == "IN_PROGRESS":
        polls = textract.polls + 1
        return textract.model_copy(
            update={"status": "IN_PROGRESS", "polls": polls, "poll_after_seconds": next_poll_seconds(polls)}
        )
    page_map = storage.get_json(storage.work_key(job.tenant_id, job.id, WorkFile.TEXTRACT_PAGE_MAP))
    pages = collect_pages(textract.job_id, detect_tables=options.detect_tables, page_map=page_map)
    count = storage.put_jsonl(
        _batch_key(job.tenant_id, job.id, 0), (p.model_dump(mode="json") for p in pages)
    )
    transitions.report_progress(job.tenant_id, job.id, "ocr", 1.0)
    return TextractState(job_id=textract.job_id, status="SUCCEEDED", pages=count, poll_after_seconds=0)


#: The OCR function's handler: the Task's constant ``action`` picks the kind of work.
ocr = dispatch(
    "action", {"batch": run_batch, "textract_start": start_textract, "textract_poll": poll_textract}
)


def iter_ocr_pages(tenant_id: str, job_id: str) -> Iterator[dict[str, Any]]:
    """OCR'd pages in page order, streamed from the batch files (batches are page-ordered)."""
    s3 = aws_clients.s3()
    prefix = storage.work_key(tenant_id, job_id, WorkFile.OCR)
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=storage.bucket(), Prefix=prefix):
        keys.extend(obj["Key"] for obj in page.get("Contents", []))
    for key in sorted(keys):
        yield from storage.iter_jsonl(key)
