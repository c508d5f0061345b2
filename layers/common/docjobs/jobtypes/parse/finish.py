"""The last step: publish ``{chunks, metadata}`` to S3 and complete the job.

The result object is written first and the job completed by a conditional write; if the
job was cancelled meanwhile, the object is deleted again, so a cancelled job never has
a published result.
"""

from __future__ import annotations

import json
import tempfile
from typing import Any

from docjobs.adapters import aws_clients, job_store, storage
from docjobs.adapters.job_store import JobAlreadyTerminalError
from docjobs.core.errors import JobCancelledError
from docjobs.core.models import JobRecord, ResultPointer, utc_now
from docjobs.jobtypes.parse.chunk import CHUNKS
from docjobs.pipeline.progress import StageInput, read_job
from docjobs.pipeline.stages.parse import load_metadata


def _vector_metadata(vectorize: dict[str, Any], chunk: dict[str, Any]) -> dict[str, Any]:
    if vectorize.get("status") == "completed":
        return {
            "status": "completed",
            "vector_count": vectorize.get("vector_count"),
            "index_host": vectorize.get("index_host"),
            "namespace": vectorize.get("namespace"),
            "model": vectorize.get("model"),
            "dimension": vectorize.get("dimension"),
        }
    return {"status": "skipped", "reason": chunk.get("vectorize_reason") or "not requested"}


def run(
    stage_input: StageInput, vectorize: dict[str, Any], chunk: dict[str, Any], parse: dict[str, Any]
) -> dict[str, Any]:
    job = read_job(stage_input)
    document = load_metadata(job.tenant_id, job.id)
    metadata = {
        **document,
        "chunk_count": int(chunk.get("chunk_count", 0)),
        "ocr_pages": int(parse.get("ocr_page_count", 0)),
        "vectors": _vector_metadata(vectorize, chunk),
    }
    key = storage.result_key(job.tenant_id, job.id)
    size = _write_result(job, key, metadata)
    summary = {k: metadata[k] for k in ("pages", "chunk_count", "ocr_pages")} | {
        "vectors": metadata["vectors"]["status"]
    }

    def complete(current: JobRecord) -> JobRecord:
        now = utc_now()
        current.status, current.progress = "completed", 100
        current.result = ResultPointer(bucket=storage.bucket(), key=key, size_bytes=size, summary=summary)
        current.updated_at = current.completed_at = now
        return current

    try:
        job_store.update_job(job.tenant_id, job.id, complete)
    except JobAlreadyTerminalError as exc:
        aws_clients.s3().delete_object(Bucket=storage.bucket(), Key=key)
        raise JobCancelledError(f"job {job.id} is {exc.status}: result withdrawn") from exc
    return {"result_key": key, "size_bytes": size}


def _write_result(job: JobRecord, key: str, metadata: dict[str, Any]) -> int:
    """Stream ``{"chunks": [...], "metadata": {...}}`` to S3 without holding all chunks."""
    with tempfile.TemporaryFile() as out:
        out.write(b'{"chunks":[')
        for i, row in enumerate(storage.iter_jsonl(storage.work_key(job.tenant_id, job.id, CHUNKS))):
            if i:
                out.write(b",")
            out.write(json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode())
        out.write(b'],"metadata":' + json.dumps(metadata, separators=(",", ":")).encode() + b"}")
        size = out.tell()
        out.seek(0)
        aws_clients.s3().upload_fileobj(
            out, storage.bucket(), key, ExtraArgs={"ContentType": "application/json"}
        )
    return size
