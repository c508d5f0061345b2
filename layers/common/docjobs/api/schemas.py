"""Request and response models of the HTTP API (the OpenAPI document is generated from them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from docjobs.core.models import DocumentMetadata, ErrorCode, JobStatus, JobType, Stage, WebhookDelivery


def __getattr__(name: str) -> Any:
    """``SubmitJobRequest`` lives with the submission it describes (docjobs.domain.submission),
    imported only by what needs it: only the submit function pays for its validators."""
    if name == "SubmitJobRequest":
        from docjobs.domain.submission import SubmitJobRequest

        return SubmitJobRequest
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class CreateDocumentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255, pattern=r"^[^/\\\x00-\x1f]+$")
    content_type: str | None = Field(default=None, max_length=255)

    @field_validator("filename")
    @classmethod
    def _usable_key_segment(cls, value: str) -> str:
        # "." and ".." are dot segments: HTTP clients rewrite them in the presigned URL,
        # which then no longer matches its signature.
        if value.strip() in {"", ".", ".."}:
            raise ValueError("filename must name a file, not '.', '..' or blanks")
        if len(value.encode("utf-8")) > 255:
            raise ValueError("filename must be at most 255 bytes in UTF-8")
        return value


class CreateDocumentResponse(BaseModel):
    document_id: str
    upload_url: str = Field(description="presigned S3 PUT URL; send the file body with an HTTP PUT")
    expires_at: str


class DocumentResponse(BaseModel):
    """``GET /api/documents/{id}``: an uploaded document or a job's output document."""

    document_id: str
    filename: str
    content_type: str | None = None
    bytes: int
    pages: int | None = Field(default=None, description="known for output documents")
    created_at: str
    source_job_id: str | None = Field(default=None, description="the job that wrote it (output documents)")
    download_url: str = Field(description="presigned S3 GET URL")


class JobCreditsView(BaseModel):
    cost: int = Field(description="credits the job costs (known once its pages are counted)")
    period: str = Field(description="the month (UTC, YYYY-MM) they count against")
    state: Literal["reserved", "committed", "released"] = Field(
        description="reserved while running, committed when completed, "
        "released (free) if it fails or is cancelled"
    )


class TypeUsage(BaseModel):
    used: int
    reserved: int


class UsageResponse(BaseModel):
    """``GET /api/usage``: a month's credits, from the ledger (exact, not estimated)."""

    period: str = Field(description="YYYY-MM (UTC calendar month)")
    credits_limit: int = Field(description="0 means unlimited")
    credits_used: int = Field(description="committed by completed jobs")
    credits_reserved: int = Field(description="held by running jobs")
    credits_remaining: int | None = Field(description="limit - used - reserved; null when unlimited")
    by_type: dict[str, TypeUsage]


class JobSummary(BaseModel):
    """A job as the list shows it."""

    id: str
    type: JobType
    status: JobStatus
    progress: int
    stage: Stage | None = Field(
        default=None,
        description="the stage running, or where a failed or cancelled job stopped; null once completed",
    )
    document_id: str | None = None
    created_at: str
    updated_at: str
    completed_at: str | None = None


class JobDetail(JobSummary):
    """A job as ``GET /api/jobs/{id}`` shows it."""

    input_url: str | None = None
    result: dict[str, Any] | None = None
    result_url: str | None = Field(default=None, description="presigned GET URL of the full result JSON")
    metadata: DocumentMetadata
    options: dict[str, Any] = Field(default_factory=dict)
    webhook_url: str | None = None
    webhook: WebhookDelivery | None = Field(
        default=None, description="delivery status of the job's webhook (present when it has one)"
    )
    client_metadata: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(
        default_factory=list,
        description="what went wrong without failing the job (a repaired file, an ignored password, "
        "a misleading extension, an image without text); also in result.metadata.warnings",
    )
    error: str | None = None
    error_code: ErrorCode | None = None
    retry_count: int = 0
    credits: JobCreditsView | None = Field(default=None, description="what the job costs, once known")


class SubmittedJob(JobDetail):
    """The ``POST /api/jobs`` answer: the job, plus its webhook signing secret (shown only here)."""

    webhook_secret: str | None = Field(
        default=None,
        description="HMAC-SHA256 key of this job's webhook signatures (X-Docjobs-Signature); shown once",
    )


class JobListResponse(BaseModel):
    jobs: list[JobSummary]
    total: int
    has_more: bool
    next_token: str | None = Field(default=None, description="pass as page_token for the next page")


class CancelJobResponse(BaseModel):
    success: Literal[True]
    job_id: str
    status: Literal["cancelled"]


class ErrorResponse(BaseModel):
    error: str
    error_code: str
    details: dict[str, Any] | None = None
