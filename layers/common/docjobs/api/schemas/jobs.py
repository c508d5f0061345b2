"""How the job routes show jobs (list, get, cancel; the submit answer extends JobDetail)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from docjobs.core.models import DocumentMetadata, ErrorCode, JobStatus, JobType, Stage, WebhookDelivery


class JobCreditsView(BaseModel):
    cost: int = Field(description="credits the job costs (known once its pages are counted)")
    period: str = Field(description="the month (UTC, YYYY-MM) they count against")
    state: Literal["reserved", "committed", "released"] = Field(
        description="reserved while running, committed when completed, "
        "released (free) if it fails or is cancelled"
    )


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


class JobListResponse(BaseModel):
    jobs: list[JobSummary]
    total: int
    has_more: bool
    next_token: str | None = Field(default=None, description="pass as page_token for the next page")


class CancelJobResponse(BaseModel):
    success: Literal[True]
    job_id: str
    status: Literal["cancelled"]
