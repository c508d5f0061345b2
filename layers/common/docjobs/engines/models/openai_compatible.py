"""Any OpenAI-compatible chat-completions server (Ollama, llama.cpp server, vLLM, OpenAI).

Uses the official ``openai`` client. Structured output: ``response_format`` ``json_schema`` when
the server takes it; a server that refuses it (HTTP 400 naming ``response_format``/``json_schema``)
is asked again in JSON mode (``json_object``) with the schema in the system prompt, and that
choice is remembered for the base URL. Either way the caller validates the answer
(:func:`docjobs.engines.models.base.complete_validated`).

The SDK retries 429/5xx/timeouts twice itself (short, honouring ``Retry-After``); what is left is
ModelThrottledError (the state machine backs off for longer) or ModelTimeoutError. A context
length error is ModelInputTooLongError; 401/403/404 are ModelConfigurationError naming the setting.

The key: ``OPENAI_API_KEY`` (local runs) or the Secrets Manager secret ``OPENAI_SECRET_ARN``
(plain string or JSON with ``api_key``); servers that need none (Ollama) get a placeholder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from docjobs.core.errors import (
    InputValidationError,
    ModelConfigurationError,
    ModelOutputInvalidError,
    ModelThrottledError,
    ModelTimeoutError,
    TransientError,
)
from docjobs.engines.models.base import EngineName, ModelInputTooLongError, Usage
from docjobs.engines.models.settings import ModelSettings

SECRET_MAX_AGE_SECONDS = 300
_NO_KEY = "not-needed"
_TOO_LONG = re.compile(r"context[_ ]length|too long|maximum context|too many tokens|exceeds? .*context", re.I)
_NO_SCHEMA_SUPPORT = re.compile(r"response_format|json_schema|structured", re.I)
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)

#: Base URLs whose server refused ``json_schema`` response formats (JSON mode from then on).
_json_mode_only: set[str] = set()


@lru_cache(maxsize=8)
def _client(base_url: str, api_key: str, timeout: float) -> Any:
    import openai

    return openai.OpenAI(base_url=base_url, api_key=api_key or _NO_KEY, timeout=timeout, max_retries=2)


def reset_clients() -> None:
    _client.cache_clear()
    _json_mode_only.clear()


def _api_key(settings: ModelSettings) -> str:
    arn = settings.openai_secret_arn.strip()
    if not arn:
        return settings.openai_api_key.get_secret_value().strip()
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        value = parameters.get_secret(arn, max_age=SECRET_MAX_AGE_SECONDS)
    except GetParameterError as exc:
        response = getattr(exc.__cause__, "response", None)
        code = str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""
        if code in {"ThrottlingException", "InternalServiceError", "InternalServiceErrorException"}:
            raise TransientError(f"Could not read OPENAI_SECRET_ARN: {exc}") from exc
        raise ModelConfigurationError(
            f"Could not read the OpenAI-compatible API key from OPENAI_SECRET_ARN={arn}: check the secret "
            f"and the function's secretsmanager:GetSecretValue permission ({exc})"
        ) from exc
    text = (value.decode() if isinstance(value, bytes) else str(value)).strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            key = data.get("api_key") or data.get("OPENAI_API_KEY")
            if not isinstance(key, str):
                raise ModelConfigurationError(f"The secret OPENAI_SECRET_ARN={arn} is JSON without 'api_key'")
            return key.strip()
    return text


def parse_json_object(text: str | None) -> dict[str, Any]:
    """The one JSON object in a model's text answer (a ```json fence around it is tolerated)."""
    if not text or not text.strip():
        raise ModelOutputInvalidError("the model answered with no content")
    fenced = _FENCE.match(text)
    body = fenced.group(1) if fenced else text.strip()
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ModelOutputInvalidError(f"the answer is not JSON ({exc.msg} at char {exc.pos})") from exc
    if not isinstance(data, dict):
        raise ModelOutputInvalidError(f"the answer is a JSON {type(data).__name__}, not an object")
    return data


