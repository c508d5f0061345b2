"""``POST /api/documents`` and ``GET /api/documents/{id}``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


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
