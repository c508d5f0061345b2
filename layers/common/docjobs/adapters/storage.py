"""S3 access for documents, stage intermediates and results (the only module that touches S3 keys)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from docjobs.adapters import aws_clients
from docjobs.core.models import format_timestamp, utc_now
from docjobs.core.settings import get_settings


def document_prefix(tenant_id: str, document_id: str) -> str:
    return f"documents/{tenant_id}/{document_id}/"


def document_key(tenant_id: str, document_id: str, filename: str) -> str:
    return document_prefix(tenant_id, document_id) + filename


def work_key(tenant_id: str, job_id: str, name: str) -> str:
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
