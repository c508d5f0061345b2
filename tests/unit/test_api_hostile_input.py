"""Requests an attacker or a careless client sends: never a 5xx, always the error shape."""

from __future__ import annotations

import json

import pytest

INPUT = "https://example.com/doc.pdf"
BODY = json.dumps({"type": "parse", "input": INPUT}).encode()


@pytest.fixture(scope="module")
def stack(module_stack):
    return module_stack


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "APPLICATION/JSON",
        "Application/Json; charset=UTF-8",
        "application/json;charset=utf-8",
        "application/vnd.api+json",
        "application/problem+json",
        " application/json ",
    ],
)
def test_json_media_types_are_json_whatever_their_case(client, content_type: str) -> None:
    resp = client.post("/api/jobs", BODY, headers={"Content-Type": content_type})
    assert resp.status == 202, resp.raw


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "text/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonp",
        "*/*",
        "json",
    ],
)
@pytest.mark.parametrize("path", ["/api/jobs", "/api/documents"])
def test_other_media_types_are_refused_with_415(client, content_type: str, path: str) -> None:
    resp = client.post(path, BODY, headers={"Content-Type": content_type})
    assert resp.status == 415, resp.raw
    assert resp.json["error_code"] == "VALIDATION_ERROR"
    assert "Content-Type" in resp.json["error"] and "application/json" in resp.json["error"]


@pytest.mark.parametrize("depth", [65, 1000, 5000, 100_000])
def test_deeply_nested_body_is_a_400(client, depth: int) -> None:
    body = b'{"type": "parse", "input": "' + INPUT.encode() + b'", "metadata": {"a": '
    body += b"[" * depth + b"]" * depth + b"}}"
    resp = client.post("/api/jobs", body, headers={"Content-Type": "application/json"})
    assert resp.status == 400, resp.raw[:200]
    assert resp.json["error_code"] == "VALIDATION_ERROR"
    assert "nests deeper" in resp.json["error"]


def test_brackets_inside_strings_do_not_count_as_nesting(client) -> None:
    body = json.dumps({"type": "parse", "input": INPUT, "metadata": {"note": "[" * 500 + '\\"{' * 100}})
    resp = client.post("/api/jobs", body.encode(), headers={"Content-Type": "application/json"})
    assert resp.status == 202, resp.raw


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\x00garbage",
        b"not json",
        b"[]",
        b"null",
        b'"a string"',
        b"{" * 10,
        b'{"type": "parse", "input": "https://example.com/\\ud800.pdf"}',
        b'{"type": "parse", "input": "' + INPUT.encode() + b'", "metadata": {"n": 1e999}}',
    ],
)
def test_malformed_bodies_are_400_never_500(client, body: bytes) -> None:
    resp = client.post("/api/jobs", body, headers={"Content-Type": "application/json"})
    assert resp.status == 400, resp.raw
    assert resp.json["error_code"] == "VALIDATION_ERROR"


def test_concurrent_requests_each_see_their_own_request(client) -> None:
    """Each concurrent invocation runs in its own execution environment, and the resolver's
    request state (Powertools keeps it in class attributes) is per request: a POST never sees
    another request's event (a GET without a body, say), so it answers 202, not 200 or 400."""
    from concurrent.futures import ThreadPoolExecutor

    def call(i: int) -> tuple[str, int]:
        if i % 2:
            resp = client.get("/api/jobs?limit=1")
            return "GET", resp.status if "jobs" in (resp.json or {}) else -resp.status
        body = json.dumps({"type": "parse", "input": INPUT, "metadata": {"i": i}}).encode()
        resp = client.post("/api/jobs", body, headers={"Content-Type": "application/json"})
        return "POST", resp.status if (resp.json or {}).get("client_metadata") == {"i": i} else -resp.status

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(call, range(64)))
    assert answers == [("GET", 200) if i % 2 else ("POST", 202) for i in range(64)]
