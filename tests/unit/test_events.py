"""events/*.json: one sample event (at least) per function in template.yaml, and the API ones work.

An event belongs to the function whose CodeUri directory names it: ``functions/get_job/`` →
``events/get_job.json`` or ``events/get_job_<variant>.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docjobs_local.template import ResolvedTemplate

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
TEMPLATE = ResolvedTemplate.from_file(ROOT / "template.yaml")
FUNCTIONS = {
    logical: Path(str(TEMPLATE.function_properties(logical)["CodeUri"])).name
    for logical in TEMPLATE.resources_of_type("AWS::Serverless::Function")
}
SAMPLE_KEY = "dj_sample-key-for-events-0123456789"


def _events_of(code_dir: str) -> list[Path]:
    return sorted(p for p in EVENTS.glob("*.json") if p.stem == code_dir or p.stem.startswith(code_dir + "_"))


def _api_functions() -> list[str]:
    return [
        logical
        for logical in FUNCTIONS
        if any(
            e.get("Type") == "Api"
            for e in (TEMPLATE.function_properties(logical).get("Events") or {}).values()
        )
    ]


def _owner(path: Path) -> str:
    """The function an event file belongs to: the longest CodeUri name that prefixes it."""
    matches = [
        (len(d), logical)
        for logical, d in FUNCTIONS.items()
        if path.stem == d or path.stem.startswith(d + "_")
    ]
    assert matches, f"{path.name} belongs to no function in template.yaml"
    return max(matches)[1]


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_every_function_has_a_sample_event(logical):
    found = _events_of(FUNCTIONS[logical])
    assert found, f"no events/{FUNCTIONS[logical]}*.json for {logical}"
    for path in found:
        assert isinstance(json.loads(path.read_text()), dict)


def test_every_event_file_belongs_to_a_function():
    for path in EVENTS.glob("*.json"):
        _owner(path)


@pytest.mark.parametrize("logical", _api_functions())
def test_api_events_carry_the_route_and_the_tenant(logical):
    routes = {
        (str(e["Properties"]["Method"]).upper(), str(e["Properties"]["Path"])): (
            (e["Properties"].get("Auth") or {}).get("Authorizer") != "NONE"
        )
        for e in (TEMPLATE.function_properties(logical).get("Events") or {}).values()
        if e.get("Type") == "Api"
    }
    for path in _events_of(FUNCTIONS[logical]):
        event = json.loads(path.read_text())
        assert (event["httpMethod"], event["resource"]) in routes, path.name
        assert event["requestContext"]["resourcePath"] == event["resource"]
        if routes[(event["httpMethod"], event["resource"])]:  # routes behind the authorizer
            assert event["requestContext"]["authorizer"]["tenant_id"] == "acme", path.name


def test_event_sources_match_the_template_patterns():
    tracker = json.loads((EVENTS / "execution_tracker.json").read_text())
    assert tracker["source"] == "aws.states"
    assert tracker["detail-type"] == "Step Functions Execution Status Change"
    assert tracker["detail"]["status"] in {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
    upload = json.loads((EVENTS / "upload_trigger.json").read_text())
    assert upload["source"] == "aws.s3" and upload["detail-type"] == "Object Created"
    assert upload["detail"]["object"]["key"].startswith("uploads/acme/")
    expiry = json.loads((EVENTS / "job_expiry.json").read_text())["Records"][0]
    assert expiry["eventName"] == "REMOVE"
    assert expiry["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert expiry["dynamodb"]["OldImage"]["sk"]["S"].startswith("J#")
    token = json.loads((EVENTS / "authorizer.json").read_text())
    assert token["type"] == "TOKEN" and token["authorizationToken"] == f"Bearer {SAMPLE_KEY}"


def _task_functions() -> list[str]:
    """Functions a state machine calls (their handler is typed by docjobs.pipeline.runner)."""
    return sorted(logical for logical, code in FUNCTIONS.items() if code.startswith("stage_"))


@pytest.mark.parametrize("logical", _task_functions())
def test_stage_events_are_valid_inputs_of_their_function(logical):
    from tests.stage_contracts import input_model_for

    for path in _events_of(FUNCTIONS[logical]):
        event = json.loads(path.read_text())
        input_model_for(TEMPLATE, logical, event).model_validate(event)


@pytest.fixture(scope="module")
def stack(module_stack):
    return module_stack


@pytest.mark.parametrize(
    "path", [p for logical in _api_functions() for p in _events_of(FUNCTIONS[logical])], ids=lambda p: p.stem
)
def test_api_event_invokes_its_function_without_5xx(stack, path):
    response = stack.invoke(_owner(path), json.loads(path.read_text()))
    assert 200 <= response["statusCode"] < 500, response
    assert isinstance(response["body"], str)
    if response["statusCode"] >= 400:
        assert {"error", "error_code"} <= set(json.loads(response["body"]))


def test_authorizer_event_allows_the_sample_key(stack):
    from docjobs.adapters.api_keys import create_api_key

    create_api_key("acme", key=SAMPLE_KEY)
    policy = stack.invoke("AuthorizerFunction", json.loads((EVENTS / "authorizer.json").read_text()))
    assert policy["principalId"] == "acme"
    assert policy["context"]["tenant_id"] == "acme"
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"


def test_job_expiry_event_is_processed(stack):
    response = stack.invoke("JobExpiryFunction", json.loads((EVENTS / "job_expiry.json").read_text()))
    assert response == {"batchItemFailures": []}
