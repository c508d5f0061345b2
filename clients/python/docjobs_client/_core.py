"""What the sync and async clients share: configuration, the retry policy, error mapping, polling."""

from __future__ import annotations

import email.utils
import mimetypes
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx

from docjobs_client import __version__
from docjobs_client.errors import APIError, ConfigurationError, error_for
from docjobs_client.models import Job

API_URL_ENV = "DOCJOBS_API_URL"
API_KEY_ENV = "DOCJOBS_API_KEY"
USER_AGENT = f"docjobs-python/{__version__}"
#: 429 (throttled) and the 5xx a gateway or a cold function can answer are retried.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
UPLOAD_CHUNK_BYTES = 1024 * 1024

ProgressCallback = Callable[[Job], None]
UploadProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of 429, 5xx and connection errors: exponential backoff with full jitter.

    A ``Retry-After`` header is honoured (the wait is at least that long); one longer than
    ``max_retry_after`` is not waited out: the error is raised at once.
    """

    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    max_retry_after: float = 120.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        jitter = random.uniform(0, min(self.backoff_max, self.backoff_base * (2**attempt)))  # noqa: S311
        if retry_after is not None:
            return retry_after + min(jitter, self.backoff_base)
        return jitter


@dataclass(frozen=True)
class Config:
    base_url: str
    api_key: str


def resolve_config(base_url: str | None, api_key: str | None) -> Config:
    """Arguments first, then DOCJOBS_API_URL / DOCJOBS_API_KEY."""
    url = (base_url or os.environ.get(API_URL_ENV) or "").strip()
    key = (api_key or os.environ.get(API_KEY_ENV) or "").strip()
    if not url:
        raise ConfigurationError(f"no API URL: pass base_url or set {API_URL_ENV}")
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"the API URL must start with http:// or https://, not {url!r}")
    if not key:
        raise ConfigurationError(f"no API key: pass api_key or set {API_KEY_ENV}")
    return Config(url.rstrip("/"), key)


def default_headers(config: Config) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {config.api_key}",
        "User-Agent": USER_AGENT,
        "Accept": "application/json",
    }


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


def retry_delay(policy: RetryPolicy, attempt: int, response: httpx.Response | None) -> float | None:
    """How long to wait before retry number ``attempt + 1``, or None to stop retrying.

    ``response`` is None for a connection error.
    """
    if attempt >= policy.max_retries:
        return None
    if response is None:
        return policy.delay(attempt)
    if response.status_code not in RETRY_STATUSES:
        return None
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if retry_after is not None and retry_after > policy.max_retry_after:
        return None
    return policy.delay(attempt, retry_after)


def raise_for_error(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    raise error_for(
        response.status_code,
        body,
        request_id=response.headers.get("x-amzn-RequestId"),
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def decode(response: httpx.Response) -> Any:
    raise_for_error(response)
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise APIError(
            f"expected JSON, got {response.headers.get('Content-Type', 'no content type')}",
            status_code=response.status_code,
        ) from exc


def new_idempotency_key() -> str:
    """A key per submission, so a retried ``POST /api/jobs`` never starts a second job."""
    return f"docjobs-py-{uuid.uuid4()}"


def job_id_of(job: Job | str) -> str:
    return job if isinstance(job, str) else job.id


def content_type_of(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def submit_body(
    job_type: str,
    *,
    document_id: str | None,
    input: str | None,
    options: dict[str, Any] | None,
    webhook_url: str | None,
    metadata: dict[str, Any] | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": job_type}
    if document_id is not None:
        body["document_id"] = document_id
    if input is not None:
        body["input"] = input
    if options:
        body["options"] = options
    if webhook_url is not None:
        body["webhook_url"] = webhook_url
    if metadata:
        body["metadata"] = metadata
    return body


def list_params(status: str | None, type: str | None, limit: int, page_token: str | None) -> dict[str, Any]:
    """Query parameters of ``GET /api/jobs`` (unset filters left out)."""
    params: dict[str, Any] = {"limit": limit}
    for name, value in (("status", status), ("type", type), ("page_token", page_token)):
        if value:
            params[name] = value
    return params


def check_one_source(document_id: str | None, input: str | None, path: Any) -> None:
    given = [
        name for name, value in (("document_id", document_id), ("input", input), ("path", path)) if value
    ]
    if len(given) > 1:
        raise ValueError(f"give at most one of document_id, input or path, not {' and '.join(given)}")


def file_chunks(handle: IO[bytes], total: int, on_progress: UploadProgress | None = None) -> Iterator[bytes]:
    """The file in 1 MiB pieces (never all in memory), reporting bytes sent."""
    sent = 0
    while chunk := handle.read(UPLOAD_CHUNK_BYTES):
        sent += len(chunk)
        if on_progress is not None:
            on_progress(sent, total)
        yield chunk


class Poller:
    """``wait()``'s schedule: polls quickly while the job moves, backs off while it does not."""

    def __init__(
        self,
        timeout: float | None,
        on_progress: ProgressCallback | None,
        interval: float = 0.5,
        max_interval: float = 5.0,
    ) -> None:
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.timeout = timeout
        self.on_progress = on_progress
        self.min_interval = interval
        self.interval = interval
        self.max_interval = max_interval
        self._last: tuple[str, int, str | None] | None = None

    def observe(self, job: Job) -> bool:
        """Report the job if it changed; True once it has ended."""
        state = (job.status, job.progress, job.stage)
        if state != self._last:
            self._last = state
            self.interval = self.min_interval
            if self.on_progress is not None:
                self.on_progress(job)
        else:
            self.interval = min(self.max_interval, self.interval * 1.5)
        return job.is_terminal

    def next_sleep(self) -> float | None:
        """Seconds until the next poll, or None when the timeout has passed."""
        if self.deadline is None:
            return self.interval
        left = self.deadline - time.monotonic()
        if left <= 0:
            return None
        return min(self.interval, left)
