"""The job record and the values it is made of.

Field names and formats follow the API contract (shared spec): ``id, type, status,
progress, stage, document_id, input_url, result, metadata {filename, file_type,
pages}, created_at, updated_at, completed_at, error, error_code, retry_count``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from docjobs.core.values import format_timestamp

#: A job type's name. Which types exist is the registry's (``docjobs.jobtypes.registry``); the
#: contract names parse, extract, split, generate, edit and workflow.
JobType = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
JobStatus = Literal["queued", "processing", "completed", "failed", "cancelled", "retrying"]
Stage = Literal["uploading", "parsing", "ocr", "chunking", "vectorizing", "extracting", "generating"]
ErrorCode = Literal[
    "TIMEOUT", "OCR_ERROR", "PARSE_ERROR", "VALIDATION_ERROR", "QUOTA_EXCEEDED", "INTERNAL_ERROR"
]

JOB_STATUSES: tuple[str, ...] = JobStatus.__args__  # type: ignore[attr-defined]
TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled"})


Timestamp = Annotated[datetime, PlainSerializer(format_timestamp, return_type=str)]


class DocumentMetadata(BaseModel):
    """``metadata`` of a job: what the service learned about the document."""

    filename: str | None = None
    file_type: str | None = None
    pages: int | None = None


class WebhookDelivery(BaseModel):
    """How the job's webhook delivery went (``webhook`` on the job; absent without a webhook)."""

    attempts: int = Field(default=0, ge=0, description="deliveries tried so far")
    last_status_code: int | None = Field(default=None, description="HTTP status of the last attempt")
    last_error: str | None = Field(default=None, description="why the last attempt failed")
    delivered_at: Timestamp | None = Field(default=None, description="when a delivery was answered 2xx")


class ResultPointer(BaseModel):
    """Where a job's full result lives (results never live in the job item)."""

    bucket: str
    key: str
    size_bytes: int
    summary: dict[str, Any] = Field(default_factory=dict)
    etag: str | None = Field(
        default=None, description="the result object's ETag as published (what API caches key on)"
    )


class JobCredits(BaseModel):
    """What a job costs: reserved once its cost is known, committed when it completes, released
    when it fails or is cancelled (docjobs.domain.transitions; the ledger in docjobs.adapters.ledger)."""

    cost: int = Field(ge=0, description="credits this job costs")
    period: str = Field(description="the month (UTC, YYYY-MM) the credits count against")
    state: Literal["reserved", "committed", "released"]


class JobListing(BaseModel):
    """What a job list shows of a job: the attributes list queries read (job_store.list_jobs)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    tenant_id: str
    type: JobType
    status: JobStatus = "queued"
    progress: int = Field(default=0, ge=0, le=100)
    stage: Stage | None = None
    document_id: str | None = None
    created_at: Timestamp
    updated_at: Timestamp
    completed_at: Timestamp | None = None


class JobRecord(JobListing):
    """A job as stored in the jobs table (one item per job, owned by a tenant)."""

    input_url: str | None = None
    document_key: str | None = None
    metadata: DocumentMetadata = Field(default_factory=DocumentMetadata)
    options: dict[str, Any] = Field(default_factory=dict)
    webhook_url: str | None = None
    webhook_secret: str | None = Field(default=None, description="signs this job's webhook deliveries")
    webhook: WebhookDelivery | None = None
    warnings: list[str] = Field(default_factory=list, description="what went wrong without failing the job")
    client_metadata: dict[str, Any] = Field(default_factory=dict)
    result: ResultPointer | None = None
    error: str | None = None
    error_code: str | None = None
    retry_count: int = 0
    credits: JobCredits | None = None
    expires_at: int = Field(description="Epoch seconds: DynamoDB TTL")

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES
