"""Choosing the engine: auto order, unconfigured engines and models are 400s naming what is there."""

from __future__ import annotations

import pytest

from docjobs.core.errors import InputValidationError
from docjobs.engines.models import check_engine_request, configured_engines, resolve_engine


def test_only_rules_is_configured_without_model_settings() -> None:
    assert configured_engines() == ["rules"]
    choice = resolve_engine("auto", None)
    assert (choice.name, choice.model, choice.engine) == ("rules", None, None)


def test_asking_for_an_unconfigured_engine_names_the_configured_ones() -> None:
    with pytest.raises(InputValidationError) as caught:
        check_engine_request("bedrock", None)
    assert "options.engine" in caught.value.message and "configured engines: rules" in caught.value.message


def test_auto_prefers_bedrock_then_openai(bedrock_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_MODEL", "llama3.2")
    assert configured_engines() == ["bedrock", "openai", "rules"]
    assert check_engine_request("auto", None) == ("bedrock", "us.anthropic.claude-haiku-4-5-20251001-v1:0")
    assert check_engine_request("openai", None) == ("openai", "llama3.2")
    monkeypatch.delenv("BEDROCK_MODEL_ID")
    assert check_engine_request("auto", None)[0] == "openai"


def test_model_must_be_on_the_allow_list(bedrock_env: None) -> None:
    assert check_engine_request("bedrock", "us.amazon.nova-lite-v1:0")[1] == "us.amazon.nova-lite-v1:0"
    with pytest.raises(InputValidationError) as caught:
        check_engine_request("auto", "anthropic.claude-opus-4")
    assert "options.model" in caught.value.message and "us.amazon.nova-lite-v1:0" in caught.value.message


def test_rules_takes_no_model() -> None:
    with pytest.raises(InputValidationError, match=r"options\.model: the rules engine takes no model"):
        check_engine_request("rules", "llama3.2")
