"""The Bedrock engine through the real boto3 client: botocore's Stubber, and a local endpoint for timeouts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from docjobs.adapters import aws_clients
from docjobs.core.errors import (
    InputValidationError,
    ModelConfigurationError,
    ModelOutputInvalidError,
    ModelThrottledError,
    ModelTimeoutError,
)
from docjobs.engines.models import ModelInputTooLongError, complete_validated, resolve_engine
from docjobs.engines.models.bedrock import TOOL_NAME, BedrockEngine

MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
SCHEMA = {
    "type": "object",
    "properties": {"invoice_number": {"type": "string"}, "total": {"type": "number"}},
    "required": ["invoice_number", "total"],
}


def tool_answer(data: Any, *, input_tokens: int = 120, output_tokens: int = 30) -> dict[str, Any]:
    return {
        "output": {
            "message": {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "tooluse_1", "name": TOOL_NAME, "input": data}}],
            }
        },
        "stopReason": "tool_use",
        "usage": {
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            "totalTokens": input_tokens + output_tokens,
        },
        "metrics": {"latencyMs": 420},
    }


@pytest.fixture
def stubbed(bedrock_env: None) -> Iterator[tuple[BedrockEngine, Stubber]]:
    choice = resolve_engine("bedrock", None)
    assert isinstance(choice.engine, BedrockEngine)
    with Stubber(choice.engine.client) as stubber:
        yield choice.engine, stubber
        stubber.assert_no_pending_responses()


def test_request_forces_the_schema_tool_on_the_default_model(stubbed: tuple[BedrockEngine, Stubber]) -> None:
    engine, stubber = stubbed
    expected = {
        "modelId": MODEL,
        "system": [{"text": "sys"}],
        "messages": [{"role": "user", "content": [{"text": "doc"}]}],
        "inferenceConfig": ANY,
        "toolConfig": {
            "tools": [{"toolSpec": {"name": TOOL_NAME, "description": ANY, "inputSchema": {"json": SCHEMA}}}],
            "toolChoice": {"tool": {"name": TOOL_NAME}},
        },
    }
    stubber.add_response("converse", tool_answer({"invoice_number": "INV-1", "total": 10.5}), expected)
    data, usage = engine.complete_json("sys", "doc", SCHEMA)
    assert data == {"invoice_number": "INV-1", "total": 10.5}
    assert (usage.input_tokens, usage.output_tokens) == (120, 30)


def test_per_job_model_from_the_allow_list_is_sent(bedrock_env: None) -> None:
    choice = resolve_engine("bedrock", "us.amazon.nova-lite-v1:0")
    assert choice.engine is not None
    with Stubber(choice.engine.client) as stubber:  # type: ignore[attr-defined]
        stubber.add_response(
            "converse",
            tool_answer({"invoice_number": "A", "total": 1}),
            {
                "modelId": "us.amazon.nova-lite-v1:0",
                "system": ANY,
                "messages": ANY,
                "inferenceConfig": ANY,
                "toolConfig": ANY,
            },
        )
        choice.engine.complete_json("s", "u", SCHEMA)


def test_invalid_answer_is_re_asked_once_with_the_errors(stubbed: tuple[BedrockEngine, Stubber]) -> None:
    engine, stubber = stubbed
    stubber.add_response("converse", tool_answer({"invoice_number": "INV-1", "total": "ten"}))
    stubber.add_response(
        "converse", tool_answer({"invoice_number": "INV-1", "total": 10.0}, input_tokens=200)
    )
    data, usage = complete_validated(engine, system="s", user="u", schema=SCHEMA)
    assert data["total"] == 10.0
    assert usage.input_tokens == 320


def test_two_invalid_answers_fail_with_the_validation_errors(stubbed: tuple[BedrockEngine, Stubber]) -> None:
    engine, stubber = stubbed
    stubber.add_response("converse", tool_answer({"invoice_number": 5}))
    stubber.add_response("converse", tool_answer({"invoice_number": 5}))
    with pytest.raises(ModelOutputInvalidError) as caught:
        complete_validated(engine, system="s", user="u", schema=SCHEMA)
    assert caught.value.error_code == "VALIDATION_ERROR"
    assert any("/invoice_number" in e for e in caught.value.details["errors"])  # type: ignore[index, union-attr]
    assert any("'total' is a required property" in e for e in caught.value.details["errors"])  # type: ignore[index, union-attr]


def test_an_answer_without_the_tool_is_invalid_output(stubbed: tuple[BedrockEngine, Stubber]) -> None:
    engine, stubber = stubbed
    reply = tool_answer({})
    reply["output"]["message"]["content"] = [{"text": "I cannot help"}]
    reply["stopReason"] = "end_turn"
    stubber.add_response("converse", reply)
    with pytest.raises(ModelOutputInvalidError, match="stopReason end_turn"):
        engine.complete_json("s", "u", SCHEMA)


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ThrottlingException", 429, ModelThrottledError),
        ("ServiceUnavailableException", 503, ModelThrottledError),
        ("InternalServerException", 500, ModelThrottledError),
        ("ModelTimeoutException", 408, ModelTimeoutError),
        ("AccessDeniedException", 403, ModelConfigurationError),
        ("ResourceNotFoundException", 404, ModelConfigurationError),
        ("ValidationException", 400, InputValidationError),
    ],
)
def test_service_errors_map_to_retryable_or_final_classes(
    stubbed: tuple[BedrockEngine, Stubber], code: str, status: int, expected: type[Exception]
) -> None:
    engine, stubber = stubbed
    stubber.add_client_error(
        "converse", service_error_code=code, service_message="boom", http_status_code=status
    )
    with pytest.raises(expected):
        engine.complete_json("s", "u", SCHEMA)


def test_input_too_long_asks_the_caller_for_a_smaller_window(stubbed: tuple[BedrockEngine, Stubber]) -> None:
    engine, stubber = stubbed
    stubber.add_client_error(
        "converse",
        service_error_code="ValidationException",
        service_message="Input is too long for requested model.",
        http_status_code=400,
    )
    with pytest.raises(ModelInputTooLongError):
        engine.complete_json("s", "u", SCHEMA)


def test_a_read_timeout_is_a_model_timeout(bedrock_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real client against a local endpoint that answers too late."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)

    def slow(_: Request) -> Response:
        time.sleep(1.5)
        return Response("{}", content_type="application/json")

    server.expect_request(
        "/model/" + MODEL.replace(":", "%3A") + "/converse", method="POST"
    ).respond_with_handler(slow)
    server.expect_request(f"/model/{MODEL}/converse", method="POST").respond_with_handler(slow)
    server.start()
    try:
        monkeypatch.setenv("MODEL_TIMEOUT_SECONDS", "0.3")
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url_for(""))
        aws_clients.reset_clients()
        choice = resolve_engine("bedrock", None)
        assert choice.engine is not None
        with pytest.raises(ModelTimeoutError):
            choice.engine.complete_json("s", "u", SCHEMA)
    finally:
        server.clear()
        server.stop()
