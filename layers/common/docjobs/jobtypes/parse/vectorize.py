"""Stage ``vectorizing``: embed the chunks with Pinecone llama-text-embed-v2 and upsert them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from docjobs.adapters import storage
from docjobs.core.errors import JobCancelledError
from docjobs.jobtypes.parse.chunk import CHUNKS
from docjobs.pipeline.progress import StageInput, begin_stage, read_job, report_progress

if TYPE_CHECKING:
    from docjobs.engines.chunking import Chunk


def _until_cancelled(
    stage_input: StageInput, chunks: Iterable[Chunk], batch_size: int, handed_out: list[str]
) -> Iterator[Chunk]:
    """``chunks``, re-reading the job before each embed batch: a job cancelled meanwhile stops
    the stage (``JobCancelledError``) before more of its vectors reach the tenant's index.
    ``handed_out`` collects the ids of the chunks passed on, to withdraw them on a cancel."""
    for i, chunk in enumerate(chunks):
        if i % batch_size == 0:
            read_job(stage_input)
        handed_out.append(chunk.id)
        yield chunk


def run(stage_input: StageInput) -> dict[str, Any]:
    from docjobs.engines.chunking import Chunk
    from docjobs.engines.vectorizing import VectorizeSettings, delete_vectors, vector_id, vectorize_chunks

    job = begin_stage(stage_input, "vectorizing")
    settings = VectorizeSettings.from_env()
    chunks = (
        Chunk.model_validate(row)
        for row in storage.iter_jsonl(storage.work_key(job.tenant_id, job.id, CHUNKS))
    )
    document_id = job.document_id or job.id
    handed_out: list[str] = []
    try:
        result = vectorize_chunks(
            _until_cancelled(stage_input, chunks, max(1, settings.embed_batch_size), handed_out),
            tenant_id=job.tenant_id,
            job_id=job.id,
            document_id=document_id,
            settings=settings,
        )
    except JobCancelledError:
        # Cancelled mid-way: withdraw what this run may already have upserted.
        delete_vectors(
            (vector_id(document_id, chunk_id) for chunk_id in handed_out),
            namespace=job.tenant_id,
            settings=settings,
        )
        raise
    report_progress(stage_input, "vectorizing", 1.0)
    return {"status": "completed", **result.model_dump()}
