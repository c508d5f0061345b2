"""Fixtures of the job-type unit tests: model engines configured through settings (environment)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from docjobs.adapters import aws_clients
from docjobs.engines.models import openai_compatible
from tests.fakes.openai_server import FakeOpenAI, start_fake_openai

_MODEL_ENV = (
    "BEDROCK_MODEL_ID",
    "BEDROCK_ALLOWED_MODEL_IDS",
    "BEDROCK_MAX_INPUT_TOKENS",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "OPENAI_API_KEY",
    "OPENAI_SECRET_ARN",
    "OPENAI_ALLOWED_MODELS",
    "OPENAI_MAX_INPUT_TOKENS",
    "OPENAI_JSON_SCHEMA",
    "MODEL_TIMEOUT_SECONDS",
)


@pytest.fixture(autouse=True)
def no_model_engines(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts with only the rules engine configured, and fresh clients."""
    for name in _MODEL_ENV:
        monkeypatch.delenv(name, raising=False)
    openai_compatible.reset_clients()
    aws_clients.reset_clients()
    yield
    openai_compatible.reset_clients()
    aws_clients.reset_clients()


@pytest.fixture
def fake_openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    fake = start_fake_openai()
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("OPENAI_MODEL", "llama3.2:3b")
    monkeypatch.setenv("MODEL_TIMEOUT_SECONDS", "5")
    yield fake
    fake.server.clear()
    fake.server.stop()


@pytest.fixture
def bedrock_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "BEDROCK_MODEL_ID": "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "BEDROCK_ALLOWED_MODEL_IDS": "us.amazon.nova-lite-v1:0",
    }.items():
        monkeypatch.setenv(name, value)
