"""Webhooks end to end: submitted with ``webhook_url``, the job's end is POSTed there, signed.

The receiver is a local HTTPS server (pytest-httpserver with a certificate from a throwaway CA
made by trustme, trusted through SSL_CERT_FILE), so the real https-only path runs.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator

import pytest
import trustme
from pytest_httpserver import HTTPServer

from docjobs.domain import webhooks
from tests.integration.conftest import Pipeline, Submitted
from tests.sample_documents import encrypted_pdf, multi_page_pdf


@pytest.fixture
def https_receiver(tmp_path, pipeline: Pipeline) -> Iterator[HTTPServer]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    pipeline.configure(SSL_CERT_FILE=str(ca_file), ALLOW_PRIVATE_INPUT_URLS="true")
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def _submit_with_webhook(pipeline: Pipeline, data: bytes, url: str) -> tuple[Submitted, str]:
    document_id = pipeline.upload_document(data, "report.pdf")
    status, body = pipeline.api(
        "POST", "/api/jobs", {"type": "parse", "document_id": document_id, "webhook_url": url}
    )
    assert status == 202, body
    assert body["webhook_secret"].startswith("whsec_")
    assert body["webhook"] == {
        "attempts": 0,
        "last_status_code": None,
        "last_error": None,
        "delivered_at": None,
    }
    return Submitted(body["id"], pipeline.execution_arn(body["id"])), body["webhook_secret"]


def test_completed_job_is_posted_to_its_webhook_signed_with_its_secret(
    pipeline: Pipeline, https_receiver: HTTPServer
) -> None:
    https_receiver.expect_request("/hooks/docjobs", method="POST").respond_with_data("ok")
    submitted, secret = _submit_with_webhook(
        pipeline, multi_page_pdf(), https_receiver.url_for("/hooks/docjobs")
    )

    job = pipeline.wait(submitted)

    assert job["status"] == "completed"
    assert "webhook_secret" not in job  # shown once, at submission
    (request, _response) = https_receiver.log[0]
    body = request.get_data()
    assert webhooks.verify(secret, request.headers[webhooks.SIGNATURE_HEADER], body)
    payload = json.loads(body)
    assert payload["event"] == "job.completed"
    assert payload["job"]["id"] == submitted.job_id
    assert payload["job"]["progress"] == 100
    assert request.headers["X-Docjobs-Delivery"] == f"{submitted.job_id}:completed"
    assert job["webhook"]["attempts"] == 1
    assert job["webhook"]["last_status_code"] == 200
    assert job["webhook"]["last_error"] is None
    assert job["webhook"]["delivered_at"] is not None


def test_failed_job_webhook_carries_error_code(pipeline: Pipeline, https_receiver: HTTPServer) -> None:
    https_receiver.expect_request("/h", method="POST").respond_with_data("ok")
    submitted, _ = _submit_with_webhook(pipeline, encrypted_pdf(), https_receiver.url_for("/h"))

    job = pipeline.wait(submitted)

    assert job["status"] == "failed"
    payload = json.loads(https_receiver.log[0][0].get_data())
    assert payload["event"] == "job.failed"
    assert payload["job"]["error_code"] == "PARSE_ERROR"
    assert "encrypted" in payload["job"]["error"]


def test_http_webhook_url_is_refused_at_submission(pipeline: Pipeline) -> None:
    document_id = pipeline.upload_document(multi_page_pdf(), "report.pdf")
    status, body = pipeline.api(
        "POST",
        "/api/jobs",
        {"type": "parse", "document_id": document_id, "webhook_url": "http://example.com/h"},
    )
    assert status == 400
    assert body["error_code"] == "VALIDATION_ERROR"
    assert "webhook_url must be an https:// URL" in body["error"]


def test_webhook_status_on_the_job_shows_a_failed_delivery(
    pipeline: Pipeline, https_receiver: HTTPServer
) -> None:
    https_receiver.expect_request("/h", method="POST").respond_with_data("down", status=500)
    submitted, _ = _submit_with_webhook(pipeline, multi_page_pdf(), https_receiver.url_for("/h"))

    job = pipeline.wait(submitted)

    assert job["status"] == "completed"
    assert job["webhook"]["attempts"] >= 1
    assert job["webhook"]["last_status_code"] == 500
    assert job["webhook"]["last_error"] == "answered HTTP 500"
    assert job["webhook"]["delivered_at"] is None


def test_webhook_redirect_is_not_followed_and_shows_on_the_job(
    pipeline: Pipeline, https_receiver: HTTPServer
) -> None:
    https_receiver.expect_request("/h", method="POST").respond_with_data(
        "", status=302, headers={"Location": https_receiver.url_for("/internal")}
    )
    submitted, _ = _submit_with_webhook(pipeline, multi_page_pdf(), https_receiver.url_for("/h"))

    job = pipeline.wait(submitted)

    assert [request.path for request, _ in https_receiver.log] == ["/h"]
    assert job["webhook"]["last_status_code"] == 302
    assert "do not follow redirects" in job["webhook"]["last_error"]


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.internal.example/h",  # resolves to 10.0.0.5 (fake DNS)
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:127.0.0.1]/h",
        "https://[64:ff9b::a00:5]/h",
        "https://2130706433/h",
        "https://nowhere.example/h",  # does not resolve
    ],
)
def test_webhook_url_that_is_not_public_is_refused_at_submission(
    pipeline: Pipeline, fake_network, url: str
) -> None:
    pipeline.configure(ALLOW_PRIVATE_INPUT_URLS=None)
    fake_network.names["hooks.internal.example"] = ["10.0.0.5"]
    document_id = pipeline.upload_document(multi_page_pdf(), "report.pdf")
    status, body = pipeline.api(
        "POST", "/api/jobs", {"type": "parse", "document_id": document_id, "webhook_url": url}
    )
    assert status == 400, body
    assert body["error_code"] == "VALIDATION_ERROR"
    assert body["error"].startswith("webhook_url host")
    assert fake_network.connections == []
