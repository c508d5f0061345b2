"""GET /api/jobs/{id} of a completed job: the result is downloaded once per warm container.

Through the emulated API and moto's S3: the S3 GetObject calls the API's own client makes are
counted (botocore's event hooks), so a hit is shown to cost no S3 call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

TENANT = "cache-tenant"


@pytest.fixture(scope="module")
def stack(module_stack):
    return module_stack


@pytest.fixture
def get_object_calls(stack) -> Iterator[list[dict[str, Any]]]:
    """Each GetObject request the API functions' S3 client sends (presigning sends none)."""
    from urllib.parse import unquote, urlsplit

    from docjobs.adapters import aws_clients

    calls: list[dict[str, Any]] = []

    def record(request: Any, **_: Any) -> None:
        path = unquote(urlsplit(request.url).path)  # /<key>, or /<bucket>/<key> (path style)
        calls.append({"path": path, "IfNoneMatch": request.headers.get("If-None-Match")})

    events = aws_clients.s3().meta.events
    events.register("before-send.s3.GetObject", record)
    yield calls
    events.unregister("before-send.s3.GetObject", record)


def _publish(
    stack, seed_job, result: dict, *, with_etag: bool = True, summary: dict | None = None
) -> tuple[str, str]:
    """A completed job whose result was published as the pipeline publishes it (one PUT)."""
    import io

    from docjobs.adapters import job_store, storage
    from docjobs.core.models import ResultPointer
    from docjobs.core.values import utc_now

    job = seed_job(TENANT, status="processing")
    key = storage.result_key(TENANT, job.id)
    raw = json.dumps(result).encode()
    etag = storage.put_file(key, io.BytesIO(raw), len(raw), "application/json")
    assert etag

    def complete(current):
        current.status, current.progress, current.completed_at = "completed", 100, utc_now()
        current.result = ResultPointer(
            bucket=storage.bucket(),
            key=key,
            size_bytes=len(raw),
            summary=summary or {},
            etag=etag if with_etag else None,
        )
        return current

    job_store.update_job(TENANT, job.id, complete)
    return job.id, key


def test_a_result_published_with_its_etag_is_downloaded_once(api_client, stack, seed_job, get_object_calls):
    client = api_client(TENANT)
    result = {"chunks": [{"id": "c1", "text": "hello"}], "metadata": {"pages": 1}}
    job_id, key = _publish(stack, seed_job, result)
    bodies = [client.get(f"/api/jobs/{job_id}").json for _ in range(3)]
    assert all(body["result"] == result for body in bodies)
    assert len(get_object_calls) == 1 and get_object_calls[0]["path"].endswith("/" + key)


def test_without_an_etag_on_the_record_the_entry_is_revalidated_with_a_conditional_get(
    api_client, stack, seed_job, get_object_calls, monkeypatch
):
    from docjobs.api import result_cache

    monkeypatch.setattr(result_cache.RESULTS, "max_age_seconds", 0.0)  # revalidate every time
    client = api_client(TENANT)
    result = {"chunks": [], "metadata": {"pages": 2}}
    job_id, _ = _publish(stack, seed_job, result, with_etag=False)
    revalidated = result_cache.RESULTS.revalidations
    first = client.get(f"/api/jobs/{job_id}").json
    second = client.get(f"/api/jobs/{job_id}").json
    assert first["result"] == second["result"] == result
    assert len(get_object_calls) == 2
    assert get_object_calls[0]["IfNoneMatch"] is None and get_object_calls[1]["IfNoneMatch"]
    assert result_cache.RESULTS.revalidations == revalidated + 1  # S3 answered 304: no body


def test_a_changed_object_is_downloaded_again(api_client, stack, seed_job, monkeypatch):
    from docjobs.adapters import storage
    from docjobs.api import result_cache

    monkeypatch.setattr(result_cache.RESULTS, "max_age_seconds", 0.0)
    client = api_client(TENANT)
    job_id, key = _publish(stack, seed_job, {"v": 1}, with_etag=False)
    assert client.get(f"/api/jobs/{job_id}").json["result"] == {"v": 1}
    storage.put_json(key, {"v": 2})
    assert client.get(f"/api/jobs/{job_id}").json["result"] == {"v": 2}


def test_output_document_urls_are_fresh_and_the_cached_result_is_not_modified(api_client, stack, seed_job):
    from docjobs.api import result_cache

    client = api_client(TENANT)
    document = {"document_id": "doc-1", "filename": "part-1.pdf", "url": "stale"}
    job_id, key = _publish(stack, seed_job, {"documents": [document]}, summary={"documents": ["doc-1"]})
    shown = client.get(f"/api/jobs/{job_id}").json["result"]["documents"][0]
    assert shown["url"].startswith("https://") and "part-1.pdf" in shown["url"]
    cached = result_cache.RESULTS._entries[key].value
    assert cached["documents"][0]["url"] == "stale"


def test_the_cache_is_bounded_by_bytes_least_recently_used_first(monkeypatch):
    from docjobs.adapters import storage
    from docjobs.api.result_cache import ResultCache

    fetched: list[str] = []

    def fake_get(key: str, etag: str | None) -> tuple[str, Any]:
        fetched.append(key)
        return f'"{key}"', {"key": key}

    monkeypatch.setattr(storage, "get_json_unless", fake_get)
    cache = ResultCache(max_bytes=100)
    for key in ("a", "b", "a", "c"):  # c (50 bytes) evicts b, the least recently used
        cache.get(key, 50, f'"{key}"')
    assert fetched == ["a", "b", "c"]
    cache.get("a", 50, '"a"')
    cache.get("b", 50, '"b"')
    assert fetched == ["a", "b", "c", "b"]
    cache.get("big", 101, '"big"')
    assert "big" not in cache._entries and cache._bytes <= 100
