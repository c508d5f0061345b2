"""Stage ``vectorizing``: embed the chunks with Pinecone llama-text-embed-v2 and upsert them."""

from __future__ import annotations

from typing import Any

from docjobs import storage
from docjobs.stages.chunk import CHUNKS
from docjobs.stages.progress import StageInput, begin_stage, report_progress


def run(stage_input: StageInput) -> dict[str, Any]:
    from docjobs.chunking import Chunk
    from docjobs.vectorizing import VectorizeSettings, vectorize_chunks

    job = begin_stage(stage_input, "vectorizing")
    settings = VectorizeSettings.from_env()
    chunks = (
        Chunk.model_validate(row)
        for row in storage.iter_jsonl(storage.work_key(job.tenant_id, job.id, CHUNKS))
    )
    result = vectorize_chunks(
        chunks,
        tenant_id=job.tenant_id,
        job_id=job.id,
        document_id=job.document_id or job.id,
        settings=settings,
    )
    report_progress(stage_input, "vectorizing", 1.0)
    return {"status": "completed", **result.model_dump()}
