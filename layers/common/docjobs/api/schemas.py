"""Request and response models of the HTTP API (the OpenAPI document is generated from them)."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from docjobs.core.models import DocumentMetadata, ErrorCode, JobStatus, JobType, Stage

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

    type: JobType
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
        if (self.document_id is None) == (self.input is None):
            raise ValueError("give exactly one of document_id or input")
        if len(repr(self.metadata)) > 8192:
            raise ValueError("metadata must be at most 8 KB")
        _check_storable(self.metadata, "metadata")
        return self


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


class JobSummary(BaseModel):
    """A job as the list shows it."""

    id: str
    type: JobType
    status: JobStatus
    progress: int
    stage: Stage | None = None
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
    client_metadata: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    error_code: ErrorCode | None = None
    retry_count: int = 0


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
