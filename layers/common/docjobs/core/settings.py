"""Service settings: one validated model, read lazily from the environment.

The values come from template.yaml (Globals.Function.Environment); nothing here
reads the environment at import time.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field


class EnvSettings(BaseModel):
    """A settings model read from the environment by ``from_environment()``: each field from the
    variable of the same name in any case (``jobs_table_name`` from ``JOBS_TABLE_NAME``), validated.

    Only plain values (strings, numbers, booleans, literals) are read, so pydantic-settings'
    sources (dotenv, secrets, CLI, JSON decoding) are not needed, nor their cold-start cost
    (docs/decisions.md, "API cold starts").
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    @classmethod
    def from_environment(cls) -> Self:
        environment = {name.lower(): value for name, value in os.environ.items()}
        return cls.model_validate(
            {name: environment[name] for name in cls.model_fields if name in environment}
        )


class Settings(EnvSettings):
    jobs_table_name: str = Field(min_length=3)
    api_keys_table_name: str = Field(default="", description="Only the authorizer and key CLI need it")
    idempotency_table_name: str = Field(default="", description="Only the submit route needs it")
    documents_bucket_name: str = Field(min_length=3)
    job_ttl_days: int = Field(default=90, ge=1, le=3650)
    upload_url_expiry_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    max_input_bytes: int = Field(default=500 * 1024 * 1024, ge=1)
    input_fetch_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    allow_private_input_urls: bool = Field(default=False, description="local runtime and tests only")
    max_inline_result_bytes: int = Field(default=4 * 1024 * 1024, ge=0, le=5 * 1024 * 1024)
    stage_timeout_seconds: int = Field(default=900, ge=1, le=900, description="Task timeout of each stage")
    ocr_batch_pages: int = Field(default=10, ge=1, le=200, description="pages per OCR Map iteration")
    parse_range_pages: int = Field(
        default=400,
        ge=10,
        le=10000,
        description="documents with more pages are parsed page-parallel, in ranges of this many pages",
    )
    ocr_engine: Literal["tesseract", "textract", "none"] = "tesseract"
    child_poll_seconds: int = Field(
        default=5,
        ge=0,
        le=300,
        description="Wait between checks of a workflow's child jobs (limits.poll_seconds)",
    )
    default_monthly_credits: int = Field(
        default=0, ge=0, description="a tenant's monthly credit limit unless set for it; 0 = unlimited"
    )
    credit_rate_scale: float = Field(default=1.0, gt=0, le=1000, description="multiplies every credit rate")
    job_intake_queue_url: str = Field(default="", description="SQS queue the starter starts jobs from")
    max_concurrent_jobs: int = Field(default=100, ge=1, le=10000, description="executions running at once")
    textract_poll_seconds: int = Field(
        default=5, ge=0, le=300, description="Wait between Textract status polls (the ASL's TextractWait)"
    )


class PineconeSettings(EnvSettings):
    """Vectorizing configuration, read on each call (cheap) so a changed environment shows.

    Kept apart from ``Settings`` because its values are optional: missing or invalid ones turn
    vectorizing off with a reason (``docjobs.engines.vectorizing.vectorizing_status``), never a crash.
    """

    pinecone_secret_arn: str = ""
    pinecone_api_key: str = ""
    pinecone_index_host: str = ""
    embed_dimension: str = "1024"


class CorsSettings(EnvSettings):
    """Browser origins allowed to call the API (template parameter CorsAllowOrigins).

    Read when a function builds its resolver; optional, so functions that never answer a
    browser need nothing set.
    """

    cors_allow_origins: str = Field(
        default="",
        pattern=r"^(\*|https?://[^,\s/]+(,https?://[^,\s/]+)*)?$",
        description="comma-separated origins, * for any, empty for none",
    )

    @property
    def origins(self) -> list[str]:
        return [origin for origin in self.cors_allow_origins.split(",") if origin]


def get_pinecone_settings() -> PineconeSettings:
    return PineconeSettings.from_environment()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (validated once; ``get_settings.cache_clear()`` re-reads)."""
    return Settings.from_environment()
