"""Amazon Bedrock Runtime ``Converse`` with structured output through a forced tool.

The request carries one tool, ``record_result``, whose ``inputSchema`` is the caller's JSON Schema,
and ``toolChoice`` names it, so the model must answer by "calling" it: the tool input is the data.
Usage comes from the response's ``usage`` (``inputTokens``/``outputTokens``).

Errors: ThrottlingException, ServiceUnavailableException, ServiceQuotaExceededException,
InternalServerException, ModelNotReadyException, ModelErrorException and connection failures are
ModelThrottledError (the state machine retries them with long jittered backoff); a read timeout
or ModelTimeoutException is ModelTimeoutError; "Input is too long" (ValidationException) is
ModelInputTooLongError so the caller halves its window; other ValidationExceptions (a schema the
model service will not take) are VALIDATION_ERROR; AccessDenied/ResourceNotFound (model access
not granted, unknown id) are ModelConfigurationError naming the model.

IAM: ``bedrock:InvokeModel`` on the allowed model (and inference-profile) ARNs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from docjobs.adapters import aws_clients
from docjobs.core.errors import (
    InputValidationError,
    ModelConfigurationError,
    ModelOutputInvalidError,
    ModelThrottledError,
    ModelTimeoutError,
)
from docjobs.engines.models.base import EngineName, ModelInputTooLongError, Usage
from docjobs.engines.models.settings import ModelSettings

TOOL_NAME = "record_result"

_THROTTLED = {
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceUnavailableException",
    "ServiceQuotaExceededException",
    "InternalServerException",
    "ModelNotReadyException",
    "ModelErrorException",
}
_CONFIGURATION = {"AccessDeniedException", "ResourceNotFoundException", "UnrecognizedClientException"}
_TOO_LONG = re.compile(r"too long|too many (input )?tokens|context (length|window)|max(imum)? .*tokens", re.I)


def _tool_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key != "$schema"}


@dataclass
class BedrockEngine:
    model: str
    max_input_tokens: int
    max_output_tokens: int = 4096
    client: Any = field(default=None, repr=False)
    name: EngineName = "bedrock"

    @classmethod
    def from_settings(cls, settings: ModelSettings, model: str) -> BedrockEngine:
        return cls(
            model=model,
            max_input_tokens=settings.bedrock_max_input_tokens,
            max_output_tokens=settings.model_max_output_tokens,
            client=aws_clients.bedrock_runtime(settings.bedrock_region, settings.model_timeout_seconds),
        )

    def request(self, system: str, user: str, schema: Mapping[str, Any]) -> dict[str, Any]:
        """The Converse request (kept apart so tests can hold its shape)."""
        return {
            "modelId": self.model,
            "system": [{"text": system}],
            "messages": [{"role": "user", "content": [{"text": user}]}],
            "inferenceConfig": {"maxTokens": self.max_output_tokens, "temperature": 0.0},
            "toolConfig": {
                "tools": [
                    {
                        "toolSpec": {
                            "name": TOOL_NAME,
                            "description": "Record the answer: the input must satisfy the JSON Schema.",
                            "inputSchema": {"json": _tool_schema(schema)},
                        }
                    }
                ],
                "toolChoice": {"tool": {"name": TOOL_NAME}},
            },
        }

    def complete_json(
        self, system: str, user: str, schema: Mapping[str, Any]
    ) -> tuple[dict[str, Any], Usage]:
        try:
            response = self.client.converse(**self.request(system, user, schema))
        except ClientError as exc:
            raise self._translate(exc) from exc
        except ReadTimeoutError as exc:
            raise ModelTimeoutError(f"Bedrock model {self.model} did not answer in time: {exc}") from exc
        except (ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError) as exc:
            raise ModelThrottledError(f"Bedrock could not be reached: {exc}") from exc
        raw_usage = response.get("usage") or {}
        usage = Usage(
            input_tokens=int(raw_usage.get("inputTokens", 0)),
            output_tokens=int(raw_usage.get("outputTokens", 0)),
        )
        content = ((response.get("output") or {}).get("message") or {}).get("content") or []
        for block in content:
            tool_use = block.get("toolUse") if isinstance(block, dict) else None
            if tool_use and tool_use.get("name") == TOOL_NAME:
                data = tool_use.get("input")
                if isinstance(data, dict):
                    return data, usage
                raise ModelOutputInvalidError(
                    f"Bedrock model {self.model} called {TOOL_NAME} with a {type(data).__name__}, "
                    "not an object"
                )
        reason = response.get("stopReason", "unknown")
        raise ModelOutputInvalidError(
            f"Bedrock model {self.model} did not answer through the {TOOL_NAME} tool (stopReason {reason})"
        )

    def _translate(self, exc: ClientError) -> Exception:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", "")) or str(exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code == "ModelTimeoutException":
            return ModelTimeoutError(f"Bedrock model {self.model} timed out: {message}")
        if code in _THROTTLED or status == 429 or status >= 500:
            return ModelThrottledError(f"Bedrock {code or status}: {message}")
        if code == "ValidationException" and _TOO_LONG.search(message):
            return ModelInputTooLongError(f"Bedrock model {self.model}: {message}")
        if code in _CONFIGURATION:
            return ModelConfigurationError(
                f"Bedrock model {self.model} cannot be used ({code}: {message}); check the model id, "
                "that model access is granted in this region, and the function's "
                "bedrock:InvokeModel permission"
            )
        return InputValidationError(f"Bedrock refused the request for model {self.model}: {code}: {message}")
