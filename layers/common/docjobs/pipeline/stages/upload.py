"""Stage ``uploading``: fetch an ``input`` URL into S3, or verify the uploaded document."""

from __future__ import annotations

import http.client
import ssl
import tempfile
from urllib.parse import unquote, urlparse

from pydantic import BaseModel

from docjobs.adapters import aws_clients, storage
from docjobs.core.errors import InputValidationError, TransientError
from docjobs.core.models import JobRecord
from docjobs.core.settings import get_settings
from docjobs.core.values import new_id
from docjobs.domain import transitions
from docjobs.domain.url_safety import open_public_url
from docjobs.pipeline.runner import StageInput, stage

_CHUNK = 1024 * 1024


def fetch_input(url: str, key: str) -> int:
    """Stream ``url`` into S3 at ``key`` with the size limit and timeout; returns the size.

    The fetch goes through ``url_safety.open_public_url``: every redirect hop is checked,
    and the connection goes to the address that was checked."""
    settings = get_settings()
    try:
        with (
            open_public_url(
                url,
                what="input URL",
                headers={"User-Agent": "docjobs/1.0", "Accept": "*/*"},
                timeout=settings.input_fetch_timeout_seconds,
            ) as response,
            tempfile.TemporaryFile() as spool,
        ):
            if response.status == 429 or response.status >= 500:
                raise TransientError(f"input URL answered HTTP {response.status}")
            if response.status >= 300:
                raise InputValidationError(f"input URL answered HTTP {response.status} {response.reason}")
            declared = response.headers.get("Content-Length")
            if declared and declared.strip().isdigit() and int(declared) > settings.max_input_bytes:
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
    except ssl.SSLCertVerificationError as exc:
        raise InputValidationError(f"input URL's TLS certificate is not valid: {exc.verify_message}") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise TransientError(f"could not fetch the input URL: {exc}") from exc


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
