"""Model engine configuration, read from the environment on each call (cheap), never at import.

* ``BEDROCK_MODEL_ID`` - the default Bedrock model (or inference profile) id; empty = bedrock is
  not configured. ``BEDROCK_ALLOWED_MODEL_IDS`` - comma-separated ids a job may pick with
  ``options.model`` (the default is always allowed). ``BEDROCK_MAX_INPUT_TOKENS`` - window budget.
* ``OPENAI_BASE_URL`` + ``OPENAI_MODEL`` - an OpenAI-compatible server (e.g.
  ``http://127.0.0.1:11434/v1`` for a local Ollama); both set = openai is configured.
  ``OPENAI_API_KEY`` (locally) or ``OPENAI_SECRET_ARN`` (Secrets Manager: plain string or JSON with
  ``api_key``) - optional key. ``OPENAI_ALLOWED_MODELS``, ``OPENAI_MAX_INPUT_TOKENS``,
  ``OPENAI_JSON_SCHEMA`` (``auto``: try ``response_format`` json_schema and fall back to JSON
  mode when the server refuses it; ``off``: JSON mode only).
* ``MODEL_TIMEOUT_SECONDS`` - how long one model call may take before it is a ModelTimeoutError.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


class ModelSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    bedrock_model_id: str = ""
    bedrock_allowed_model_ids: str = ""
    bedrock_region: str = ""
    bedrock_max_input_tokens: int = Field(default=120_000, ge=1_000, le=2_000_000)

    openai_base_url: str = ""
    openai_model: str = ""
    openai_api_key: SecretStr = SecretStr("")
    openai_secret_arn: str = ""
    openai_allowed_models: str = ""
    openai_max_input_tokens: int = Field(default=6_000, ge=500, le=2_000_000)
    openai_json_schema: Literal["auto", "off"] = "auto"

    model_timeout_seconds: float = Field(default=120.0, gt=0, le=900)
    model_max_output_tokens: int = Field(default=4_096, ge=256, le=64_000)

    @property
    def bedrock_configured(self) -> bool:
        return bool(self.bedrock_model_id.strip())

    @property
    def openai_configured(self) -> bool:
        return bool(self.openai_base_url.strip() and self.openai_model.strip())

    def bedrock_models(self) -> tuple[str, ...]:
        """The default model first, then the allow-list (no duplicates)."""
        models = (self.bedrock_model_id.strip(), *_split(self.bedrock_allowed_model_ids))
        return tuple(dict.fromkeys(m for m in models if m))

    def openai_models(self) -> tuple[str, ...]:
        models = (self.openai_model.strip(), *_split(self.openai_allowed_models))
        return tuple(dict.fromkeys(m for m in models if m))


def get_model_settings() -> ModelSettings:
    return ModelSettings()
