"""Webhook signing and delivery (to a local HTTP server standing in for the client's endpoint)."""

from __future__ import annotations

import json
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from docjobs.core.models import JobRecord
from docjobs.core.settings import get_settings
from docjobs.core.values import utc_now
from docjobs.domain import webhooks


@pytest.fixture
def allow_local_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBS_TABLE_NAME", "jobs")
    monkeypatch.setenv("DOCUMENTS_BUCKET_NAME", "docs")
    monkeypatch.setenv("ALLOW_PRIVATE_INPUT_URLS", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _ended_job(url: str, status: str = "completed") -> JobRecord:
    now = utc_now()
    return JobRecord(
        id="01a2227b-9442-7ff6-8066-e45e272b1c4a",
        tenant_id="acme",
        type="parse",
        status=status,
        progress=100 if status == "completed" else 40,
        webhook_url=url,
        webhook_secret=webhooks.new_webhook_secret(),
        error="OCR failed: no engine" if status == "failed" else None,
        error_code="OCR_ERROR" if status == "failed" else None,
        client_metadata={"ref": "po-7"},
        created_at=now,
        updated_at=now,
        completed_at=now,
        expires_at=int(time.time()) + 86400,
    )


def test_signature_verifies_and_rejects_tampering() -> None:
    body = b'{"event":"job.completed"}'
    header = webhooks.sign("whsec_x", 1_700_000_000, body)
    assert webhooks.verify("whsec_x", header, body, now=1_700_000_010)
    assert not webhooks.verify("whsec_x", header, body + b" ", now=1_700_000_010)
    assert not webhooks.verify("whsec_other", header, body, now=1_700_000_010)


def test_signature_older_than_tolerance_is_rejected() -> None:
    body = b"{}"
    header = webhooks.sign("whsec_x", 1_700_000_000, body)
    assert not webhooks.verify("whsec_x", header, body, now=1_700_000_000 + 301)
    assert not webhooks.verify("whsec_x", "garbage", body)


def test_completed_job_is_posted_signed_with_its_secret(
    httpserver: HTTPServer, allow_local_urls: None
) -> None:
    received: list[Request] = []

    def record(request: Request) -> Response:
        received.append(request)
        return Response("ok")

    httpserver.expect_request("/hooks/jobs", method="POST").respond_with_handler(record)
    job = _ended_job(httpserver.url_for("/hooks/jobs"))

    attempt = webhooks.attempt_delivery(job)
    assert attempt is not None and attempt.delivered and attempt.status_code == 200

    (request,) = received
    body = request.get_data()
    assert webhooks.verify(job.webhook_secret or "", request.headers[webhooks.SIGNATURE_HEADER], body)
    assert request.headers["X-Docjobs-Event"] == "job.completed"
    assert request.headers["X-Docjobs-Delivery"] == f"{job.id}:completed"
    payload = json.loads(body)
    assert payload["event"] == "job.completed"
    assert payload["job"]["id"] == job.id
    assert payload["job"]["status"] == "completed"
    assert payload["job"]["client_metadata"] == {"ref": "po-7"}


def test_failed_job_payload_carries_error_and_code(httpserver: HTTPServer, allow_local_urls: None) -> None:
    httpserver.expect_request("/h", method="POST").respond_with_data("ok")
    job = _ended_job(httpserver.url_for("/h"), status="failed")
    webhooks.attempt_delivery(job)
    payload = json.loads(httpserver.log[0][0].get_data())
    assert payload["event"] == "job.failed"
    assert payload["job"]["error_code"] == "OCR_ERROR"
    assert payload["job"]["error"] == "OCR failed: no engine"


def test_endpoint_answering_503_is_a_failed_attempt_worth_retrying(
    httpserver: HTTPServer, allow_local_urls: None
) -> None:
    httpserver.expect_request("/h", method="POST").respond_with_data("busy", status=503)
    attempt = webhooks.attempt_delivery(_ended_job(httpserver.url_for("/h")))
    assert attempt == webhooks.DeliveryAttempt(503, "answered HTTP 503", retryable=True)


def test_redirect_answer_is_not_followed_and_not_retried(
    httpserver: HTTPServer, allow_local_urls: None
) -> None:
    """A webhook answered 302 to an internal URL is never followed (as a GET or otherwise)."""
    httpserver.expect_request("/h", method="POST").respond_with_data(
        "", status=302, headers={"Location": "http://127.0.0.1:1/secret"}
    )
    attempt = webhooks.attempt_delivery(_ended_job(httpserver.url_for("/h")))
    assert attempt is not None and not attempt.delivered and not attempt.retryable
    assert attempt.status_code == 302
    assert "do not follow redirects" in (attempt.error or "")
    assert len(httpserver.log) == 1


def test_job_without_webhook_or_not_ended_is_not_delivered(allow_local_urls: None) -> None:
    job = _ended_job("https://example.invalid/h")
    job.webhook_url = None
    assert webhooks.attempt_delivery(job) is None
    running = _ended_job("https://example.invalid/h", status="processing")
    assert webhooks.attempt_delivery(running) is None


def test_webhook_to_private_address_is_refused_without_connecting(
    monkeypatch: pytest.MonkeyPatch, fake_network
) -> None:
    monkeypatch.setenv("JOBS_TABLE_NAME", "jobs")
    monkeypatch.setenv("DOCUMENTS_BUCKET_NAME", "docs")
    monkeypatch.delenv("ALLOW_PRIVATE_INPUT_URLS", raising=False)
    get_settings.cache_clear()
    fake_network.names["hooks.internal.example"] = ["10.1.2.3"]
    try:
        for url in ("https://127.0.0.1:9/h", "https://hooks.internal.example/h"):
            attempt = webhooks.attempt_delivery(_ended_job(url))
            assert attempt is not None and not attempt.delivered and not attempt.retryable
            error = attempt.error or ""
            assert "webhook_url host" in error and "not a public address" in error
        assert fake_network.connections == []
    finally:
        get_settings.cache_clear()
