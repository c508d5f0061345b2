"""POST /api/documents through the emulated API Gateway (authorizer + routing + handler)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlparse

import pytest


@pytest.fixture(scope="module")
def stack(module_stack):
    return module_stack


TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _is_uuid7(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value))


def test_create_document_returns_201_with_presigned_put_under_tenant_prefix(client, stack):
    resp = client.post("/api/documents", {"filename": "report.pdf", "content_type": "application/pdf"})
    assert resp.status == 201
    body = resp.json
    assert set(body) == {"document_id", "upload_url", "expires_at"}
    assert _is_uuid7(body["document_id"])
    assert TIMESTAMP.match(body["expires_at"])
    url = urlparse(body["upload_url"])
    assert url.scheme == "https"
    assert unquote(url.path).endswith(f"/documents/acme/{body['document_id']}/report.pdf")
    query = parse_qs(url.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert int(query["X-Amz-Expires"][0]) == 3600
    assert stack.physical_name("DocumentsBucket") in url.netloc + url.path


def test_created_document_can_be_submitted_once_uploaded(client, stack):
    body = client.post("/api/documents", {"filename": "a.pdf"}).json
    before = client.post("/api/jobs", {"type": "parse", "document_id": body["document_id"]})
    assert before.status == 400
    assert "does not exist" in before.json["error"]
    stack.client("s3").put_object(
        Bucket=stack.physical_name("DocumentsBucket"),
        Key=f"documents/acme/{body['document_id']}/a.pdf",
        Body=b"%PDF-1.4",
    )
    after = client.post("/api/jobs", {"type": "parse", "document_id": body["document_id"]})
    assert after.status == 202
    assert after.json["document_id"] == body["document_id"]
    assert after.json["metadata"]["filename"] == "a.pdf"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"filename": ""},
        {"filename": "a/b.pdf"},
        {"filename": "a\\b.pdf"},
        {"filename": "bad\nname.pdf"},
        {"filename": "."},
        {"filename": ".."},
        {"filename": "x" * 256},
        {"filename": "é" * 200},  # 400 bytes in UTF-8
        {"filename": "a.pdf", "unknown": 1},
        {"filename": 5},
    ],
)
def test_create_document_with_bad_filename_returns_400(client, body):
    resp = client.post("/api/documents", body)
    assert resp.status == 400
    assert resp.json["error_code"] == "VALIDATION_ERROR"
    assert resp.json["error"]


def test_create_document_with_non_json_body_returns_400(client):
    resp = client.post("/api/documents", "{not json")
    assert resp.status == 400
    assert resp.json["error_code"] == "VALIDATION_ERROR"


def test_create_document_without_key_returns_401(api_client):
    resp = api_client(None).post("/api/documents", {"filename": "a.pdf"})
    assert resp.status == 401
    assert resp.json == {
        "error": "missing or invalid API key: send Authorization: Bearer <key>",
        "error_code": "UNAUTHORIZED",
    }


def test_delete_document_removes_the_upload_and_then_answers_404(client, other_client, stack):
    created = client.post("/api/documents", {"filename": "gone.pdf"}).json
    bucket = stack.physical_name("DocumentsBucket")
    key = f"documents/acme/{created['document_id']}/gone.pdf"
    stack.client("s3").put_object(Bucket=bucket, Key=key, Body=b"%PDF-1.4 tiny")
    path = f"/api/documents/{created['document_id']}"

    assert other_client.delete(path).status == 404, "another tenant's document is not found"
    assert client.get(path).status == 200
    resp = client.delete(path)
    assert resp.status == 204, resp.json
    assert client.get(path).status == 404
    assert "Contents" not in stack.client("s3").list_objects_v2(Bucket=bucket, Prefix=key)
    assert client.delete(path).json["error_code"] == "NOT_FOUND"
