"""The asynchronous client: the same methods as ``Client``, awaited (``list`` is ``async for``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx

from docjobs_client import _core
from docjobs_client._core import ProgressCallback, RetryPolicy, UploadProgress
from docjobs_client.errors import ConnectionFailed, JobFailedError, JobNotFinishedError, WaitTimeout
from docjobs_client.models import (
    CancelResult,
    Document,
    Job,
    JobPage,
    JobSummary,
    SubmittedJob,
    UploadTarget,
    Usage,
)


class AsyncClient:
    """The docjobs Jobs API over HTTPS, for asyncio (httpx.AsyncClient underneath)."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = _core.resolve_config(base_url, api_key)
        self.retry = retry or RetryPolicy()
        self._api = httpx.AsyncClient(
            base_url=self.config.base_url,
            headers=_core.default_headers(self.config),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
        )
        self._storage = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout * 10, connect=min(timeout, 10.0)),
            transport=transport,
            headers={"User-Agent": _core.USER_AGENT},
        )
        self._sleep = asyncio.sleep

    async def aclose(self) -> None:
        await self._api.aclose()
        await self._storage.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _send(self, http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                delay = _core.retry_delay(self.retry, attempt, None)
                if delay is None:
                    raise ConnectionFailed(f"{method} {http.base_url.join(url)}: {exc}") from exc
            else:
                delay = _core.retry_delay(self.retry, attempt, response)
                if delay is None:
                    return response
            await self._sleep(delay)
            attempt += 1

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return _core.decode(await self._send(self._api, method, path, **kwargs))

    # ------------------------------------------------------------------ documents

    async def upload(
        self,
        path: str | Path,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        on_progress: UploadProgress | None = None,
    ) -> UploadTarget:
        path = Path(path)
        size = path.stat().st_size
        ctype = content_type or _core.content_type_of(path)
        target = UploadTarget.model_validate(
            await self.request(
                "POST", "/api/documents", json={"filename": filename or path.name, "content_type": ctype}
            )
        )

        async def chunks() -> AsyncIterator[bytes]:
            sent = 0
            async with await anyio.open_file(path, "rb") as handle:
                while chunk := await handle.read(_core.UPLOAD_CHUNK_BYTES):
                    sent += len(chunk)
                    if on_progress is not None:
                        on_progress(sent, size)
                    yield chunk

        attempt = 0
        while True:
            try:
                response = await self._storage.put(
                    target.upload_url,
                    content=chunks(),
                    headers={"Content-Type": ctype, "Content-Length": str(size)},
                )
            except httpx.TransportError as exc:
                delay = _core.retry_delay(self.retry, attempt, None)
                if delay is None:
                    raise ConnectionFailed(f"upload of {path.name}: {exc}") from exc
            else:
                delay = _core.retry_delay(self.retry, attempt, response)
                if delay is None:
                    _core.raise_for_error(response)
                    return target
            await self._sleep(delay)
            attempt += 1

    async def document(self, document_id: str) -> Document:
        return Document.model_validate(await self.request("GET", f"/api/documents/{document_id}"))

    async def download(self, document_id: str, path: str | Path) -> Path:
        document = await self.document(document_id)
        if not document.download_url:
            raise JobNotFinishedError(f"document {document_id} has no download URL yet")
        target = Path(path)
        if target.is_dir():
            target = target / (document.filename or document_id)
        partial = target.with_name(target.name + ".part")
        async with self._storage.stream("GET", document.download_url) as response:
            if response.status_code >= 400:
                await response.aread()
                _core.raise_for_error(response)
            async with await anyio.open_file(partial, "wb") as out:
                async for chunk in response.aiter_bytes(_core.UPLOAD_CHUNK_BYTES):
                    await out.write(chunk)
        partial.replace(target)
        return target

    # ------------------------------------------------------------------ jobs

    async def submit(
        self,
        type: str,
        *,
        document_id: str | None = None,
        input: str | None = None,
        path: str | Path | None = None,
        options: dict[str, Any] | None = None,
        webhook_url: str | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> SubmittedJob:
        _core.check_one_source(document_id, input, path)
        if path is not None:
            document_id = (await self.upload(path)).document_id
        body = _core.submit_body(
            type,
            document_id=document_id,
            input=input,
            options=options,
            webhook_url=webhook_url,
            metadata=metadata,
        )
        key = idempotency_key or _core.new_idempotency_key()
        return SubmittedJob.model_validate(
            await self.request("POST", "/api/jobs", json=body, headers={"Idempotency-Key": key})
        )

    async def get(self, job: Job | str) -> Job:
        return Job.model_validate(await self.request("GET", f"/api/jobs/{_core.job_id_of(job)}"))

    async def list_page(
        self,
        *,
        status: str | None = None,
        type: str | None = None,
        limit: int = 50,
        page_token: str | None = None,
    ) -> JobPage:
        params = _core.list_params(status, type, limit, page_token)
        return JobPage.model_validate(await self.request("GET", "/api/jobs", params=params))

    async def list(
        self,
        *,
        status: str | None = None,
        type: str | None = None,
        page_size: int = 50,
        max_items: int | None = None,
    ) -> AsyncIterator[JobSummary]:
        token: str | None = None
        seen = 0
        while True:
            page = await self.list_page(status=status, type=type, limit=page_size, page_token=token)
            for job in page.jobs:
                if max_items is not None and seen >= max_items:
                    return
                seen += 1
                yield job
            if not page.has_more or not page.next_token:
                return
            token = page.next_token

    async def cancel(self, job: Job | str) -> CancelResult:
        return CancelResult.model_validate(await self.request("DELETE", f"/api/jobs/{_core.job_id_of(job)}"))

    async def wait(
        self,
        job: Job | str,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        *,
        poll_interval: float = 0.5,
        max_poll_interval: float = 5.0,
    ) -> Job:
        poller = _core.Poller(timeout, on_progress, poll_interval, max_poll_interval)
        current = await self.get(job)
        while not poller.observe(current):
            pause = poller.next_sleep()
            if pause is None:
                raise WaitTimeout(current, timeout or 0)
            await self._sleep(pause)
            current = await self.get(current.id)
        return current

    async def result(self, job: Job | str) -> dict[str, Any]:
        current = (
            job
            if isinstance(job, Job) and (job.result is not None or job.result_url)
            else await self.get(job)
        )
        if current.status in ("failed", "cancelled"):
            raise JobFailedError(current)
        if current.status != "completed":
            raise JobNotFinishedError(f"job {current.id} is {current.status}; wait() for it first")
        if current.result is not None:
            return current.result
        if not current.result_url:
            raise JobNotFinishedError(f"job {current.id} has no result")
        return _core.decode(await self._send(self._storage, "GET", current.result_url))  # type: ignore[no-any-return]

    async def usage(self) -> Usage:
        return Usage.model_validate(await self.request("GET", "/api/usage"))
