"""Stage ``vectorizing``: embed the chunks with Pinecone llama-text-embed-v2 and upsert them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from docjobs.adapters import storage
from docjobs.adapters.storage import WorkFile
from docjobs.core.errors import JobCancelledError
from docjobs.core.models import JobRecord
from docjobs.domain import transitions
from docjobs.pipeline.runner import StageInput, read_job, stage

if TYPE_CHECKING:
    from docjobs.engines.chunking import Chunk


class VectorizeInput(StageInput):
    pass


class VectorizeOutput(BaseModel):
    """``$.vectorize``: also what the ASL's VectorizeSkipped Pass state writes (status only)."""

    status: Literal["completed", "skipped"]
    vector_count: int | None = None
    index_host: str | None = None
    namespace: str | None = None
    model: str | None = None
    dimension: int | None = None


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


@stage("vectorizing")
def vectorize(task: VectorizeInput, job: JobRecord) -> VectorizeOutput:
    from docjobs.engines.chunking import Chunk
    from docjobs.engines.vectorizing import VectorizeSettings, delete_vectors, vector_id, vectorize_chunks

    settings = VectorizeSettings.from_env()
    chunks = (
        Chunk.model_validate(row)
        for row in storage.iter_jsonl(storage.work_key(job.tenant_id, job.id, WorkFile.CHUNKS))
    )
    document_id = job.document_id or job.id
    handed_out: list[str] = []
    try:
        result = vectorize_chunks(
            _until_cancelled(task, chunks, max(1, settings.embed_batch_size), handed_out),
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
    transitions.report_progress(job.tenant_id, job.id, "vectorizing", 1.0)
    return VectorizeOutput(status="completed", **result.model_dump())
