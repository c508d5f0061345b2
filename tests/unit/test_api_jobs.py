"""GET /api/jobs/{id}, DELETE /api/jobs/{id}, unknown routes and auth errors, through the gateway."""

from __future__ import annotations

import json
import re

import pytest

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
UNAUTHORIZED = {
    "error": "missing or invalid API key: send Authorization: Bearer <key>",
    "error_code": "UNAUTHORIZED",
}
INPUT = "https://example.com/doc.pdf"


@pytest.fixture(scope="module")
def stack(module_stack):
    """One deployment for this module: tests that count use tenants of their own."""
    return module_stack


def _execution_arn(stack, job_id: str) -> str:
    return stack.arn("ParseStateMachine").replace(":stateMachine:", ":execution:") + ":" + job_id


def _complete_with_result(stack, tenant: str, seed_job, result: dict) -> str:
    from docjobs.core.models import ResultPointer

    job = seed_job(tenant, status="processing")
    key = f"results/{tenant}/{job.id}/result.json"
    raw = json.dumps(result).encode()
    stack.client("s3").put_object(Bucket=stack.physical_name("DocumentsBucket"), Key=key, Body=raw)
    from docjobs.adapters import job_store
    from docjobs.core.values import utc_now

    def complete(current):
        current.status, current.progress, current.completed_at = "completed", 100, utc_now()
        current.metadata.pages = 3
        current.result = ResultPointer(
            bucket=stack.physical_name("DocumentsBucket"), key=key, size_bytes=len(raw), summary={}
        )
        return current

    job_store.update_job(tenant, job.id, complete)
    return job.id


# ------------------------------------------------------------------ GET /api/jobs/{id}


def test_get_job_returns_the_seed_shape(client):
    created = client.post("/api/jobs", {"type": "parse", "input": INPUT}).json
    resp = client.get(f"/api/jobs/{created['id']}")
    assert resp.status == 200
    job = resp.json
    spec_keys = {
        "id",
        "type",
        "status",
        "progress",
        "document_id",
        "input_url",
        "result",
        "metadata",
        "created_at",
        "updated_at",
        "completed_at",
    }
    assert spec_keys <= set(job)
    assert UUID7.match(job["id"]) and job["id"] == created["id"]
    assert job["type"] == "parse"
    assert job["status"] in {"queued", "processing", "failed"}  # the pipeline runs in the background
    assert isinstance(job["progress"], int) and 0 <= job["progress"] <= 100
    assert job["input_url"] == INPUT
    assert set(job["metadata"]) == {"filename", "file_type", "pages"}
    assert job["metadata"]["filename"] == "doc.pdf" and job["metadata"]["file_type"] == "pdf"
    assert TIMESTAMP.match(job["created_at"]) and TIMESTAMP.match(job["updated_at"])
    assert job["completed_at"] is None or TIMESTAMP.match(job["completed_at"])
    # error details are part of the shape (spec "Error Handling")
    assert {"error", "error_code", "retry_count", "stage"} <= set(job)


def test_get_completed_job_includes_result(client, stack, seed_job):
    result = {"chunks": [{"id": "c1", "text": "hello"}], "metadata": {"pages": 3}}
    job_id = _complete_with_result(stack, "acme", seed_job, result)
    job = client.get(f"/api/jobs/{job_id}").json
    assert job["status"] == "completed"
    assert job["progress"] == 100
    assert job["result"] == result
    assert job["result_url"].startswith("https://")
    assert job["metadata"]["pages"] == 3
    assert TIMESTAMP.match(job["completed_at"])


def test_get_completed_job_whose_result_object_is_gone_returns_200_without_result(client, stack, seed_job):
    job_id = _complete_with_result(stack, "acme", seed_job, {"chunks": [], "metadata": {}})
    stack.client("s3").delete_object(
        Bucket=stack.physical_name("DocumentsBucket"), Key=f"results/acme/{job_id}/result.json"
    )
    resp = client.get(f"/api/jobs/{job_id}")
    assert resp.status == 200
    assert resp.json["status"] == "completed"
    assert resp.json["result"] is None and resp.json["result_url"] is None


def test_get_failed_job_with_non_spec_error_code_shows_internal_error(client, seed_job):
    from docjobs.adapters import job_store

    job = seed_job("acme", status="processing")

    def fail(current):
        current.status, current.error, current.error_code = "failed", "ConflictError: busy", "CONFLICT"
        return current

    job_store.update_job("acme", job.id, fail)
    resp = client.get(f"/api/jobs/{job.id}")
    assert resp.status == 200
    assert resp.json["status"] == "failed"
    assert resp.json["error_code"] == "INTERNAL_ERROR"
    assert resp.json["error"] == "ConflictError: busy"


def test_get_unknown_job_returns_404(client):
    resp = client.get("/api/jobs/01900000-0000-7000-8000-000000000000")
    assert resp.status == 404
    assert resp.json == {
        "error": "job 01900000-0000-7000-8000-000000000000 not found",
        "error_code": "NOT_FOUND",
    }


def test_get_job_with_overlong_id_returns_400(client):
    resp = client.get("/api/jobs/" + "x" * 65)
    assert resp.status == 400
    assert resp.json["error_code"] == "VALIDATION_ERROR"


# ------------------------------------------------------------------ DELETE /api/jobs/{id}


