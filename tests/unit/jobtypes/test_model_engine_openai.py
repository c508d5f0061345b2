"""The OpenAI-compatible engine through the real ``openai`` client against a fake server on 127.0.0.1."""

from __future__ import annotations

import pytest

from docjobs.core.errors import (
    ModelConfigurationError,
    ModelOutputInvalidError,
    ModelThrottledError,
    ModelTimeoutError,
)
from docjobs.engines.models import ModelInputTooLongError, complete_validated, resolve_engine
from tests.fakes.openai_server import FakeOpenAI, Reply

SCHEMA = {
    "type": "object",
    "properties": {"invoice_number": {"type": "string"}, "total": {"type": "number"}},
    "required": ["invoice_number"],
}


def _engine():  # type: ignore[no-untyped-def]
    choice = resolve_engine("openai", None)
    assert choice.engine is not None and choice.model == "llama3.2:3b"
    return choice.engine


def test_valid_json_with_json_schema_response_format(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply({"invoice_number": "INV-7", "total": 99.5})
    data, usage = complete_validated(_engine(), system="sys", user="doc text", schema=SCHEMA)
    assert data == {"invoice_number": "INV-7", "total": 99.5}
    assert usage.input_tokens > 0 and usage.output_tokens > 0
    sent = fake_openai.requests[0]
    assert sent["model"] == "llama3.2:3b"
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"] == SCHEMA
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]


def test_invalid_json_then_valid_is_re_asked_once_with_the_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply("Sure! Here is the data: {invoice", {"invoice_number": "INV-8"})
    data, _ = complete_validated(_engine(), system="s", user="u", schema=SCHEMA)
    assert data == {"invoice_number": "INV-8"}
    assert len(fake_openai.requests) == 2
    assert "not valid" in fake_openai.requests[1]["messages"][-1]["content"]
    assert "not JSON" in fake_openai.requests[1]["messages"][-1]["content"]


def test_json_in_a_code_fence_is_accepted(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply('```json\n{"invoice_number": "INV-9"}\n```')
    data, _ = _engine().complete_json("s", "u", SCHEMA)
    assert data == {"invoice_number": "INV-9"}


def test_schema_violation_twice_fails_validation_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply({"total": "lots"}, {"total": "lots"})
    with pytest.raises(ModelOutputInvalidError) as caught:
        complete_validated(_engine(), system="s", user="u", schema=SCHEMA)
    assert caught.value.error_code == "VALIDATION_ERROR"
    assert "'invoice_number' is a required property" in caught.value.message


def test_server_without_structured_outputs_falls_back_to_json_mode(fake_openai: FakeOpenAI) -> None:
    fake_openai.refuse_json_schema = True
    fake_openai.reply({"invoice_number": "INV-10"}, {"invoice_number": "INV-11"})
    engine = _engine()
    assert engine.complete_json("s", "u", SCHEMA)[0] == {"invoice_number": "INV-10"}
    assert engine.complete_json("s", "u", SCHEMA)[0] == {"invoice_number": "INV-11"}
    formats = [r["response_format"]["type"] for r in fake_openai.requests]
    assert formats == ["json_schema", "json_object", "json_object"]  # remembered after the first refusal
    assert "JSON Schema" in fake_openai.requests[-1]["messages"][0]["content"]


def test_429_then_success(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(Reply(status=429, message="slow down"), {"invoice_number": "INV-12"})
    data, _ = _engine().complete_json("s", "u", SCHEMA)
    assert data == {"invoice_number": "INV-12"}


def test_persistent_429_is_a_throttled_error_for_the_state_machine(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(*[Reply(status=429, message="rate limit")] * 3)
    with pytest.raises(ModelThrottledError):
        _engine().complete_json("s", "u", SCHEMA)


def test_slow_reply_is_a_timeout(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL_TIMEOUT_SECONDS", "0.2")
    fake_openai.reply(*[Reply(content={"invoice_number": "late"}, delay=0.6)] * 3)
    with pytest.raises(ModelTimeoutError) as caught:
        _engine().complete_json("s", "u", SCHEMA)
    assert caught.value.error_code == "TIMEOUT"


def test_context_length_error_asks_for_a_smaller_window(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(Reply(status=400, message="This model's maximum context length is 8192 tokens"))
    with pytest.raises(ModelInputTooLongError):
        _engine().complete_json("s", "u", SCHEMA)


def test_unknown_model_is_a_configuration_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(Reply(status=404, message="model 'llama3.2:3b' not found, try pulling it first"))
    with pytest.raises(ModelConfigurationError, match="OPENAI_MODEL"):
        _engine().complete_json("s", "u", SCHEMA)


def test_truncated_answer_is_invalid_output(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(Reply(content='{"invoice_number": "INV', finish_reason="length"))
    with pytest.raises(ModelOutputInvalidError, match="output limit"):
        _engine().complete_json("s", "u", SCHEMA)
