"""S3 access for documents, stage intermediates, results and output documents.

The only module that builds S3 keys. Layout (one bucket):
- ``documents/{tenant}/{document_id}/{filename}``: uploads and published output documents
  (output documents carry ``source-job-id`` and ``pages`` as object metadata);
- ``uploads/{tenant}/{filename}``: drop-in uploads that start jobs;
- ``work/{tenant}/{job_id}/{WorkFile}``: stage intermediates, including staged outputs;
- ``results/{tenant}/{job_id}/result.json``: published results.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from enum import StrEnum
from typing import IO, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from docjobs.adapters import aws_clients
from docjobs.core.settings import get_settings
from docjobs.core.values import format_timestamp, new_id, utc_now


def document_prefix(tenant_id: str, document_id: str) -> str:
    return f"documents/{tenant_id}/{document_id}/"


def document_key(tenant_id: str, document_id: str, filename: str) -> str:
    return document_prefix(tenant_id, document_id) + filename


class WorkFile(StrEnum):
    """The work files stages hand each other (under ``work/{tenant}/{job_id}/``)."""

    PAGES = "pages.jsonl"  # one parsed page per line (docjobs.engines.pdf.ParsedPage)
    DOCUMENT = "document.json"  # what parsing learned of the document (pages, file type, ...)
    PAGE_RANGES = "pages/"  # page-parallel parsing: one JSON-lines file per page range
    OCR = "ocr/"  # OCR'd pages, one JSON-lines file per batch, in page order
    TEXTRACT_INPUT = "textract-input.pdf"  # the pages Textract reads, as one PDF
    TEXTRACT_PAGE_MAP = "textract-page-map.json"  # Textract page → document page
    CHUNKS = "chunks.jsonl"  # one chunk per line
    OUTPUTS = "outputs/"  # output documents staged until the job completes
    WORKFLOW = "workflow/"  # a workflow's step records and the ids of its children


def work_key(tenant_id: str, job_id: str, name: WorkFile | str) -> str:
    return f"work/{tenant_id}/{job_id}/{name}"


def result_key(tenant_id: str, job_id: str) -> str:
    return f"results/{tenant_id}/{job_id}/result.json"


def bucket() -> str:
    return get_settings().documents_bucket_name


def presigned_upload(key: str, content_type: str | None) -> tuple[str, str]:
    """A presigned PUT URL for ``key`` and when it expires (ISO-8601 Z)."""
    expiry = get_settings().upload_url_expiry_seconds
    params: dict[str, Any] = {"Bucket": bucket(), "Key": key}
    if content_type:
        params["ContentType"] = content_type
    url = aws_clients.s3().generate_presigned_url("put_object", Params=params, ExpiresIn=expiry)
    return url, format_timestamp(utc_now() + timedelta(seconds=expiry))


def presigned_download(key: str, expires_in: int = 3600) -> str:
    return aws_clients.s3().generate_presigned_url(
        "get_object", Params={"Bucket": bucket(), "Key": key}, ExpiresIn=expires_in
    )


def find_document_key(tenant_id: str, document_id: str) -> str | None:
    """The key of an uploaded document under the tenant's prefix, or None (one List call)."""
    response = aws_clients.s3().list_objects_v2(
        Bucket=bucket(), Prefix=document_prefix(tenant_id, document_id), MaxKeys=1
    )
    contents = response.get("Contents", [])
    return contents[0]["Key"] if contents else None


def head(key: str) -> dict[str, Any] | None:
    try:
        return dict(aws_clients.s3().head_object(Bucket=bucket(), Key=key))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise


def get_bytes(key: str) -> bytes:
    return aws_clients.s3().get_object(Bucket=bucket(), Key=key)["Body"].read()


