"""Completed jobs' results, kept in memory by a warm API function between requests.

A completed job's result object does not change, so ``GET /api/jobs/{id}`` downloads and parses
it once per warm container, not on every poll. An entry is keyed by the object's key and
ETag: when the job record carries the ETag the result was published with (every result published
with one PUT), a hit costs no S3 call at all; otherwise the entry is revalidated with a
conditional GET (``If-None-Match``: 304, no body) once it is older than ``MAX_AGE_SECONDS``.
Bounded by the results' size in bytes (least recently used first out).

Cached values are shared between requests: callers never modify them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from docjobs.adapters import storage
from docjobs.core.observability import logger

#: How much result JSON a container keeps (results larger than this are never cached).
MAX_BYTES = 24 * 1024 * 1024
#: How long an entry whose ETag the job record does not carry is served before revalidating.
MAX_AGE_SECONDS = 300.0
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


@dataclass
class _Entry:
    etag: str | None
    value: Any
    size: int
    checked_at: float


class ResultCache:
    def __init__(self, max_bytes: int = MAX_BYTES, max_age_seconds: float = MAX_AGE_SECONDS) -> None:
        self.max_bytes = max_bytes
        self.max_age_seconds = max_age_seconds
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.revalidations = self.downloads = 0

    def get(self, key: str, size_bytes: int, etag: str | None = None) -> Any:
        """The JSON at ``key`` (``size_bytes`` long, published with ``etag`` when known), or None
        when the object is gone (the results/ lifecycle rule can delete it before DynamoDB's TTL
        deletes the job)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                fresh = time.monotonic() - entry.checked_at < self.max_age_seconds
                if (etag is not None and entry.etag == etag) or (etag is None and fresh):
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return entry.value
        known = entry.etag if entry is not None and (etag is None or entry.etag == etag) else None
        try:
            fetched = storage.get_json_unless(key, known)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                self._drop(key)
                return None
            raise
        with self._lock:
            if fetched is None and entry is not None:  # 304: still what we hold
                entry.checked_at = time.monotonic()
                self.revalidations += 1
                return entry.value
            self.downloads += 1
        if fetched is None:  # a 304 for an entry evicted meanwhile: fetch it whole
            fetched = storage.get_json_unless(key, None)
            assert fetched is not None
        new_etag, value = fetched
        self._put(key, _Entry(new_etag, value, size_bytes, time.monotonic()))
        return value

    def _put(self, key: str, entry: _Entry) -> None:
        if entry.size > self.max_bytes:
            self._drop(key)
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self._bytes -= old.size if old else 0
            self._entries[key] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    def _drop(self, key: str) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            self._bytes -= old.size if old else 0

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


#: This container's cache.
RESULTS = ResultCache()


def stored_result(job_id: str, key: str, size_bytes: int, etag: str | None) -> dict[str, Any] | None:
    """A completed job's result, or None when its object is gone (never a 500)."""
    value = RESULTS.get(key, size_bytes, etag)
    if value is None:
        logger.warning("the result of a completed job is gone", extra={"job_id": job_id})
        return None
    return value if isinstance(value, dict) else {"value": value}
