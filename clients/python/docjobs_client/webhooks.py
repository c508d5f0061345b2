"""Checking a webhook delivery: ``X-Docjobs-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``.

The HMAC is keyed with the job's ``webhook_secret`` (returned once by ``POST /api/jobs``) over
``"<t>.<raw body>"``. A receiver recomputes it over the raw bytes it got and refuses old
timestamps, so a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from docjobs_client.errors import DocjobsError

SIGNATURE_HEADER = "X-Docjobs-Signature"
DELIVERY_HEADER = "X-Docjobs-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(DocjobsError):
    """The delivery's signature is missing, malformed, wrong or too old."""


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError(f"the timestamp {value!r} is not a number") from None
        elif name == "v1":
            signatures.append(value)
    if timestamp is None:
        raise SignatureError("the signature header has no t=<timestamp>")
    if not signatures:
        raise SignatureError("the signature header has no v1=<signature>")
    return timestamp, signatures


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """The delivery's JSON payload if ``header`` signs ``body`` recently; SignatureError if not."""
    timestamp, signatures = _parse(header)
    age = (time.time() if now is None else now) - timestamp
    if abs(age) > tolerance_seconds:
        raise SignatureError(f"the signature is {abs(age):.0f} s old (more than {tolerance_seconds} s)")
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("the signature does not match the body and secret")
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise SignatureError(f"the signed body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise SignatureError("the signed body is not a JSON object")
    return payload
