"""Job webhooks: when a job ends, POST it to the ``webhook_url`` given at submission.

Each job with a webhook gets its own random signing secret, returned once in the
``POST /api/jobs`` answer as ``webhook_secret``. Every delivery carries

* ``X-Docjobs-Event``: ``job.completed`` | ``job.failed`` | ``job.cancelled``
* ``X-Docjobs-Delivery``: ``<job id>:<status>`` (the same on a retried delivery: dedupe on it)
* ``X-Docjobs-Signature``: ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``

Deliveries are made by the execution tracker when the job's execution ends (see
template.yaml); a non-2xx answer or a network error raises ``TransientError`` so Lambda's
asynchronous retries try again. Each attempt is recorded on the job (``webhook``: attempts,
last status code, last error, delivered_at), so a client sees a delivery that failed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import secrets
import ssl
import time
from dataclasses import dataclass
from typing import Any

from docjobs.core.errors import InputValidationError, TransientError
from docjobs.core.models import JobListing, JobRecord, WebhookDelivery
from docjobs.core.observability import logger
from docjobs.core.values import utc_now
from docjobs.domain.url_safety import open_public_url

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


@dataclass(frozen=True)
class DeliveryAttempt:
    """One delivery: the answer's status code, or why there was none; ``retryable`` failures
    are tried again (Lambda's asynchronous retries of the execution tracker)."""

    status_code: int | None
    error: str | None
    retryable: bool = False

    @property
    def delivered(self) -> bool:
        return self.error is None


def attempt_delivery(job: JobRecord) -> DeliveryAttempt | None:
    """POST the ended job to its webhook once; None when there is nothing to deliver.

    The URL goes through ``url_safety`` (checked at submission, checked again here against
    what the name resolves to now, connection to the checked address). Redirects are not
    followed: a webhook endpoint answers itself (a 3xx is a failed delivery).
    """
    if not job.webhook_url or not job.webhook_secret or not job.is_terminal:
        return None
    body = json.dumps(webhook_payload(job), separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "docjobs-webhooks/1.0",
        "X-Docjobs-Event": f"job.{job.status}",
        "X-Docjobs-Delivery": f"{job.id}:{job.status}",
        SIGNATURE_HEADER: sign(job.webhook_secret, timestamp, body),
    }
    try:
        with open_public_url(
            job.webhook_url,
            what="webhook_url",
            method="POST",
            body=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,
        ) as response:
            status = response.status
            response.read(64 * 1024)  # the answer's body is not used; read a little to end cleanly
    except InputValidationError as exc:
        return DeliveryAttempt(None, exc.message)
    except ssl.SSLCertVerificationError as exc:
        return DeliveryAttempt(None, f"TLS certificate not valid: {exc.verify_message}", retryable=True)
    except (OSError, http.client.HTTPException) as exc:
        return DeliveryAttempt(None, f"{type(exc).__name__}: {exc}"[:500], retryable=True)
    if 200 <= status < 300:
        return DeliveryAttempt(status, None)
    if 300 <= status < 400:
        return DeliveryAttempt(status, f"answered HTTP {status}: webhook deliveries do not follow redirects")
    return DeliveryAttempt(status, f"answered HTTP {status}", retryable=True)


def deliver_job_webhook(job: JobRecord) -> DeliveryAttempt | None:
    """Deliver, record the outcome on the job (``webhook``), and raise ``TransientError`` for a
    failure worth retrying; None when the job has no webhook to deliver."""
    from docjobs.adapters import job_store

    attempt = attempt_delivery(job)
    if attempt is None:
        return None
    previous = job.webhook or WebhookDelivery()
    delivery = WebhookDelivery(
        attempts=previous.attempts + 1,
        last_status_code=attempt.status_code,
        last_error=attempt.error,
        delivered_at=utc_now() if attempt.delivered else previous.delivered_at,
    )
    job.webhook = delivery
    job_store.record_webhook_attempt(job.tenant_id, job.id, delivery)
    extra = {"job_id": job.id, "status_code": attempt.status_code, "attempt": delivery.attempts}
    if attempt.delivered:
        logger.info("webhook delivered", extra=extra)
        return attempt
    logger.warning("webhook not delivered", extra={**extra, "reason": attempt.error})
    if attempt.retryable:
        raise TransientError(f"webhook for job {job.id} failed: {attempt.error}")
    return attempt
