"""Stage ``chunking``: merge parsed and OCR'd pages, chunk them, stream the chunks work file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from docjobs.adapters import storage
from docjobs.adapters.storage import WorkFile
from docjobs.core.models import JobRecord
from docjobs.domain import transitions
from docjobs.jobtypes.parse.options import ParseOptions
from docjobs.pipeline.runner import StageInput, stage
from docjobs.pipeline.stages.ocr_pages import iter_ocr_pages


def merged_pages(tenant_id: str, job_id: str) -> Iterator[dict[str, Any]]:
    """Each page once, in order: the OCR'd version where there is one."""
    ocr = iter_ocr_pages(tenant_id, job_id)
    pending = next(ocr, None)
    for page in storage.iter_jsonl(storage.work_key(tenant_id, job_id, WorkFile.PAGES)):
        while pending is not None and pending["page"] < page["page"]:
            pending = next(ocr, None)
        if pending is not None and pending["page"] == page["page"]:
            yield pending
            pending = next(ocr, None)
        else:
            yield page


class ChunkInput(StageInput):
    pass


class ChunkOutput(BaseModel):
    chunk_count: int
    vectorize: bool
    vectorize_reason: str


@stage("chunking")
def chunk(task: ChunkInput, job: JobRecord) -> ChunkOutput:
    from docjobs.engines.chunking import ChunkingOptions, chunk_pages
    from docjobs.engines.pdf import ParsedPage

    options = ParseOptions.model_validate(job.options)
    chunking = ChunkingOptions(
        strategy=options.chunk_strategy,
        target_tokens=options.chunk_target_tokens,
        overlap_tokens=options.chunk_overlap_tokens,
    )
    pages = (ParsedPage.model_validate(row) for row in merged_pages(job.tenant_id, job.id))
    count = 0
    with tempfile.TemporaryFile() as out:
        for item in chunk_pages(pages, chunking):
            out.write(item.model_dump_json().encode() + b"\n")
            count += 1
        out.seek(0)
        storage.upload_stream(
            storage.work_key(job.tenant_id, job.id, WorkFile.CHUNKS), out, "application/x-ndjson"
        )
    transitions.report_progress(job.tenant_id, job.id, "chunking", 1.0)
    vectorize, reason = vectorize_decision(options.vectorize, count)
    return ChunkOutput(chunk_count=count, vectorize=vectorize, vectorize_reason=reason)


def vectorize_decision(requested: bool, chunk_count: int) -> tuple[bool, str]:
    if not requested:
        return False, "not requested: submit the job with options.vectorize = true"
    if chunk_count == 0:
        return False, "the document produced no chunks"
    from docjobs.engines.vectorizing import vectorizing_status

    configured, why = vectorizing_status()
    return (True, "") if configured else (False, why)
