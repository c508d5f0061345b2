"""POST /api/jobs with an Idempotency-Key: a retried submission never creates a second job."""

from __future__ import annotations

import pytest

INPUT = "https://example.com/doc.pdf"


@pytest.fixture(scope="module")
def stack(module_stack):
    return module_stack


def _executions(stack) -> list[str]:
    sfn = stack.client("stepfunctions")
    return [
        e["name"] for e in sfn.list_executions(stateMachineArn=stack.arn("ParseStateMachine"))["executions"]
    ]


def test_retried_submission_with_same_key_returns_the_first_job_and_starts_one_execution(api_client, stack):
    client = api_client("idem-retry")
    body = {"type": "parse", "input": INPUT}
    first = client.post("/api/jobs", body, headers={"Idempotency-Key": "order-42"})
    second = client.post("/api/jobs", body, headers={"Idempotency-Key": "order-42"})

    assert first.status == second.status == 202
    assert second.json["id"] == first.json["id"]
    stack.wait_idle()  # jobs start from the intake queue
    assert _executions(stack).count(first.json["id"]) == 1
    listed = client.get("/api/jobs").json
    assert listed["total"] == 1


def test_same_key_with_a_different_body_returns_409(api_client):
    client = api_client("idem-conflict")
    client.post("/api/jobs", {"type": "parse", "input": INPUT}, headers={"Idempotency-Key": "k-1"})
    other = client.post(
        "/api/jobs",
        {"type": "parse", "input": "https://example.com/other.pdf"},
        headers={"Idempotency-Key": "k-1"},
    )
    assert other.status == 409
    assert other.json["error_code"] == "CONFLICT"
    assert "different request" in other.json["error"]


def test_keys_are_scoped_to_the_tenant(api_client):
    body = {"type": "parse", "input": INPUT}
    a = api_client("idem-tenant-a").post("/api/jobs", body, headers={"Idempotency-Key": "shared"})
    b = api_client("idem-tenant-b").post("/api/jobs", body, headers={"Idempotency-Key": "shared"})
    assert a.status == b.status == 202
    assert a.json["id"] != b.json["id"]


def test_without_a_key_each_submission_is_a_new_job(api_client):
    client = api_client("idem-none")
    body = {"type": "parse", "input": INPUT}
    assert client.post("/api/jobs", body).json["id"] != client.post("/api/jobs", body).json["id"]


def test_invalid_request_with_a_key_is_400_and_the_key_stays_usable(api_client):
    client = api_client("idem-invalid")
    bad = client.post(
        "/api/jobs", {"type": "parse", "document_id": "missing-doc"}, headers={"Idempotency-Key": "k-2"}
    )
    assert bad.status == 400
    assert bad.json["error_code"] == "VALIDATION_ERROR"
    good = client.post("/api/jobs", {"type": "parse", "input": INPUT}, headers={"Idempotency-Key": "k-2"})
    assert good.status == 202


def test_overlong_key_is_400(api_client):
    resp = api_client("idem-long").post(
        "/api/jobs", {"type": "parse", "input": INPUT}, headers={"Idempotency-Key": "x" * 129}
    )
    assert resp.status == 400
    assert resp.json["error_code"] == "VALIDATION_ERROR"
