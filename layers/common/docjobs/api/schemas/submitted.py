"""The ``POST /api/jobs`` answer: the job as ``GET`` shows it, plus its webhook secret."""

from __future__ import annotations

from pydantic import Field

from docjobs.api.schemas.jobs import JobDetail
from docjobs.api.views import job_detail
from docjobs.core.models import JobRecord


class SubmittedJob(JobDetail):
    """The ``POST /api/jobs`` answer: the job, plus its webhook signing secret (shown only here)."""

    webhook_secret: str | None = Field(
        default=None,
        description="HMAC-SHA256 key of this job's webhook signatures (X-Docjobs-Signature); shown once",
    )


def submitted_job(job: JobRecord) -> SubmittedJob:
    """The job as ``POST /api/jobs`` answers it: with its webhook secret, the only time it is shown."""
    return SubmittedJob.model_validate({**job_detail(job).model_dump(), "webhook_secret": job.webhook_secret})
