"""Exceptions: one class per API ``error_code``, plus the ones a client meets on its own.

Every API error body is ``{"error": "<what was wrong>", "error_code": "<CODE>"}``; the class is
chosen by ``error_code`` (never by message text), falling back on the HTTP status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docjobs_client.models import Job


class DocjobsError(Exception):
    """Base class of every exception this package raises."""


class ConfigurationError(DocjobsError):
    """No API URL or key was given (arguments, DOCJOBS_API_URL, DOCJOBS_API_KEY)."""


class APIError(DocjobsError):
    """The API answered with an error."""

    error_code = "API_ERROR"

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        error_code: str | None = None,
        details: Any = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        if error_code:
            self.error_code = error_code
        self.details = details
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.error_code} ({self.status_code}): {self.message}"


class ValidationError(APIError):
    """400 VALIDATION_ERROR: the request named something invalid (``details`` says where)."""

    error_code = "VALIDATION_ERROR"


class UnauthorizedError(APIError):
    """401 UNAUTHORIZED: missing or invalid API key."""

    error_code = "UNAUTHORIZED"


class NotFoundError(APIError):
    """404 NOT_FOUND: no such job, document or route (another tenant's ids are not found)."""

    error_code = "NOT_FOUND"


class ConflictError(APIError):
    """409 CONFLICT: e.g. cancelling a finished job, or an Idempotency-Key reused with another body."""

    error_code = "CONFLICT"


class QuotaExceededError(APIError):
    """429 QUOTA_EXCEEDED: throttled, or the month's credits are spent (still so after retries)."""

    error_code = "QUOTA_EXCEEDED"


class InternalServerError(APIError):
    """5xx INTERNAL_ERROR (still so after retries)."""

    error_code = "INTERNAL_ERROR"


class ConnectionFailed(DocjobsError):
    """The API could not be reached (still so after retries)."""


class WaitTimeout(DocjobsError):
    """``wait()`` gave up before the job ended; ``job`` is the last state seen."""

    def __init__(self, job: Job, timeout: float) -> None:
        super().__init__(f"job {job.id} is still {job.status} after {timeout:g} s")
        self.job = job
        self.timeout = timeout


class JobNotFinishedError(DocjobsError):
    """A result or download was asked for before the job produced it."""


class JobFailedError(DocjobsError):
    """The job ended failed or cancelled; ``job.error_code`` and ``job.error`` say why."""

    def __init__(self, job: Job) -> None:
        reason = f"{job.error_code}: {job.error}" if job.status == "failed" else "cancelled"
        super().__init__(f"job {job.id} {job.status} ({reason})")
        self.job = job
        self.error_code = job.error_code if job.status == "failed" else "CANCELLED"


#: error_code -> class; unknown codes fall back on the HTTP status.
ERROR_CLASSES: dict[str, type[APIError]] = {
    cls.error_code: cls
    for cls in (ValidationError, UnauthorizedError, NotFoundError, ConflictError, QuotaExceededError)
}
ERROR_CLASSES["INTERNAL_ERROR"] = InternalServerError
_BY_STATUS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: UnauthorizedError,
    403: UnauthorizedError,
    404: NotFoundError,
    409: ConflictError,
    429: QuotaExceededError,
}


def error_for(
    status_code: int,
    body: Any,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> APIError:
    """The exception for an error response (``body`` is the parsed JSON, or text)."""
    code = message = None
    details = None
    if isinstance(body, dict):
        code = body.get("error_code")
        message = body.get("error") or body.get("message")
        details = body.get("details")
    elif isinstance(body, str) and body.strip():
        message = body.strip()[:500]
    cls = ERROR_CLASSES.get(str(code)) if code else None
    if cls is None:
        cls = _BY_STATUS.get(status_code, InternalServerError if status_code >= 500 else APIError)
    return cls(
        str(message or f"HTTP {status_code}"),
        status_code=status_code,
        error_code=str(code) if code else None,
        details=details,
        request_id=request_id,
        retry_after=retry_after,
    )
