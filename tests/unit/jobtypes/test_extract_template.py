"""template.yaml: the extract stage may invoke the allowed Bedrock models only (none with bedrock off)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docjobs_local.template import ResolvedTemplate

ROOT = Path(__file__).resolve().parents[3]


def bedrock_statements(**parameters: str) -> list[dict[str, Any]]:
    template = ResolvedTemplate.from_file(ROOT / "template.yaml", parameter_overrides=parameters)
    policies = template.resolve(template.function_properties("ExtractStageFunction")["Policies"])
    return [
        statement
        for policy in policies
        if isinstance(policy, dict)
        for statement in policy.get("Statement", [])
        if statement.get("Action") == "bedrock:InvokeModel"
    ]


def test_invoke_model_on_the_default_and_allowed_ids_only() -> None:
    statements = bedrock_statements(
        BedrockModelId="us.anthropic.claude-haiku-4-5-20251001-v1:0",
        BedrockAllowedModelIds="amazon.nova-lite-v1:0,us.amazon.nova-pro-v1:0",
    )
    ids = ["us.anthropic.claude-haiku-4-5-20251001-v1:0", "amazon.nova-lite-v1:0", "us.amazon.nova-pro-v1:0"]
    models, profiles, through_profiles = statements
    assert models["Resource"] == [f"arn:aws:bedrock:*::foundation-model/{i}" for i in ids]
    assert profiles["Resource"] == [f"arn:aws:bedrock:*:*:inference-profile/{i}" for i in ids]
    assert through_profiles["Resource"] == "arn:aws:bedrock:*::foundation-model/*"
    assert through_profiles["Condition"]["StringLike"]["bedrock:InferenceProfileArn"] == profiles["Resource"]


def test_no_bedrock_permission_when_bedrock_is_off() -> None:
    assert bedrock_statements(BedrockModelId="") == []
