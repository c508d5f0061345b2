"""POST /api/jobs through the emulated API Gateway."""

from __future__ import annotations

import json
import re

import pytest

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
INPUT = "https://example.com/doc.pdf"


@pytest.fixture(scope="module")
def stack(module_stack):
    """One deployment for this module: tests that count use a tenant of their own."""
    return module_stack


def test_submit_job_returns_202_queued_and_starts_execution_named_after_job(client, stack):
    resp = client.post("/api/jobs", {"type": "parse", "input": INPUT, "metadata": {"ref": "abc"}})
    assert resp.status == 202
    job = resp.json
    assert UUID7.match(job["id"])
    assert job["type"] == "parse"
    assert job["status"] == "queued"
    assert job["progress"] == 0
    assert job["input_url"] == INPUT
    assert job["document_id"] is None
    assert job["metadata"] == {"filename": "doc.pdf", "file_type": "pdf", "pages": None}
    assert job["client_metadata"] == {"ref": "abc"}
    assert job["options"]["chunk_target_tokens"] == 512
    assert TIMESTAMP.match(job["created_at"]) and TIMESTAMP.match(job["updated_at"])
    assert job["completed_at"] is None and job["result"] is None
    sm = stack.arn("ParseStateMachine")
    arn = sm.replace(":stateMachine:", ":execution:") + ":" + job["id"]
    desc = stack.client("stepfunctions").describe_execution(executionArn=arn)
    assert desc["name"] == job["id"]
    assert json.loads(desc["input"])["job_id"] == job["id"]
    assert json.loads(desc["input"])["tenant_id"] == "acme"


def _assert_validation_error(resp, *needles: str) -> None:
    assert resp.status == 400, resp.raw
    body = resp.json
    assert body["error_code"] == "VALIDATION_ERROR"
    for needle in needles:
        assert needle in body["error"], body["error"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"type": "nope", "input": INPUT}, "type"),
        ({"input": INPUT}, "type"),
        ({"type": "parse"}, "exactly one of document_id or input"),
        ({"type": "parse", "input": INPUT, "document_id": "x"}, "exactly one of document_id or input"),
        ({"type": "parse", "input": "http://example.com/doc.pdf"}, "https://"),
        ({"type": "parse", "input": "not a url"}, "input"),
        ({"type": "parse", "input": INPUT, "webhook_url": "http://example.com/hook"}, "https://"),
        ({"type": "parse", "input": INPUT, "surprise": 1}, "surprise"),
        ({"type": "parse", "input": INPUT, "metadata": {"x": "y" * 9000}}, "8 KB"),
        ({"type": "parse", "input": INPUT, "metadata": {"": 1}}, "empty key"),
        ({"type": "parse", "input": INPUT, "metadata": {"n": 10**40}}, "digits"),
        ({"type": "parse", "input": INPUT, "metadata": {"n": 1e200}}, "range"),
        (
            {
                "type": "parse",
                "input": INPUT,
                "metadata": {
                    "a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": 1}}}}}}}}}}}
                },
            },
            "deeper",
        ),
    ],
)
def test_submit_job_with_invalid_body_returns_400(client, body, needle):
    _assert_validation_error(client.post("/api/jobs", body), needle)


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"parse"', "", "null"])
def test_submit_job_with_malformed_body_returns_400(client, raw):
    _assert_validation_error(client.post("/api/jobs", raw))


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_submit_job_with_non_finite_metadata_number_returns_400(client, literal):
    raw = '{"type": "parse", "input": "' + INPUT + '", "metadata": {"x": ' + literal + "}}"
    _assert_validation_error(client.post("/api/jobs", raw), "finite")


def test_submit_job_with_nonexistent_document_returns_400(client):
    resp = client.post("/api/jobs", {"type": "parse", "document_id": "01900000-0000-7000-8000-000000000000"})
    _assert_validation_error(resp, "01900000-0000-7000-8000-000000000000", "does not exist")


def test_submit_job_with_another_tenants_document_returns_400(client, other_client, stack):
    doc = other_client.post("/api/documents", {"filename": "b.pdf"}).json
    stack.client("s3").put_object(
        Bucket=stack.physical_name("DocumentsBucket"),
        Key=f"documents/globex/{doc['document_id']}/b.pdf",
        Body=b"%PDF",
    )
    resp = client.post("/api/jobs", {"type": "parse", "document_id": doc["document_id"]})
    _assert_validation_error(resp, "does not exist")


@pytest.mark.parametrize(
    ("options", "needles"),
    [
        ({"chunk_overlap_tokens": 512, "chunk_target_tokens": 512}, ["chunk_overlap_tokens", "smaller"]),
        ({"chunk_overlap_tokens": 600}, ["chunk_overlap_tokens"]),
        ({"unknown_option": True}, ["unknown_option"]),
        ({"chunk_target_tokens": 10}, ["chunk_target_tokens"]),
        ({"chunk_strategy": "random"}, ["chunk_strategy"]),
        ({"ocr": "sometimes"}, ["ocr"]),
        ({"ocr_language": "English"}, ["ocr_language"]),
    ],
)
def test_submit_job_with_options_that_do_not_fit_returns_400(client, options, needles):
    resp = client.post("/api/jobs", {"type": "parse", "input": INPUT, "options": options})
    _assert_validation_error(resp, "options do not fit a parse job", *needles)


def _not_enabled() -> list[str]:
    from docjobs.jobtypes.registry import CONTRACT_JOB_TYPES, job_types

    return [t for t in CONTRACT_JOB_TYPES if t not in job_types()] + ["frobnicate"]


@pytest.mark.parametrize("job_type", _not_enabled())
def test_submit_job_of_type_not_enabled_returns_400_saying_so(api_client, job_type, stack):
    from docjobs.jobtypes.registry import job_types

    client = api_client(f"t-{job_type}")
    sfn = stack.client("stepfunctions")
    before = len(sfn.list_executions(stateMachineArn=stack.arn("ParseStateMachine"))["executions"])
    resp = client.post("/api/jobs", {"type": job_type, "input": INPUT})
    _assert_validation_error(
        resp, f"job type '{job_type}' is not available", "available: " + ", ".join(sorted(job_types()))
    )
    after = len(sfn.list_executions(stateMachineArn=stack.arn("ParseStateMachine"))["executions"])
    assert after == before
    assert client.get("/api/jobs").json["total"] == 0


def test_rejected_submission_stores_nothing(api_client):
    from docjobs.adapters import job_store

    client = api_client("rejected-only")
    client.post("/api/jobs", {"type": "parse", "input": INPUT, "options": {"nope": 1}})
    assert job_store.count_jobs("rejected-only") == 0
    assert client.get("/api/jobs").json == {"jobs": [], "total": 0, "has_more": False, "next_token": None}
