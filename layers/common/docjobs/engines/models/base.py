"""The model engine protocol, its usage counter, and the validate-and-re-ask helper."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from docjobs.core.errors import (
    DocjobsError,
    ModelConfigurationError,
    ModelOutputInvalidError,
    ModelThrottledError,
    ModelTimeoutError,
)

EngineName = Literal["bedrock", "openai", "rules"]
#: The order ``auto`` tries them in: the first one configured wins.
ENGINE_NAMES: tuple[EngineName, ...] = ("bedrock", "openai", "rules")

#: At most this many validation errors are shown to the model (and kept in a job's error).
MAX_REPORTED_ERRORS = 20


class ModelInputTooLongError(DocjobsError):
    """The model refused the input as too long: the caller sends a smaller window."""


class Usage(BaseModel):
    """Tokens a call (or a job) used, as the model service counted them."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
        )


@runtime_checkable
class ModelEngine(Protocol):
    """A language model that answers with one JSON object shaped by a JSON Schema."""

    #: "bedrock" or "openai" (rules is not a model engine).
    name: EngineName
    #: The model id the calls go to (a Bedrock model/inference-profile id, an OpenAI model name).
    model: str
    #: Budget for system + user prompt, in (estimated) tokens; callers window to stay under it.
    max_input_tokens: int

    def complete_json(
        self, system: str, user: str, schema: Mapping[str, Any]
    ) -> tuple[dict[str, Any], Usage]:
        """Ask once; return the parsed JSON object (not yet validated against ``schema``) and usage.

        Raises ModelThrottledError, ModelTimeoutError, ModelInputTooLongError,
        ModelOutputInvalidError (no JSON object in the answer) or ModelConfigurationError.
        """
        ...


def estimate_tokens(text: str) -> int:
    """A cautious token estimate (about 3.5 characters a token for English and numbers)."""
    return len(text) * 2 // 7 + 1


def schema_errors(data: Any, schema: Mapping[str, Any]) -> list[str]:
    """Every way ``data`` fails ``schema``, as ``/json/pointer: message`` lines (empty when valid)."""
    from jsonschema import Draft202012Validator, FormatChecker, validators

    cls = validators.validator_for(dict(schema), default=Draft202012Validator)
    validator = cls(dict(schema), format_checker=FormatChecker())
    found = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        pointer = "".join(f"/{part}" for part in error.absolute_path) or "/"
        found.append(f"{pointer}: {error.message}")
    return found


def complete_validated(
    engine: ModelEngine,
    *,
    system: str,
    user: str,
    schema: Mapping[str, Any],
    schema_name: str = "options.schema",
) -> tuple[dict[str, Any], Usage]:
    """``engine.complete_json`` whose answer must validate against ``schema``.

    ``schema_name`` is what the error calls the schema (a job type's own answer shape, when the
    schema is not the client's ``options.schema``).

    An answer that is not JSON or does not validate is re-asked once, with the errors; a second
    failure raises ModelOutputInvalidError (VALIDATION_ERROR) listing them.
    """
    usage = Usage()
    try:
        data, used = engine.complete_json(system, user, schema)
        usage += used
        errors = schema_errors(data, schema)
        previous = json.dumps(data, ensure_ascii=False)[:4000]
    except ModelOutputInvalidError as exc:
        errors = [exc.message]
        previous = ""
    if not errors:
        return data, usage
    shown = errors[:MAX_REPORTED_ERRORS]
    retry_user = (
        f"{user}\n\nYour previous answer was not valid against the JSON Schema.\n"
        + (f"Previous answer: {previous}\n" if previous else "")
        + "Errors:\n"
        + "\n".join(f"- {line}" for line in shown)
        + "\nAnswer again with one JSON object that satisfies the schema."
    )
    try:
        data, used = engine.complete_json(system, retry_user, schema)
    except ModelOutputInvalidError as exc:
        raise ModelOutputInvalidError(
            f"The {engine.name} model {engine.model} answered twice with output that is not JSON: "
            f"{exc.message}",
            details={"errors": [exc.message]},
        ) from exc
    usage += used
    errors = schema_errors(data, schema)
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        raise ModelOutputInvalidError(
            f"The {engine.name} model {engine.model} answered twice with data that does not validate "
            f"against {schema_name}: " + "; ".join(shown),
            details={"errors": shown},
        )
    return data, usage


__all__ = [
    "ENGINE_NAMES",
    "EngineName",
    "ModelConfigurationError",
    "ModelEngine",
    "ModelInputTooLongError",
    "ModelOutputInvalidError",
    "ModelThrottledError",
    "ModelTimeoutError",
    "Usage",
    "complete_validated",
    "estimate_tokens",
    "schema_errors",
]