@pytest.fixture
def paused_upload_stage(monkeypatch):
    """The Upload stage blocks until released, so an execution is RUNNING for as long as needed."""
    import threading

    from docjobs.pipeline.stages import upload

    entered, release = threading.Event(), threading.Event()

    def run(task, job):
        entered.set()
        release.wait(20)
        return upload.UploadOutput(document_key="documents/none", size_bytes=0)

    monkeypatch.setattr(upload.upload, "work", run)
    yield entered, release
    release.set()


def test_cancel_job_returns_exact_body_and_stops_execution(client, stack, paused_upload_stage):
    created = client.post("/api/jobs", {"type": "parse", "input": INPUT}).json
    entered, release = paused_upload_stage
    assert entered.wait(10), "the execution never reached the Upload stage"
    resp = client.delete(f"/api/jobs/{created['id']}")
    assert resp.status == 200
    assert resp.json == {"success": True, "job_id": created["id"], "status": "cancelled"}
    arn = _execution_arn(stack, created["id"])
    release.set()  # moto ends a stopped execution once its running task returns
    assert stack.wait_for_execution(arn, timeout=20)["status"] == "ABORTED"
    job = client.get(f"/api/jobs/{created['id']}").json
    assert job["status"] == "cancelled"
    assert TIMESTAMP.match(job["completed_at"])


@pytest.mark.parametrize("status", ["queued", "processing", "retrying"])
def test_cancel_of_active_job_returns_200(client, seed_job, status):
    job = seed_job("acme", status=status)
    resp = client.delete(f"/api/jobs/{job.id}")
    assert resp.status == 200
    assert resp.json == {"success": True, "job_id": job.id, "status": "cancelled"}


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_cancel_of_terminal_job_returns_409_naming_status(client, seed_job, status):
    from docjobs.adapters import job_store

    job = seed_job("acme", status=status)
    counts = {s: job_store.count_jobs("acme", status=s) for s in ("completed", "failed", "cancelled")}
    resp = client.delete(f"/api/jobs/{job.id}")
    assert resp.status == 409
    assert resp.json["error_code"] == "CONFLICT"
    assert f"is {status}" in resp.json["error"]
    assert client.get(f"/api/jobs/{job.id}").json["status"] == status
    assert counts == {s: job_store.count_jobs("acme", status=s) for s in counts}


def test_cancel_of_unknown_job_returns_404(client):
    resp = client.delete("/api/jobs/01900000-0000-7000-8000-000000000000")
    assert resp.status == 404
    assert resp.json["error_code"] == "NOT_FOUND"


# ------------------------------------------------------------------ tenant isolation


def test_other_tenant_gets_404_on_get_and_cancel(client, other_client, seed_job):
    job = seed_job("acme")
    assert other_client.get(f"/api/jobs/{job.id}").status == 404
    assert other_client.delete(f"/api/jobs/{job.id}").status == 404
    assert client.get(f"/api/jobs/{job.id}").json["status"] == "queued"


def test_lists_and_totals_are_per_tenant(api_client, seed_job):
    a_client, b_client = api_client("iso-a"), api_client("iso-b")
    mine = {seed_job("iso-a").id for _ in range(3)}
    theirs = {seed_job("iso-b", status="completed").id for _ in range(2)}
    a = a_client.get("/api/jobs").json
    b = b_client.get("/api/jobs").json
    assert {j["id"] for j in a["jobs"]} == mine and a["total"] == 3
    assert {j["id"] for j in b["jobs"]} == theirs and b["total"] == 2
    assert a_client.get("/api/jobs", query={"status": "completed"}).json == {
        "jobs": [],
        "total": 0,
        "has_more": False,
        "next_token": None,
    }
    assert b_client.get("/api/jobs", query={"status": "completed"}).json["total"] == 2


# ------------------------------------------------------------------ routing and auth


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/nothing"), ("PUT", "/api/jobs"), ("PATCH", "/api/jobs/x"), ("POST", "/api/jobs/x")],
)
def test_unknown_route_returns_404_error_shape(client, method, path):
    resp = client.request(method, path)
    assert resp.status == 404
    assert resp.json == {"error": "no such route", "error_code": "NOT_FOUND"}


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer dj_not-a-real-key-000000000", "dj_raw"],
)
@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/api/jobs"), ("POST", "/api/jobs"), ("GET", "/api/jobs/x")]
)
def test_missing_wrong_or_malformed_key_returns_401(api_client, method, path, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    resp = api_client(None).request(method, path, headers=headers, body={} if method == "POST" else None)
    assert resp.status == 401
    assert resp.json == UNAUTHORIZED


def test_revoked_key_returns_401(api_client, stack):
    from docjobs.adapters.api_keys import hash_key

    client = api_client("revoked-tenant")
    assert client.get("/api/jobs").status == 200
    stack.client("dynamodb").update_item(
        TableName=stack.physical_name("ApiKeysTable"),
        Key={"key_hash": {"S": hash_key(client.key)}},
        UpdateExpression="SET revoked = :t",
        ExpressionAttributeValues={":t": {"BOOL": True}},
    )
    stack.gateway._cache.clear()  # the gateway caches the authorizer for ReauthorizeEvery seconds
    assert client.get("/api/jobs").status == 401


def test_openapi_routes_need_no_key(api_client):
    resp = api_client(None).get("/api/openapi.json")
    assert resp.status == 200
    assert "/api/jobs/{id}" in resp.json["paths"]
    docs = api_client(None).get("/api/docs")
    assert docs.status == 200 and b"swagger-ui" in docs.raw