@dataclass
class OpenAICompatibleEngine:
    model: str
    base_url: str
    max_input_tokens: int
    max_output_tokens: int = 4096
    json_schema: bool = True
    client: Any = field(default=None, repr=False)
    name: EngineName = "openai"

    @classmethod
    def from_settings(cls, settings: ModelSettings, model: str) -> OpenAICompatibleEngine:
        base_url = settings.openai_base_url.strip()
        return cls(
            model=model,
            base_url=base_url,
            max_input_tokens=settings.openai_max_input_tokens,
            max_output_tokens=settings.model_max_output_tokens,
            json_schema=settings.openai_json_schema == "auto",
            client=_client(base_url, _api_key(settings), settings.model_timeout_seconds),
        )

    def _messages(self, system: str, user: str, schema: Mapping[str, Any], json_mode: bool) -> list[Any]:
        if json_mode:
            system = (
                f"{system}\n\nAnswer with one JSON object only (no prose, no code fence) that satisfies "
                f"this JSON Schema:\n{json.dumps(schema, ensure_ascii=False)}"
            )
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def complete_json(
        self, system: str, user: str, schema: Mapping[str, Any]
    ) -> tuple[dict[str, Any], Usage]:
        import openai

        json_mode = not self.json_schema or self.base_url in _json_mode_only
        while True:
            if json_mode:
                response_format: dict[str, Any] = {"type": "json_object"}
            else:
                clean = {key: value for key, value in schema.items() if key != "$schema"}
                response_format = {
                    "type": "json_schema",
                    "json_schema": {"name": "result", "schema": clean, "strict": False},
                }
            try:
                completion = self.client.chat.completions.create(
                    model=self.model,
                    messages=self._messages(system, user, schema, json_mode),
                    response_format=response_format,
                    temperature=0,
                    max_tokens=self.max_output_tokens,
                )
                break
            except openai.BadRequestError as exc:
                message = _message(exc)
                if _TOO_LONG.search(message):
                    raise ModelInputTooLongError(f"{self.model} at {self.base_url}: {message}") from exc
                if not json_mode and _NO_SCHEMA_SUPPORT.search(message):
                    _json_mode_only.add(self.base_url)
                    json_mode = True
                    continue
                raise InputValidationError(
                    f"The OpenAI-compatible server refused the request for model {self.model}: {message}"
                ) from exc
            except openai.APITimeoutError as exc:
                raise ModelTimeoutError(
                    f"The OpenAI-compatible server at {self.base_url} did not answer in time ({self.model})"
                ) from exc
            except (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError) as exc:
                raise ModelThrottledError(
                    f"The OpenAI-compatible server at {self.base_url} is busy or unreachable: {_message(exc)}"
                ) from exc
            except (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError) as exc:
                raise ModelConfigurationError(
                    f"The OpenAI-compatible server at {self.base_url} refused model {self.model}: "
                    f"{_message(exc)}; check OPENAI_BASE_URL, OPENAI_MODEL and the API key"
                ) from exc
            except openai.APIStatusError as exc:
                if exc.status_code == 429 or exc.status_code >= 500:
                    raise ModelThrottledError(f"{self.base_url}: HTTP {exc.status_code}") from exc
                raise InputValidationError(
                    f"The OpenAI-compatible server answered HTTP {exc.status_code}: {_message(exc)}"
                ) from exc
        raw_usage = completion.usage
        usage = Usage(
            input_tokens=int(getattr(raw_usage, "prompt_tokens", 0) or 0),
            output_tokens=int(getattr(raw_usage, "completion_tokens", 0) or 0),
        )
        if not completion.choices:
            raise ModelOutputInvalidError(f"{self.model} answered with no choices")
        choice = completion.choices[0]
        if choice.finish_reason == "length":
            raise ModelOutputInvalidError(
                f"{self.model}'s answer was cut at the output limit ({self.max_output_tokens} tokens)"
            )
        return parse_json_object(choice.message.content), usage


def _message(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return str(getattr(exc, "message", "") or exc)