def put_bytes(key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
    aws_clients.s3().put_object(Bucket=bucket(), Key=key, Body=data, ContentType=content_type)


def put_json(key: str, value: Any) -> int:
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    aws_clients.s3().put_object(Bucket=bucket(), Key=key, Body=body, ContentType="application/json")
    return len(body)


def get_json(key: str) -> Any:
    return json.loads(get_bytes(key))


def get_json_unless(key: str, etag: str | None) -> tuple[str | None, Any] | None:
    """The object's ETag and JSON, or None when its ETag is still ``etag`` (S3 answers
    304 Not Modified and sends no body)."""
    params: dict[str, Any] = {"Bucket": bucket(), "Key": key}
    if etag:
        params["IfNoneMatch"] = etag
    try:
        response = aws_clients.s3().get_object(**params)
    except ClientError as exc:
        if etag and str(exc.response.get("Error", {}).get("Code")) in {"304", "NotModified"}:
            return None
        raise
    return response.get("ETag"), json.loads(response["Body"].read())


#: Objects up to this size are written with one PUT (which answers their ETag); larger ones are
#: uploaded in parts.
SINGLE_PUT_MAX_BYTES = 8 * 1024 * 1024


def put_file(key: str, stream: IO[bytes], size: int, content_type: str) -> str | None:
    """Upload ``size`` bytes from ``stream``; the object's ETag when one PUT wrote it."""
    if size <= SINGLE_PUT_MAX_BYTES:
        response = aws_clients.s3().put_object(
            Bucket=bucket(), Key=key, Body=stream.read(), ContentType=content_type
        )
        return response.get("ETag")
    upload_stream(key, stream, content_type)
    return None


def put_jsonl(key: str, rows: Iterable[dict[str, Any]]) -> int:
    """Write rows as JSON lines; returns the row count. Rows are encoded one at a time."""
    count = 0
    parts: list[bytes] = []
    for row in rows:
        parts.append(json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode() + b"\n")
        count += 1
    aws_clients.s3().put_object(
        Bucket=bucket(), Key=key, Body=b"".join(parts), ContentType="application/x-ndjson"
    )
    return count


def iter_jsonl(key: str) -> Iterator[dict[str, Any]]:
    """Stream JSON lines from S3 without loading the whole object into one string."""
    body = aws_clients.s3().get_object(Bucket=bucket(), Key=key)["Body"]
    for line in body.iter_lines():
        if line:
            yield json.loads(line)


def delete(key: str) -> None:
    aws_clients.s3().delete_object(Bucket=bucket(), Key=key)


def upload_stream(key: str, stream: IO[bytes], content_type: str = "application/octet-stream") -> None:
    aws_clients.s3().upload_fileobj(stream, bucket(), key, ExtraArgs={"ContentType": content_type})


# ---------------------------------------------------------------- documents and output documents


class OutputDocument(BaseModel):
    """A file a job wrote, staged under the job's work files until the job completes; then it is
    published as a document of the tenant (``publish_outputs``) with its own ``document_id``."""

    document_id: str
    filename: str
    content_type: str
    bytes: int = Field(ge=0)
    pages: int | None = None
    staged_key: str


class DocumentInfo(BaseModel):
    """``GET /api/documents/{id}`` (without the download URL)."""

    document_id: str
    filename: str
    content_type: str | None = None
    bytes: int
    pages: int | None = None
    created_at: str
    source_job_id: str | None = None
    key: str = Field(exclude=True)


def stage_output(
    tenant_id: str,
    job_id: str,
    filename: str,
    body: bytes | IO[bytes],
    content_type: str,
    pages: int | None = None,
) -> OutputDocument:
    """Write an output document to the job's work files; nothing is visible to the tenant until
    the job completes (a cancelled or failed job never registers its outputs)."""
    document_id = new_id()
    key = work_key(tenant_id, job_id, f"{WorkFile.OUTPUTS}{document_id}/{filename}")
    if isinstance(body, bytes):
        put_bytes(key, body, content_type)
        size = len(body)
    else:
        body.seek(0, 2)
        size = body.tell()
        body.seek(0)
        upload_stream(key, body, content_type)
    return OutputDocument(
        document_id=document_id,
        filename=filename,
        content_type=content_type,
        bytes=size,
        pages=pages,
        staged_key=key,
    )


def publish_outputs(tenant_id: str, job_id: str, outputs: Iterable[OutputDocument]) -> list[str]:
    """Copy staged outputs to ``documents/``: each becomes a document of the tenant that any
    later job accepts. Returns the keys written (``withdraw`` deletes them again)."""
    s3 = aws_clients.s3()
    written: list[str] = []
    for output in outputs:
        key = document_key(tenant_id, output.document_id, output.filename)
        metadata = {"source-job-id": job_id}
        if output.pages is not None:
            metadata["pages"] = str(output.pages)
        s3.copy_object(
            Bucket=bucket(),
            Key=key,
            CopySource={"Bucket": bucket(), "Key": output.staged_key},
            ContentType=output.content_type,
            Metadata=metadata,
            MetadataDirective="REPLACE",
        )
        written.append(key)
    return written


def withdraw(keys: Iterable[str]) -> None:
    for key in keys:
        delete(key)


def describe_document(tenant_id: str, document_id: str) -> DocumentInfo | None:
    """An uploaded or output document of the tenant, or None (not uploaded yet, or unknown)."""
    key = find_document_key(tenant_id, document_id)
    if key is None:
        return None
    info = head(key)
    if info is None:
        return None
    metadata = info.get("Metadata") or {}
    pages = metadata.get("pages")
    modified = info.get("LastModified")
    return DocumentInfo(
        document_id=document_id,
        filename=key.rsplit("/", 1)[-1],
        content_type=info.get("ContentType"),
        bytes=int(info.get("ContentLength", 0)),
        pages=int(pages) if pages and pages.isdigit() else None,
        created_at=format_timestamp(modified) if isinstance(modified, datetime) else "",
        source_job_id=metadata.get("source-job-id"),
        key=key,
    )


def delete_document(tenant_id: str, document_id: str) -> int:
    """Delete every object of a tenant's document (its upload or output file); the count deleted."""
    s3 = aws_clients.s3()
    keys = [
        obj["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket(), Prefix=document_prefix(tenant_id, document_id)
        )
        for obj in page.get("Contents", [])
    ]
    for start in range(0, len(keys), 1000):
        response = s3.delete_objects(
            Bucket=bucket(),
            Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]], "Quiet": True},
        )
        if response.get("Errors"):
            first = response["Errors"][0]
            raise RuntimeError(
                f"could not delete {first.get('Key')}: {first.get('Code')} {first.get('Message')}"
            )
    return len(keys)
