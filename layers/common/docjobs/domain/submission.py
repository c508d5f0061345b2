"""Submitting a job: validate it against its type, store it ``queued``, put it on the intake queue.

The API's ``POST /api/jobs`` and the S3 upload trigger both come through ``submit_job``.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from docjobs.adapters import intake, job_store, storage
from docjobs.core.errors import DocjobsError, InputValidationError, NotFoundError, TransientError
from docjobs.core.models import JobRecord, WebhookDelivery
from docjobs.core.observability import emit_metric, logger
from docjobs.core.settings import get_settings
from docjobs.core.values import new_id, utc_now
from docjobs.domain.credits import ensure_credits_remain
from docjobs.domain.transitions import fail_job
from docjobs.domain.url_safety import check_public_url
from docjobs.domain.webhooks import new_webhook_secret
from docjobs.jobtypes.registry import get_job_type

#: How deep client ``metadata`` may nest (DynamoDB allows 32 levels for the whole item).
MAX_METADATA_DEPTH = 10
#: DynamoDB numbers: at most 38 significant digits, magnitude below 1e126 and, unless zero,
#: at least 1e-130.
_MAX_NUMBER_DIGITS = 38


def _check_storable(value: Any, where: str, depth: int = 0) -> None:
    """Refuse what a DynamoDB item cannot hold (so a bad request is a 400, never a 500)."""
    if depth > MAX_METADATA_DEPTH:
        raise ValueError(f"{where} nests deeper than {MAX_METADATA_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key:
                raise ValueError(f"{where} has an empty key")
            _check_storable(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_storable(item, f"{where}[{i}]", depth + 1)
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        return
    elif isinstance(value, int):
        if len(str(abs(value))) > _MAX_NUMBER_DIGITS:
            raise ValueError(f"{where} has more than {_MAX_NUMBER_DIGITS} digits")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} is not a finite number")
        if value != 0 and not (1e-130 <= abs(value) < 1e126):
            raise ValueError(f"{where} is out of the storable number range (1e-130 to 1e125)")


def _https_only(value: HttpUrl | None, field: str) -> HttpUrl | None:
    if value is not None and value.scheme != "https":
        raise ValueError(f"{field} must be an https:// URL")
    return value


class SubmitJobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        min_length=1, max_length=32, description="the job type (GET /api/openapi.json lists them)"
    )
    document_id: str | None = Field(default=None, min_length=1, max_length=64)
    input: HttpUrl | None = Field(default=None, description="an https URL the service fetches")
    options: dict[str, Any] = Field(default_factory=dict)
    webhook_url: HttpUrl | None = Field(default=None, description="https URL notified when the job ends")
    metadata: dict[str, Any] = Field(default_factory=dict, description="your own metadata, returned as is")

    @field_validator("input")
    @classmethod
    def _input_https(cls, value: HttpUrl | None) -> HttpUrl | None:
        return _https_only(value, "input")

    @field_validator("webhook_url")
    @classmethod
    def _webhook_https(cls, value: HttpUrl | None) -> HttpUrl | None:
        return _https_only(value, "webhook_url")

    @model_validator(mode="after")
    def _one_source(self) -> SubmitJobRequest:
        if self.document_id is not None and self.input is not None:
            raise ValueError("give exactly one of document_id or input")
        if len(repr(self.metadata)) > 8192:
            raise ValueError("metadata must be at most 8 KB")
        _check_storable(self.metadata, "metadata")
        return self


def _filename_of(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def _file_type_of(filename: str) -> str | None:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else None


def submit_job(
    tenant_id: str,
    request: SubmitJobRequest,
    *,
    document_key: str | None = None,
    job_id: str | None = None,
) -> JobRecord:
    """Validate, store the job as ``queued`` and queue it for the starter (``domain.starter``).

    ``document_key`` is given by the S3 upload trigger, which already knows the object.
    ``job_id`` is given by a caller that retries (a workflow starting its child jobs, the upload
    trigger deriving it from the object): a job that already exists under that id is returned as
    it is (queued again if it never left ``queued``), and nothing is created twice.
    """
    if job_id is not None:
        try:
            existing = job_store.get_job(tenant_id, job_id)
        except NotFoundError:
            pass
        else:
            if existing.status == "queued":
                _enqueue(existing, leave_queued=True)  # the first attempt may not have queued it
            return existing
    spec = get_job_type(request.type)
    if spec.needs_document and request.document_id is None and request.input is None:
        raise InputValidationError(
            f"a {spec.name} job needs a document: give exactly one of document_id or input"
        )
    parsed_options = spec.validate_options(request.options)
    if spec.check_submission is not None:
        spec.check_submission(tenant_id, parsed_options)
    if spec.check_request is not None:
        spec.check_request(tenant_id, parsed_options, request)
    ensure_credits_remain(tenant_id)
    options = parsed_options.model_dump(mode="json")
    if request.webhook_url is not None:
        # Refused now, with a 400 naming the field, rather than dropped when the job ends.
        check_public_url(str(request.webhook_url), what="webhook_url")
    if request.document_id is not None and document_key is None:
        document_key = storage.find_document_key(tenant_id, request.document_id)
        if document_key is None:
            raise InputValidationError(
                f"document {request.document_id} does not exist: upload it with POST /api/documents first"
            )
    source = document_key or (request.input.path if request.input else None) or ""
    filename = _filename_of(source) or None
    now = utc_now()
    job = JobRecord(
        id=job_id or new_id(),
        tenant_id=tenant_id,
        type=request.type,
        status="queued",
        progress=0,
        document_id=request.document_id,
        input_url=str(request.input) if request.input else None,
        document_key=document_key,
        metadata={"filename": filename, "file_type": _file_type_of(filename or "")},
        options=options,
        webhook_url=str(request.webhook_url) if request.webhook_url else None,
        webhook_secret=new_webhook_secret() if request.webhook_url else None,
        webhook=WebhookDelivery() if request.webhook_url else None,
        client_metadata=request.metadata,
        created_at=now,
        updated_at=now,
        expires_at=int((now + timedelta(days=get_settings().job_ttl_days)).timestamp()),
    )
    try:
        job_store.create_job(job)
    except job_store.JobAlreadyExistsError:
        existing = job_store.get_job(tenant_id, job.id)
        if existing.status == "queued":
            _enqueue(existing, leave_queued=True)  # the first delivery may not have queued it
        return existing
    _enqueue(job, leave_queued=job_id is not None)
    emit_metric("JobsSubmitted", job_type=job.type)
    return job


def _enqueue(job: JobRecord, *, leave_queued: bool = False) -> None:
    """Hand the job to the intake queue; the starter starts it as capacity allows (``queued``
    until then). ``leave_queued``: a refused enqueue leaves the job queued (its caller is retried
    with the same job id); otherwise the job fails, so a client retry never leaves an orphan."""
    try:
        intake.enqueue(job)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        logger.exception("could not queue the job", extra={"job_id": job.id, "error_code": code})
        if leave_queued:
            raise TransientError(f"could not queue the job yet ({code})") from exc
        _fail_unstarted(job, f"could not queue the job: {exc.response.get('Error', {}).get('Message')}")
        raise


def _fail_unstarted(job: JobRecord, message: str) -> None:
    try:
        fail_job(job.tenant_id, job.id, message, "INTERNAL_ERROR")
    except DocjobsError:
        logger.exception("could not mark the unstarted job failed", extra={"job_id": job.id})
