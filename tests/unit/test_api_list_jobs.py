"""GET /api/jobs through the emulated API Gateway: shape, filters, limit/offset, cursor, bad input."""

from __future__ import annotations

import base64
import json
import re

import pytest

from tests.conftest import seed_job_record

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
STATUSES = ["queued", "processing", "completed", "failed", "cancelled"]
TENANT = "lister"


@pytest.fixture(scope="module")
def stack(module_stack):
    return module_stack


@pytest.fixture(scope="module")
def jobs(module_stack):
    """23 jobs of tenant ``lister``: statuses cycle, types parse/extract; newest first."""
    made = [
        seed_job_record(TENANT, status=STATUSES[i % 5], type="parse" if i % 3 else "extract")
        for i in range(23)
    ]
    return sorted(made, key=lambda j: j.id, reverse=True)


@pytest.fixture
def lister(api_client, jobs):
    return api_client(TENANT)


def test_list_returns_seed_shape(lister, jobs):
    body = lister.get("/api/jobs", query={"limit": "5"}).json
    assert set(body) == {"jobs", "total", "has_more", "next_token"}
    assert body["total"] == 23 and body["has_more"] is True and isinstance(body["next_token"], str)
    assert [j["id"] for j in body["jobs"]] == [j.id for j in jobs[:5]]
    for item in body["jobs"]:
        assert {"id", "type", "status", "progress", "document_id", "created_at", "completed_at"} <= set(item)
        assert isinstance(item["progress"], int)
        assert TIMESTAMP.match(item["created_at"])
        assert item["completed_at"] is None or TIMESTAMP.match(item["completed_at"])
        assert item["id"][14] == "7"
        assert "result" not in item and "client_metadata" not in item


def test_default_limit_is_50(lister):
    body = lister.get("/api/jobs").json
    assert len(body["jobs"]) == 23 and body["has_more"] is False and body["next_token"] is None


@pytest.mark.parametrize(
    "query",
    [{"status": "completed"}, {"type": "extract"}, {"status": "queued", "type": "parse"}, {}],
)
def test_cursor_walk_and_offset_pages_agree_through_the_api(lister, jobs, query):
    expected = [
        j.id
        for j in jobs
        if j.status == query.get("status", j.status) and j.type == query.get("type", j.type)
    ]
    walked, token, page_no = [], None, 0
    while True:
        q = {**query, "limit": "2"} | ({"page_token": token} if token else {})
        page = lister.get("/api/jobs", query=q).json
        by_offset = lister.get("/api/jobs", query={**query, "limit": "2", "offset": str(page_no * 2)}).json
        assert page["total"] == by_offset["total"] == len(expected)
        assert [j["id"] for j in page["jobs"]] == [j["id"] for j in by_offset["jobs"]]
        assert page["has_more"] == by_offset["has_more"]
        walked += [j["id"] for j in page["jobs"]]
        page_no += 1
        if not page["has_more"]:
            assert page["next_token"] is None
            break
        token = page["next_token"]
    assert walked == expected


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "x"}, "offset"),
        ({"status": "done"}, "status"),
        ({"type": "ocr"}, "type"),
        ({"page_token": "x" * 600}, "page_token"),
        ({"page_token": "!!!"}, "page_token"),
    ],
)
def test_bad_list_query_returns_400(lister, query, needle):
    resp = lister.get("/api/jobs", query=query)
    assert resp.status == 400, resp.raw
    assert resp.json["error_code"] == "VALIDATION_ERROR"
    assert needle in resp.json["error"]


def test_limit_bounds_1_and_100_are_accepted(lister):
    assert len(lister.get("/api/jobs", query={"limit": "1"}).json["jobs"]) == 1
    assert lister.get("/api/jobs", query={"limit": "100"}).status == 200


def _token(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "payload",
    [
        {"after": "x", "status": None, "type": None},
        {"after": "", "status": None, "type": None},
        {"after": "01900000-0000-7000-8000-000000000000", "status": None, "type": None, "tenant": "x"},
        {"after": 5, "status": None, "type": None},
        ["01900000-0000-7000-8000-000000000000"],
        "01900000-0000-7000-8000-000000000000",
    ],
)
def test_forged_page_token_returns_400(lister, payload):
    resp = lister.get("/api/jobs", query={"page_token": _token(payload)})
    assert resp.status == 400
    assert resp.json == {
        "error": "page_token is not a token this API returned",
        "error_code": "VALIDATION_ERROR",
    }


def test_page_token_with_other_filters_returns_400(lister):
    token = lister.get("/api/jobs", query={"limit": "1", "status": "queued"}).json["next_token"]
    for query in ({}, {"status": "failed"}, {"status": "queued", "type": "parse"}):
        resp = lister.get("/api/jobs", query={**query, "page_token": token})
        assert resp.status == 400
        assert "other filters" in resp.json["error"]


def test_page_token_of_another_tenant_never_shows_their_jobs(lister, api_client):
    token = lister.get("/api/jobs", query={"limit": "1"}).json["next_token"]
    other = api_client("lister-other")
    body = other.get("/api/jobs", query={"page_token": token}).json
    assert body == {"jobs": [], "total": 0, "has_more": False, "next_token": None}
