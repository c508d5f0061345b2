"""Domain errors. Each class carries its spec error code and HTTP status.

The class name is also the Lambda ``errorType`` that Step Functions sees, so the
state machine's Retry/Catch match on these names (see statemachines/*.asl.json).
"""

from __future__ import annotations

from typing import ClassVar


class DocjobsError(Exception):
    """Base class: ``error_code`` is the spec's code, ``http_status`` its API status."""

    error_code: ClassVar[str] = "INTERNAL_ERROR"
    http_status: ClassVar[int] = 500

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class InputValidationError(DocjobsError):
    """The request or the document is not valid input (VALIDATION_ERROR, 400)."""

    error_code = "VALIDATION_ERROR"
    http_status = 400


class UnsupportedMediaTypeError(InputValidationError):
    """The request body is not JSON (415, VALIDATION_ERROR)."""

    http_status = 415


class UnauthorizedError(DocjobsError):
    error_code = "UNAUTHORIZED"
    http_status = 401


class NotFoundError(DocjobsError):
    error_code = "NOT_FOUND"
    http_status = 404


class ConflictError(DocjobsError):
    error_code = "CONFLICT"
    http_status = 409


class QuotaExceededError(DocjobsError):
    """The tenant's monthly credits do not cover the job (QUOTA_EXCEEDED; 429 at submission)."""

    error_code = "QUOTA_EXCEEDED"
    http_status = 429


class ParseError(DocjobsError):
    """The document could not be parsed (PARSE_ERROR): corrupt, encrypted, empty."""

    error_code = "PARSE_ERROR"
    http_status = 422


class OcrError(DocjobsError):
    """OCR failed or no OCR engine is available (OCR_ERROR)."""

    error_code = "OCR_ERROR"
    http_status = 422


class JobTimeoutError(DocjobsError):
    error_code = "TIMEOUT"
    http_status = 504


class TransientError(DocjobsError):
    """A failure worth retrying (throttling, 5xx from a dependency). The ASL retries it."""

    error_code = "INTERNAL_ERROR"
    http_status = 503


class ThrottledError(TransientError):
    """A dependency refused for rate (Textract, Pinecone, Bedrock throttling). The ASL retries it
    more often and further apart than other transient errors, with full jitter."""


class ConfigurationError(DocjobsError):
    """The deployment is misconfigured (a missing setting, a rejected key): retrying will not help."""

    error_code = "INTERNAL_ERROR"
    http_status = 500


class JobCancelledError(DocjobsError):
    """The job was cancelled (or is otherwise terminal): the stage stops without writing."""

    error_code = "CANCELLED"
    http_status = 409


#: The error codes a failed job can carry (the spec's list). API-only codes such as
#: NOT_FOUND or CONFLICT never describe a job: a stage that raises one failed internally.
JOB_ERROR_CODES = frozenset(
    {"TIMEOUT", "OCR_ERROR", "PARSE_ERROR", "VALIDATION_ERROR", "QUOTA_EXCEEDED", "INTERNAL_ERROR"}
)


def error_code_for_error_type(error_type: str) -> str:
    """Map a Lambda/Step Functions ``errorType`` to a job's error code.

    ``States.Timeout``, ``States.HeartbeatTimeout`` and a Lambda that ran out of its own
    timeout (``Sandbox.Timedout``) are TIMEOUT; our own classes map to their ``error_code``
    when it is a job error code; anything else is INTERNAL_ERROR.
    """
    if error_type in {"States.Timeout", "States.HeartbeatTimeout", "Sandbox.Timedout"}:
        return JobTimeoutError.error_code
    for cls in _all_subclasses(DocjobsError):
        if cls.__name__ == error_type and cls.error_code in JOB_ERROR_CODES:
            return cls.error_code
    return DocjobsError.error_code


def error_class_for_code(error_code: str) -> type[DocjobsError]:
    """The error class whose Lambda ``errorType`` maps back to ``error_code`` (a workflow fails
    with its child's code); INTERNAL_ERROR for anything else."""
    for cls in (InputValidationError, ParseError, OcrError, QuotaExceededError, JobTimeoutError):
        if cls.error_code == error_code:
            return cls
    return DocjobsError


def _all_subclasses(cls: type[DocjobsError]) -> list[type[DocjobsError]]:
    found: list[type[DocjobsError]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


# --------------------------------------------------------------------------- model engines
# Defined here (not in docjobs.engines.models) so every function that maps an errorType to a
# job's error code knows them without importing the engines.


class ModelThrottledError(TransientError):
    """A model service throttled us or was unavailable (429, 5xx, ThrottlingException...).

    The state machines retry it with long, jittered backoff; the job shows ``retrying``.
    """


class ModelTimeoutError(JobTimeoutError):
    """A model did not answer in time (read timeout, ModelTimeoutException): retried, then TIMEOUT."""


class ModelOutputInvalidError(InputValidationError):
    """A model's answer was not JSON or did not validate against the schema, even after one re-ask."""


class ModelConfigurationError(DocjobsError):
    """A model engine is misconfigured (unknown model id, credentials, permissions): never retried."""

    error_code = "INTERNAL_ERROR"
    http_status = 500
