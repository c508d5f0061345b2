"""template.yaml: split's Decide stage (categories with a model engine) has extract's model permissions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from docjobs_local.template import ResolvedTemplate

ROOT = Path(__file__).resolve().parents[3]


def model_statements(function: str, **parameters: str) -> list[dict[str, Any]]:
    template = ResolvedTemplate.from_file(ROOT / "template.yaml", parameter_overrides=parameters)
    policies = template.resolve(template.function_properties(function)["Policies"])
    return [
        statement
        for policy in policies
        if isinstance(policy, dict)
        for statement in policy.get("Statement", [])
        if statement.get("Action") in ("bedrock:InvokeModel", "secretsmanager:GetSecretValue")
    ]


@pytest.mark.parametrize(
    "parameters",
    [
        {
            "BedrockModelId": "us.anthropic.claude-haiku-4-5-20251001-v1:0",
            "BedrockAllowedModelIds": "amazon.nova-lite-v1:0",
        },
        {
            "BedrockModelId": "",
            "OpenAISecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:openai",
        },
        {"BedrockModelId": ""},
    ],
)
def test_split_decide_has_the_extract_stage_model_statements(parameters: dict[str, str]) -> None:
    split = model_statements("SplitDecideFunction", **parameters)
    assert split == model_statements("ExtractStageFunction", **parameters)
    bedrock_on = bool(parameters["BedrockModelId"])
    assert any(s["Action"] == "bedrock:InvokeModel" for s in split) is bedrock_on


def test_split_decide_runs_with_the_model_retries() -> None:
    import json

    machine = json.loads((ROOT / "statemachines" / "split.asl.json").read_text())
    extract = json.loads((ROOT / "statemachines" / "extract.asl.json").read_text())
    assert machine["States"]["Decide"]["Retry"] == extract["States"]["Extract"]["Retry"]
    assert "ModelThrottledError" in machine["States"]["Decide"]["Retry"][0]["ErrorEquals"]
