"""A file put under ``uploads/<tenant>/`` starts a job through the same path as POST /api/jobs.

The job type comes from the object's ``x-amz-meta-job-type`` (default ``parse``) and
options from ``x-amz-meta-job-options`` (JSON). A bad type or options still leaves a
trace: a job ``failed`` with VALIDATION_ERROR that the tenant can list.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

from pydantic import ValidationError

from docjobs.adapters import job_store, storage
from docjobs.adapters.api_keys import validate_tenant_id
from docjobs.core.errors import DocjobsError, InputValidationError, QuotaExceededError
from docjobs.core.models import JobRecord
from docjobs.core.observability import logger
from docjobs.core.settings import get_settings
from docjobs.core.values import new_id, utc_now
from docjobs.domain import submission
from docjobs.domain.submission import SubmitJobRequest
from docjobs.jobtypes.registry import job_types

UPLOADS_PREFIX = "uploads/"


def upload_job_id(bucket: str, key: str, revision: str, uploaded_at: datetime) -> str:
    """The job id of one upload: a UUIDv7 (so ids still sort by time) whose timestamp is the
    upload's event time and whose random bits are a hash of the object's identity (bucket, key,
    and its version id or S3 sequencer, which differ for every PUT of a key). A redelivered
    event yields the same id."""
    digest = int.from_bytes(hashlib.sha256(f"{bucket}\n{key}\n{revision}".encode()).digest()[:10], "big")
    millis = int(uploaded_at.timestamp() * 1000) & ((1 << 48) - 1)
    rand_a = digest >> 68  # 12 bits
    rand_b = digest & ((1 << 62) - 1)  # 62 bits
    value = (millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))


def start_job_for_upload(
    bucket: str,
    key: str,
    *,
    revision: str | None = None,
    uploaded_at: datetime | None = None,
) -> dict[str, Any]:
    """Start (or find, on a redelivery) the job of an uploaded object.

    ``revision`` is the object's version id or the event's sequencer; without it (a caller that
    has no event) each call starts a new job.
    """
    key = unquote_plus(key)
    parts = key.split("/")
    if len(parts) < 3 or parts[0] + "/" != UPLOADS_PREFIX or not parts[-1]:
        logger.warning("ignored an upload outside uploads/<tenant>/", extra={"key": key})
        return {"action": "ignored", "reason": "key is not uploads/<tenant>/<file>"}
    tenant_id = validate_tenant_id(parts[1])
    if bucket != storage.bucket():
        return {"action": "ignored", "reason": f"bucket {bucket} is not the documents bucket"}
    job_id = upload_job_id(bucket, key, revision, uploaded_at or utc_now()) if revision else new_id()
    head = storage.head(key) or {}
    meta = {k.lower(): v for k, v in (head.get("Metadata") or {}).items()}
    job_type = meta.get("job-type", "parse")
    try:
        options = json.loads(meta["job-options"]) if meta.get("job-options") else {}
        request = SubmitJobRequest(type=job_type, document_id=new_id(), options=options)
        job = submission.submit_job(tenant_id, request, document_key=key, job_id=job_id)
    except (InputValidationError, QuotaExceededError, ValidationError, json.JSONDecodeError) as exc:
        code = exc.error_code if isinstance(exc, QuotaExceededError) else "VALIDATION_ERROR"
        message = exc.message if isinstance(exc, DocjobsError) else f"upload metadata is not valid: {exc}"
        job = _record_rejected_upload(tenant_id, key, job_type, message, code, job_id)
        return {"action": "rejected", "job_id": job.id, "error": message}
    return {"action": "started", "job_id": job.id}


def _record_rejected_upload(
    tenant_id: str, key: str, job_type: str, message: str, error_code: str, job_id: str
) -> JobRecord:
    now = utc_now()
    job = JobRecord(
        id=job_id,
        tenant_id=tenant_id,
        type=job_type if job_type in job_types() else "parse",
        status="failed",
        error=message,
        error_code=error_code,
        completed_at=now,
        document_key=key,
        metadata={"filename": key.rsplit("/", 1)[-1]},
        created_at=now,
        updated_at=now,
        expires_at=int((now + timedelta(days=get_settings().job_ttl_days)).timestamp()),
    )
    try:
        job_store.create_job(job)
    except job_store.JobAlreadyExistsError:
        return job_store.get_job(tenant_id, job_id)  # a redelivery: recorded the first time
    return job
