"""docjobs_client without a network: the API is an httpx.MockTransport answering as the service would."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from docjobs_client import (
    APIError,
    AsyncClient,
    Client,
    ConfigurationError,
    ConflictError,
    ConnectionFailed,
    InternalServerError,
    NotFoundError,
    QuotaExceededError,
    RetryPolicy,
    UnauthorizedError,
    ValidationError,
    WaitTimeout,
)
from docjobs_client._core import parse_retry_after

API = "https://api.example.test"


def job(job_id="j1", status="processing", progress=0, stage=None, **extra):
    return {
        "id": job_id,
        "type": "parse",
        "status": status,
        "progress": progress,
        "stage": stage,
        "document_id": "d1",
        "created_at": "2026-11-29T10:00:00Z",
        "updated_at": "2026-11-29T10:00:01Z",
        "metadata": {"filename": "a.pdf", "file_type": "pdf", "pages": 2},
        **extra,
    }


def error(status, code, message="nope", headers=None, **extra):
    return httpx.Response(status, json={"error": message, "error_code": code, **extra}, headers=headers)


class Recorder:
    """A fake API: ``answers`` are returned in order (a callable answers everything after)."""

    def __init__(self, *answers: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.answers[0] if callable(self.answers[0]) else self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer(request) if callable(answer) else answer


def client_for(recorder: Recorder, **kwargs) -> tuple[Client, list[float]]:
    client = Client(API, "dj_test", transport=httpx.MockTransport(recorder), **kwargs)
    sleeps: list[float] = []
    client._sleep = sleeps.append
    return client, sleeps


def test_retry_after_seconds_is_honoured_on_429():
    api = Recorder(
        error(429, "QUOTA_EXCEEDED", headers={"Retry-After": "3"}),
        httpx.Response(200, json=job(status="completed", progress=100)),
    )
    client, sleeps = client_for(api, retry=RetryPolicy(backoff_base=0.5))
    assert client.get("j1").status == "completed"
    assert len(api.requests) == 2
    assert 3 <= sleeps[0] <= 3.5


def test_retry_after_as_an_http_date_is_honoured():
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    assert 18 <= parse_retry_after(when) <= 20
    api = Recorder(
        error(503, "INTERNAL_ERROR", headers={"Retry-After": when}),
        httpx.Response(200, json=job()),
    )
    client, sleeps = client_for(api)
    client.get("j1")
    assert sleeps[0] >= 18


def test_5xx_is_retried_with_jittered_exponential_backoff():
    api = Recorder(
        error(502, "INTERNAL_ERROR"), error(503, "INTERNAL_ERROR"), error(500, "INTERNAL_ERROR"),
        httpx.Response(200, json=job()),
    )  # fmt: skip
    client, sleeps = client_for(api, retry=RetryPolicy(max_retries=4, backoff_base=1.0, backoff_max=20))
    client.get("j1")
    assert len(sleeps) == 3
    for attempt, slept in enumerate(sleeps):
        assert 0 <= slept <= 2**attempt  # full jitter: uniform in [0, base * 2^attempt]


def test_jitter_spreads_retries_out():
    policy = RetryPolicy(backoff_base=1.0)
    delays = {round(policy.delay(3), 6) for _ in range(50)}
    assert len(delays) > 40 and all(0 <= d <= 8 for d in delays)


def test_after_the_last_retry_the_error_is_raised_as_its_class():
    api = Recorder(lambda request: error(429, "QUOTA_EXCEEDED", "too many requests"))
    client, sleeps = client_for(api, retry=RetryPolicy(max_retries=2))
    with pytest.raises(QuotaExceededError) as raised:
        client.get("j1")
    assert len(api.requests) == 3 and len(sleeps) == 2
    assert raised.value.status_code == 429 and raised.value.error_code == "QUOTA_EXCEEDED"


def test_a_retry_after_beyond_the_limit_is_not_waited_out():
    api = Recorder(error(429, "QUOTA_EXCEEDED", "credits spent", headers={"Retry-After": "86400"}))
    client, sleeps = client_for(api, retry=RetryPolicy(max_retry_after=120))
    with pytest.raises(QuotaExceededError) as raised:
        client.get("j1")
    assert sleeps == [] and len(api.requests) == 1
    assert raised.value.retry_after == 86400


def test_connection_errors_are_retried_then_raise_connection_failed():
    api = Recorder(lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused", request=request)))
    client, sleeps = client_for(api, retry=RetryPolicy(max_retries=3))
    with pytest.raises(ConnectionFailed):
        client.get("j1")
    assert len(api.requests) == 4 and len(sleeps) == 3


def test_a_connection_error_then_success_is_invisible():
    api = Recorder(httpx.ReadTimeout("slow"), httpx.Response(200, json=job()))
    client, _ = client_for(api)
    assert client.get("j1").id == "j1"


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "VALIDATION_ERROR", ValidationError),
        (401, "UNAUTHORIZED", UnauthorizedError),
        (404, "NOT_FOUND", NotFoundError),
        (409, "CONFLICT", ConflictError),
        (500, "INTERNAL_ERROR", InternalServerError),
        (418, "TEAPOT", APIError),
    ],
)
def test_errors_are_classes_per_error_code_and_4xx_is_not_retried(status, code, cls):
    api = Recorder(
        lambda request: error(status, code, "what was wrong", details={"errors": [{"loc": ["x"]}]})
    )
    client, _ = client_for(api, retry=RetryPolicy(max_retries=1))
    with pytest.raises(cls) as raised:
        client.get("j1")
    assert type(raised.value) is cls
    assert raised.value.message == "what was wrong"
    assert raised.value.error_code == code
    assert raised.value.details == {"errors": [{"loc": ["x"]}]}
    assert len(api.requests) == (2 if status >= 500 else 1)


def test_an_error_without_a_json_body_falls_back_on_the_status():
    api = Recorder(httpx.Response(404, text="<html>not here</html>"))
    client, _ = client_for(api)
    with pytest.raises(NotFoundError, match="not here"):
        client.get("j1")


def test_submit_sends_one_idempotency_key_across_its_retries():
    api = Recorder(error(502, "INTERNAL_ERROR"), httpx.Response(202, json=job(status="queued")))
    client, _ = client_for(api)
    submitted = client.submit("parse", document_id="d1", options={"ocr": "force"}, metadata={"ref": 7})
    assert submitted.status == "queued"
    first, second = api.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.headers["Idempotency-Key"].startswith("docjobs-py-")
    assert json.loads(second.content) == {
        "type": "parse",
        "document_id": "d1",
        "options": {"ocr": "force"},
        "metadata": {"ref": 7},
    }
    assert second.headers["Authorization"] == "Bearer dj_test"


def test_submit_refuses_two_sources():
    client, _ = client_for(Recorder(httpx.Response(500)))
    with pytest.raises(ValueError, match="at most one"):
        client.submit("parse", document_id="d1", input="https://example.com/a.pdf")


def test_list_follows_next_token_across_pages():
    pages = {
        None: {"jobs": [job("j1"), job("j2")], "total": 5, "has_more": True, "next_token": "t2"},
        "t2": {"jobs": [job("j3"), job("j4")], "total": 5, "has_more": True, "next_token": "t3"},
        "t3": {"jobs": [job("j5")], "total": 5, "has_more": False, "next_token": None},
    }
    api = Recorder(lambda request: httpx.Response(200, json=pages[request.url.params.get("page_token")]))
    client, _ = client_for(api)
    assert [j.id for j in client.list(status="completed", page_size=2)] == ["j1", "j2", "j3", "j4", "j5"]
    assert [r.url.params.get("page_token") for r in api.requests] == [None, "t2", "t3"]
    assert all(r.url.params["status"] == "completed" and r.url.params["limit"] == "2" for r in api.requests)
    assert [j.id for j in client.list(max_items=3, page_size=2)] == ["j1", "j2", "j3"]


def test_wait_reports_every_change_and_backs_off_while_nothing_moves():
    states = [
        job(status="queued"),
        job(status="processing", progress=10, stage="parsing"),
        job(status="processing", progress=10, stage="parsing"),
        job(status="processing", progress=10, stage="parsing"),
        job(status="processing", progress=60, stage="chunking"),
        job(status="completed", progress=100, stage="chunking", result={"chunks": []}),
    ]
    api = Recorder(*[httpx.Response(200, json=s) for s in states])
    client, sleeps = client_for(api)
    seen = []
    final = client.wait("j1", timeout=60, on_progress=lambda j: seen.append((j.status, j.progress, j.stage)))
    assert final.status == "completed"
    assert seen == [
        ("queued", 0, None),
        ("processing", 10, "parsing"),
        ("processing", 60, "chunking"),
        ("completed", 100, "chunking"),
    ]
    # unchanged polls back off (x1.5), a change polls quickly again
    assert sleeps == pytest.approx([0.5, 0.5, 0.75, 1.125, 0.5])


def test_wait_gives_up_with_the_last_state_seen():
    api = Recorder(lambda request: httpx.Response(200, json=job(progress=30, stage="ocr")))
    client, _ = client_for(api)
    client._sleep = time.sleep
    with pytest.raises(WaitTimeout) as raised:
        client.wait("j1", timeout=0.3, poll_interval=0.05)
    assert raised.value.job.progress == 30


def test_result_follows_result_url_without_the_api_key():
    big = {"chunks": [{"text": "x" * 10}] * 3, "metadata": {"pages": 1}}
    api = Recorder(
        httpx.Response(
            200, json=job(status="completed", progress=100, result_url="https://s3.test/r.json?sig=1")
        ),
        httpx.Response(200, json=big),
    )
    client, _ = client_for(api)
    assert client.result("j1") == big
    storage = api.requests[1]
    assert storage.url.host == "s3.test" and "authorization" not in storage.headers


def test_result_of_a_failed_job_raises_job_failed():
    from docjobs_client import JobFailedError

    api = Recorder(httpx.Response(200, json=job(status="failed", error="bad pdf", error_code="PARSE_ERROR")))
    client, _ = client_for(api)
    with pytest.raises(JobFailedError) as raised:
        client.result("j1")
    assert raised.value.error_code == "PARSE_ERROR"


def test_upload_streams_the_file_with_its_length_and_no_api_key(tmp_path: Path):
    path = tmp_path / "big.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"x" * (3 * 1024 * 1024))
    api = Recorder(
        httpx.Response(
            201, json={"document_id": "d9", "upload_url": "https://s3.test/put?sig=1", "expires_at": "x"}
        ),
        httpx.Response(200),
    )
    client, _ = client_for(api)
    progress = []
    target = client.upload(path, on_progress=lambda sent, total: progress.append((sent, total)))
    assert target.document_id == "d9"
    create, put = api.requests
    assert json.loads(create.content) == {"filename": "big.pdf", "content_type": "application/pdf"}
    assert put.method == "PUT" and put.url.host == "s3.test"
    assert put.headers["Content-Length"] == str(path.stat().st_size)
    assert "transfer-encoding" not in put.headers and "authorization" not in put.headers
    assert put.content == path.read_bytes()
    assert progress[-1] == (path.stat().st_size, path.stat().st_size) and len(progress) == 4


def test_configuration_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DOCJOBS_API_URL", "https://env.example.test/")
    monkeypatch.setenv("DOCJOBS_API_KEY", "dj_env")
    client = Client()
    assert client.config.base_url == "https://env.example.test"
    monkeypatch.delenv("DOCJOBS_API_KEY")
    with pytest.raises(ConfigurationError, match="DOCJOBS_API_KEY"):
        Client()
    with pytest.raises(ConfigurationError, match="http"):
        Client("ftp://x", "k")


def test_async_client_retries_lists_and_waits():
    pages = {
        None: {"jobs": [job("j1")], "total": 2, "has_more": True, "next_token": "t2"},
        "t2": {"jobs": [job("j2")], "total": 2, "has_more": False},
    }
    throttled = [True]

    def answer(request: httpx.Request) -> httpx.Response:
        if throttled[0]:
            throttled[0] = False
            return error(429, "QUOTA_EXCEEDED", headers={"Retry-After": "2"})
        if request.url.path == "/api/jobs":
            return httpx.Response(200, json=pages[request.url.params.get("page_token")])
        return httpx.Response(200, json=job(status="completed", progress=100))

    async def scenario() -> tuple[list[str], str, list[float]]:
        sleeps: list[float] = []

        async def fake_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        async with AsyncClient(API, "dj_test", transport=httpx.MockTransport(answer)) as client:
            client._sleep = fake_sleep
            ids = [j.id async for j in client.list(page_size=1)]
            done = await client.wait("j1", on_progress=lambda j: None)
        return ids, done.status, sleeps

    ids, status, sleeps = asyncio.run(scenario())
    assert ids == ["j1", "j2"] and status == "completed"
    assert sleeps and sleeps[0] >= 2


def test_async_errors_are_the_same_classes():
    async def scenario() -> None:
        transport = httpx.MockTransport(lambda request: error(404, "NOT_FOUND", "no job"))
        async with AsyncClient(API, "dj_test", transport=transport) as client:
            await client.get("missing")

    with pytest.raises(NotFoundError, match="no job"):
        asyncio.run(scenario())
