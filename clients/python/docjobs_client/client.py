"""The synchronous client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


class Client:
    """The docjobs Jobs API over HTTPS.

    ``base_url`` and ``api_key`` default to ``DOCJOBS_API_URL`` and ``DOCJOBS_API_KEY``.
    Requests answered 429 or 5xx, and connection errors, are retried (``retry``).
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = _core.resolve_config(base_url, api_key)
        self.retry = retry or RetryPolicy()
        limits = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._api = httpx.Client(
            base_url=self.config.base_url,
            headers=_core.default_headers(self.config),
            timeout=limits,
            transport=transport,
        )
        # Presigned S3 URLs carry their own signature: no API key goes to them.
        self._storage = httpx.Client(
            timeout=httpx.Timeout(timeout * 10, connect=min(timeout, 10.0)),
            transport=transport,
            headers={"User-Agent": _core.USER_AGENT},
        )
        self._sleep = time.sleep

    # ------------------------------------------------------------------ plumbing

    def close(self) -> None:
        self._api.close()
        self._storage.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, http: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                delay = _core.retry_delay(self.retry, attempt, None)
                if delay is None:
                    raise ConnectionFailed(f"{method} {http.base_url.join(url)}: {exc}") from exc
            else:
                delay = _core.retry_delay(self.retry, attempt, response)
                if delay is None:
                    return response
            self._sleep(delay)
            attempt += 1

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call (retried as the policy says); the decoded JSON answer."""
        return _core.decode(self._send(self._api, method, path, **kwargs))

    # ------------------------------------------------------------------ documents

    def upload(
        self,
        path: str | Path,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        on_progress: UploadProgress | None = None,
    ) -> UploadTarget:
        """Upload a file (streamed, any size) and return its ``document_id``."""
        path = Path(path)
        size = path.stat().st_size
        ctype = content_type or _core.content_type_of(path)
        target = UploadTarget.model_validate(
            self.request(
                "POST", "/api/documents", json={"filename": filename or path.name, "content_type": ctype}
            )
        )

        def put() -> httpx.Response:
            with path.open("rb") as handle:
                return self._storage.put(
                    target.upload_url,
                    content=_core.file_chunks(handle, size, on_progress),
                    headers={"Content-Type": ctype, "Content-Length": str(size)},
                )

        attempt = 0
        while True:
            try:
                response = put()
            except httpx.TransportError as exc:
                delay = _core.retry_delay(self.retry, attempt, None)
                if delay is None:
                    raise ConnectionFailed(f"upload of {path.name}: {exc}") from exc
            else:
                delay = _core.retry_delay(self.retry, attempt, response)
                if delay is None:
                    _core.raise_for_error(response)
                    return target
            self._sleep(delay)
            attempt += 1

    def document(self, document_id: str) -> Document:
        """``GET /api/documents/{id}``: an upload or an output document, with a download URL."""
        return Document.model_validate(self.request("GET", f"/api/documents/{document_id}"))

    def download(self, document_id: str, path: str | Path) -> Path:
        """Save a document to ``path`` (a directory: under the document's own filename)."""
        document = self.document(document_id)
        if not document.download_url:
            raise JobNotFinishedError(f"document {document_id} has no download URL yet")
        target = Path(path)
        if target.is_dir():
            target = target / (document.filename or document_id)
        return self._save(document.download_url, target)

    def _save(self, url: str, target: Path) -> Path:
        partial = target.with_name(target.name + ".part")
        with self._storage.stream("GET", url) as response:
            if response.status_code >= 400:
                response.read()
                _core.raise_for_error(response)
            with partial.open("wb") as out:
                for chunk in response.iter_bytes(_core.UPLOAD_CHUNK_BYTES):
                    out.write(chunk)
        partial.replace(target)
        return target

    # ------------------------------------------------------------------ jobs

    def submit(
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
        """Submit a job on an uploaded document, an https URL, or a local file (uploaded first).

        Every submission carries an Idempotency-Key (one is made when not given), so the
        client's own retries never start a second job.
        """
        _core.check_one_source(document_id, input, path)
        if path is not None:
            document_id = self.upload(path).document_id
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
            self.request("POST", "/api/jobs", json=body, headers={"Idempotency-Key": key})
        )

    def get(self, job: Job | str) -> Job:
        return Job.model_validate(self.request("GET", f"/api/jobs/{_core.job_id_of(job)}"))

    def list_page(
        self,
        *,
        status: str | None = None,
        type: str | None = None,
        limit: int = 50,
        page_token: str | None = None,
    ) -> JobPage:
        """One page of jobs, newest first."""
        params = _core.list_params(status, type, limit, page_token)
        return JobPage.model_validate(self.request("GET", "/api/jobs", params=params))

    def list(
        self,
        *,
        status: str | None = None,
        type: str | None = None,
        page_size: int = 50,
        max_items: int | None = None,
    ) -> Iterator[JobSummary]:
        """Every job (newest first), following ``next_token`` page after page."""
        token: str | None = None
        seen = 0
        while True:
            page = self.list_page(status=status, type=type, limit=page_size, page_token=token)
            for job in page.jobs:
                if max_items is not None and seen >= max_items:
                    return
                seen += 1
                yield job
            if not page.has_more or not page.next_token:
                return
            token = page.next_token

    def cancel(self, job: Job | str) -> CancelResult:
        return CancelResult.model_validate(self.request("DELETE", f"/api/jobs/{_core.job_id_of(job)}"))

    def wait(
        self,
        job: Job | str,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        *,
        poll_interval: float = 0.5,
        max_poll_interval: float = 5.0,
    ) -> Job:
        """Poll until the job ends; ``on_progress(job)`` is called whenever status, stage or
        progress change. Returns the ended job (check ``status``); raises WaitTimeout."""
        poller = _core.Poller(timeout, on_progress, poll_interval, max_poll_interval)
        current = self.get(job)
        while not poller.observe(current):
            pause = poller.next_sleep()
            if pause is None:
                raise WaitTimeout(current, timeout or 0)
            self._sleep(pause)
            current = self.get(current.id)
        return current

    def result(self, job: Job | str) -> dict[str, Any]:
        """A completed job's result, fetched from ``result_url`` when it was not inlined."""
        current = (
            job if isinstance(job, Job) and (job.result is not None or job.result_url) else self.get(job)
        )
        if current.status in ("failed", "cancelled"):
            raise JobFailedError(current)
        if current.status != "completed":
            raise JobNotFinishedError(f"job {current.id} is {current.status}; wait() for it first")
        if current.result is not None:
            return current.result
        if not current.result_url:
            raise JobNotFinishedError(f"job {current.id} has no result")
        response = self._send(self._storage, "GET", current.result_url)
        return _core.decode(response)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ account

    def usage(self) -> Usage:
        """This month's credits (``GET /api/usage``)."""
        return Usage.model_validate(self.request("GET", "/api/usage"))
