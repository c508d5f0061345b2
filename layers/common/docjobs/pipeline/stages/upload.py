"""Stage ``uploading``: fetch an ``input`` URL into S3, or verify the uploaded document."""

from __future__ import annotations

import tempfile
import urllib.error
import urllib.request
from urllib.parse import unquote, urlparse

from pydantic import BaseModel

from docjobs.adapters import aws_clients, storage
from docjobs.core.errors import InputValidationError, TransientError
from docjobs.core.models import JobRecord, new_id
from docjobs.core.settings import get_settings
from docjobs.domain import transitions
from docjobs.domain.url_safety import check_public_host
from docjobs.pipeline.runner import StageInput, stage

_CHUNK = 1024 * 1024


def fetch_input(url: str, key: str) -> int:
    """Stream ``url`` into S3 at ``key`` with the size limit and timeout; returns the size."""
    settings = get_settings()
    parsed = urlparse(url)
    check_public_host(parsed.hostname or "", what="input URL")
    request = urllib.request.Request(url, headers={"User-Agent": "docjobs/1.0"})  # noqa: S310
    try:
        with (
            urllib.request.urlopen(request, timeout=settings.input_fetch_timeout_seconds) as response,  # noqa: S310
            tempfile.TemporaryFile() as spool,
        ):
            declared = response.headers.get("Content-Length")
            if declared and int(declared) > settings.max_input_bytes:
                raise InputValidationError(
                    f"input is {int(declared)} bytes; the limit is {settings.max_input_bytes} bytes"
                )
            size = 0
            while block := response.read(_CHUNK):
                size += len(block)
                if size > settings.max_input_bytes:
                    raise InputValidationError(
                        f"input is larger than the limit of {settings.max_input_bytes} bytes"
                    )
                spool.write(block)
            if size == 0:
                raise InputValidationError("input URL returned an empty body")
            spool.seek(0)
            aws_clients.s3().upload_fileobj(spool, storage.bucket(), key)
            return size
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise TransientError(f"input URL answered HTTP {exc.code}") from exc
        raise InputValidationError(f"input URL answered HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TransientError(f"could not fetch the input URL: {reason}") from exc


class UploadInput(StageInput):
    pass


class UploadOutput(BaseModel):
    document_key: str
    size_bytes: int


@stage("uploading")
def upload(task: UploadInput, job: JobRecord) -> UploadOutput:
    settings = get_settings()
    if job.document_key:
        head = storage.head(job.document_key)
        if head is None:
            raise InputValidationError(f"document {job.document_id} is no longer in storage")
        size = int(head.get("ContentLength", 0))
        if size == 0:
            raise InputValidationError(f"document {job.document_id} is empty (0 bytes)")
        if size > settings.max_input_bytes:
            raise InputValidationError(
                f"document is {size} bytes; the limit is {settings.max_input_bytes} bytes"
            )
        transitions.report_progress(job.tenant_id, job.id, "uploading", 1.0)
        return UploadOutput(document_key=job.document_key, size_bytes=size)

    if not job.input_url:
        raise InputValidationError("the job has neither a document nor an input URL")
    document_id = new_id()
    filename = unquote(urlparse(job.input_url).path.rsplit("/", 1)[-1]) or "input"
    key = storage.document_key(job.tenant_id, document_id, filename)
    size = fetch_input(job.input_url, key)
    transitions.report_progress(
        job.tenant_id, job.id, "uploading", 1.0, {"document_id": document_id, "document_key": key}
    )
    return UploadOutput(document_key=key, size_bytes=size)
