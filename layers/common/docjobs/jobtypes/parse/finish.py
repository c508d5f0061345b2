"""The parse pipeline's last step: publish ``{chunks, metadata}`` and complete the job."""

from __future__ import annotations

import json
from typing import IO, Any

from docjobs.adapters import storage
from docjobs.adapters.storage import WorkFile
from docjobs.core.models import JobRecord
from docjobs.jobtypes.parse.chunk import ChunkOutput
from docjobs.jobtypes.parse.vectorize import VectorizeOutput
from docjobs.pipeline.results import PublishedResult, publish_result
from docjobs.pipeline.runner import StageInput, stage
from docjobs.pipeline.stages.parse import ParseOutput, load_metadata


class FinishInput(StageInput):
    vectorize: VectorizeOutput
    chunk: ChunkOutput
    parse: ParseOutput


def _vector_metadata(vectorize: VectorizeOutput, chunk: ChunkOutput) -> dict[str, Any]:
    if vectorize.status == "completed":
        return vectorize.model_dump()
    return {"status": "skipped", "reason": chunk.vectorize_reason or "not requested"}


@stage(None)
def finish(task: FinishInput, job: JobRecord) -> PublishedResult:
    document = load_metadata(job.tenant_id, job.id)
    metadata = {
        **document,
        "chunk_count": task.chunk.chunk_count,
        "ocr_pages": task.parse.ocr_page_count,
        "vectors": _vector_metadata(task.vectorize, task.chunk),
    }
    summary = {k: metadata[k] for k in ("pages", "chunk_count", "ocr_pages")} | {
        "vectors": metadata["vectors"]["status"]
    }
    return publish_result(job, lambda out: write_result(job, out, metadata), summary)


def write_result(job: JobRecord, out: IO[bytes], metadata: dict[str, Any]) -> None:
    """Stream ``{"chunks": [...], "metadata": {...}}`` without holding all chunks."""
    out.write(b'{"chunks":[')
    for i, row in enumerate(storage.iter_jsonl(storage.work_key(job.tenant_id, job.id, WorkFile.CHUNKS))):
        if i:
            out.write(b",")
        out.write(json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode())
    out.write(b'],"metadata":' + json.dumps(metadata, separators=(",", ":")).encode() + b"}")
