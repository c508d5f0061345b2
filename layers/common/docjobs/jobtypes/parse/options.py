"""Options a client may pass per job type, validated when the job is submitted."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ParseOptions(BaseModel):
    """Options of a ``parse`` job."""

    model_config = ConfigDict(extra="forbid")

    chunk_strategy: Literal["heading", "size"] = Field(
        default="heading", description="heading: split at headings first, then by size; size: by size only"
    )
    chunk_target_tokens: int = Field(default=512, ge=64, le=8192, description="target chunk size in tokens")
    chunk_overlap_tokens: int = Field(default=64, ge=0, le=4096, description="tokens repeated between chunks")
    ocr: Literal["auto", "off", "force"] = Field(
        default="auto", description="auto: OCR only pages without a text layer; force: every page; off: never"
    )
    ocr_language: str = Field(
        default="eng", pattern=r"^[a-z]{3}(\+[a-z]{3})*$", description="Tesseract codes"
    )
    detect_tables: bool = Field(default=True, description="render tables as markdown")
    vectorize: bool = Field(default=False, description="embed chunks with Pinecone llama-text-embed-v2")

    @model_validator(mode="after")
    def _overlap_below_target(self) -> ParseOptions:
        if self.chunk_overlap_tokens >= self.chunk_target_tokens:
            raise ValueError("chunk_overlap_tokens must be smaller than chunk_target_tokens")
        return self
