"""Job webhooks: when a job ends, POST it to the ``webhook_url`` given at submission.

Each job with a webhook gets its own random signing secret, returned once in the
``POST /api/jobs`` answer as ``webhook_secret``. Every delivery carries

* ``X-Docjobs-Event``: ``job.completed`` | ``job.failed`` | ``job.cancelled``
* ``X-Docjobs-Delivery``: ``<job id>:<status>`` (the same on a retried delivery: dedupe on it)
* ``X-Docjobs-Signature``: ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``

Deliveries are made by the execution tracker when the job's execution ends (see
template.yaml); a non-2xx answer or a network error raises ``TransientError`` so Lambda's
asynchronous retries try again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import ssl
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlparse

from docjobs.core.errors import InputValidationError, TransientError
from docjobs.core.models import JobListing, JobRecord
from docjobs.core.observability import logger
from docjobs.domain.url_safety import check_public_host

TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Docjobs-Signature"


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str, header: str, body: bytes, *, tolerance_seconds: int = 300, now: int | None = None
) -> bool:
    """What a receiver does: check the signature and that the timestamp is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or int(time.time())) - timestamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


def webhook_payload(job: JobRecord) -> dict[str, Any]:
    """The job as the list shows it (the same fields as ``GET /api/jobs``), plus how it ended."""
    return {
        "event": f"job.{job.status}",
        "job": {
            **job.model_dump(mode="json", include=set(JobListing.model_fields) - {"tenant_id"}),
            "error": job.error,
            "error_code": job.error_code,
            "retry_count": job.retry_count,
            "metadata": job.metadata.model_dump(mode="json"),
            "client_metadata": job.client_metadata,
        },
    }


def deliver_job_webhook(job: JobRecord) -> bool:
    """POST the ended job to its webhook; False when there is nothing to deliver."""
    if not job.webhook_url or not job.webhook_secret or not job.is_terminal:
        return False
    body = json.dumps(webhook_payload(job), separators=(",", ":")).encode()
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 - https only, validated at submission
        job.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "docjobs-webhooks/1.0",
            "X-Docjobs-Event": f"job.{job.status}",
            "X-Docjobs-Delivery": f"{job.id}:{job.status}",
            SIGNATURE_HEADER: sign(job.webhook_secret, timestamp, body),
        },
    )
    try:
        check_public_host(urlparse(job.webhook_url).hostname or "", what="webhook_url")
    except InputValidationError as exc:
        logger.warning("webhook not delivered", extra={"job_id": job.id, "reason": exc.message})
        return False
    try:
        context = ssl.create_default_context()  # the system's trust store, read at each delivery
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=context) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        raise TransientError(f"webhook for job {job.id} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise TransientError(f"webhook for job {job.id} failed: {getattr(exc, 'reason', exc)}") from exc
    logger.info("webhook delivered", extra={"job_id": job.id, "status_code": status})
    return True
