"""How a job ends when nothing completes it: failed, or cancelled (conditional writes only)."""

from __future__ import annotations

from docjobs.adapters import job_store
from docjobs.adapters.job_store import JobAlreadyTerminalError
from docjobs.core.models import JobRecord, utc_now


def fail_job(tenant_id: str, job_id: str, message: str, error_code: str) -> str:
    """Mark the job failed unless it is already terminal; returns the job's final status."""

    def fail(job: JobRecord) -> JobRecord:
        job.status, job.error, job.error_code = "failed", message, error_code
        job.updated_at = job.completed_at = utc_now()
        return job

    try:
        return job_store.update_job(tenant_id, job_id, fail).status
    except JobAlreadyTerminalError as exc:
        return exc.status


def cancel_job_record(tenant_id: str, job_id: str) -> JobRecord:
    """Mark the job cancelled; raises ``JobAlreadyTerminalError`` if it has already ended."""

    def cancel(job: JobRecord) -> JobRecord:
        job.status = "cancelled"
        job.updated_at = job.completed_at = utc_now()
        return job

    return job_store.update_job(tenant_id, job_id, cancel)
