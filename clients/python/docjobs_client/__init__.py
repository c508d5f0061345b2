"""Python SDK of the docjobs Jobs API: ``Client`` (sync) and ``AsyncClient`` (asyncio).

from docjobs_client import Client
with Client() as dj:                     # DOCJOBS_API_URL, DOCJOBS_API_KEY
    job = dj.submit("parse", path="report.pdf")
    job = dj.wait(job, on_progress=lambda j: print(j.stage, j.progress))
    chunks = dj.result(job)["chunks"]
"""

from __future__ import annotations

__version__ = "0.1.0"

from docjobs_client._core import RetryPolicy
from docjobs_client.aio import AsyncClient
from docjobs_client.client import Client
from docjobs_client.errors import (
    APIError,
    ConfigurationError,
    ConflictError,
    ConnectionFailed,
    DocjobsError,
    InternalServerError,
    JobFailedError,
    JobNotFinishedError,
    NotFoundError,
    QuotaExceededError,
    UnauthorizedError,
    ValidationError,
    WaitTimeout,
)
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

__all__ = [
    "APIError",
    "AsyncClient",
    "CancelResult",
    "Client",
    "ConfigurationError",
    "ConflictError",
    "ConnectionFailed",
    "DocjobsError",
    "Document",
    "InternalServerError",
    "Job",
    "JobFailedError",
    "JobNotFinishedError",
    "JobPage",
    "JobSummary",
    "NotFoundError",
    "QuotaExceededError",
    "RetryPolicy",
    "SubmittedJob",
    "UnauthorizedError",
    "UploadTarget",
    "Usage",
    "ValidationError",
    "WaitTimeout",
]
