"""Publishing a job's result: the last thing every job type does.

The result object (and any output documents) is written first, then the job is completed by a
conditional write. If the job ended meanwhile (cancelled), what was published is withdrawn
again, so a cancelled or failed job never has a result or a registered output document.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

from pydantic import BaseModel

from docjobs.adapters import storage
from docjobs.adapters.storage import OutputDocument
from docjobs.core.errors import JobCancelledError
from docjobs.core.models import JobRecord, ResultPointer
from docjobs.domain import transitions


class PublishedResult(BaseModel):
    result_key: str
    size_bytes: int
    documents: list[str] = []


def write_json_result(value: Any) -> Callable[[IO[bytes]], None]:
    """A result body writer for a result that fits in memory."""

    def write(out: IO[bytes]) -> None:
        out.write(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())

    return write


def publish_result(
    job: JobRecord,
    write_body: Callable[[IO[bytes]], None],
    summary: Mapping[str, Any],
    outputs: Sequence[OutputDocument] = (),
    warnings: Sequence[str] | None = None,
) -> PublishedResult:
    """Write the result (``write_body`` streams the JSON into a spool file), publish the output
    documents, then complete the job. ``summary`` is what the job record keeps of the result (and
    what the job detail shows when the result is too large to inline); ``warnings``, when given,
    replace the job's (what went wrong without failing it)."""
    key = storage.result_key(job.tenant_id, job.id)
    with tempfile.TemporaryFile() as out:
        write_body(out)
        size = out.tell()
        out.seek(0)
        etag = storage.put_file(key, out, size, "application/json")
    documents = storage.publish_outputs(job.tenant_id, job.id, outputs)
    pointer = ResultPointer(
        bucket=storage.bucket(),
        key=key,
        size_bytes=size,
        summary={**summary, **({"documents": [o.document_id for o in outputs]} if outputs else {})},
        etag=etag,
    )
    try:
        transitions.complete_job(
            job.tenant_id, job.id, pointer, list(warnings) if warnings is not None else None
        )
    except JobCancelledError:
        storage.withdraw([key, *documents])
        raise
    return PublishedResult(result_key=key, size_bytes=size, documents=[o.document_id for o in outputs])
