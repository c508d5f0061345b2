"""Typed answers of the API.

Field names and JSON types follow the server's OpenAPI document (``/api/openapi.json``); a
test in the server's repository generates that document and checks every field here against
it, so the two cannot drift apart. Enumerated values (type, status, stage, error_code) are
plain strings so that a client keeps working when the server adds a value; the known ones are
listed below. Unknown fields are kept (``extra="allow"``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: Statuses after which a job never changes again.
TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
#: Statuses from which ``DELETE /api/jobs/{id}`` cancels.
CANCELLABLE_STATUSES = frozenset({"queued", "processing", "retrying"})
JOB_STATUSES = ("queued", "processing", "retrying", "completed", "failed", "cancelled")
STAGES = ("uploading", "parsing", "ocr", "chunking", "vectorizing", "extracting", "generating")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class DocumentMetadata(_Model):
    """What the service learned about a job's document."""

    filename: str | None = None
    file_type: str | None = None
    pages: int | None = None


class JobCredits(_Model):
    """What a job costs, once its pages are counted."""

    cost: int
    period: str
    state: str  # reserved while running, committed when completed, released if failed/cancelled


class JobSummary(_Model):
    """A job as ``GET /api/jobs`` lists it."""

    id: str
    type: str
    status: str
    progress: int = 0
    stage: str | None = None
    document_id: str | None = None
    created_at: str
    updated_at: str
    completed_at: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


class Job(JobSummary):
    """A job as ``GET /api/jobs/{id}`` shows it."""

    input_url: str | None = None
    result: dict[str, Any] | None = None
    result_url: str | None = None
    metadata: DocumentMetadata = Field(default_factory=DocumentMetadata)
    options: dict[str, Any] = Field(default_factory=dict)
    webhook_url: str | None = None
    client_metadata: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    error_code: str | None = None
    retry_count: int = 0
    credits: JobCredits | None = None


class SubmittedJob(Job):
    """The ``POST /api/jobs`` answer: the job, plus its webhook signing secret (shown only here)."""

    webhook_secret: str | None = None


class JobPage(_Model):
    """One page of ``GET /api/jobs``; pass ``next_token`` back to get the next one."""

    jobs: list[JobSummary]
    total: int
    has_more: bool
    next_token: str | None = None


class UploadTarget(_Model):
    """``POST /api/documents``: where to PUT the file."""

    document_id: str
    upload_url: str
    expires_at: str


class Document(_Model):
    """``GET /api/documents/{id}``: an uploaded document or an output document of a job."""

    document_id: str
    filename: str | None = None
    content_type: str | None = None
    bytes: int | None = None
    pages: int | None = None
    created_at: str | None = None
    source_job_id: str | None = None
    download_url: str | None = None


class CancelResult(_Model):
    """``DELETE /api/jobs/{id}``."""

    success: bool
    job_id: str
    status: str


class TypeUsage(_Model):
    used: int
    reserved: int = 0


class Usage(_Model):
    """``GET /api/usage``: this month's credits (``credits_limit`` 0 and ``credits_remaining``
    None mean unlimited)."""

    period: str
    credits_limit: int
    credits_used: int
    credits_reserved: int = 0
    credits_remaining: int | None = None
    by_type: dict[str, TypeUsage] = Field(default_factory=dict)
