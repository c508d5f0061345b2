"""The only code that moves a job between statuses.

queued → processing ⇄ retrying → completed | failed | cancelled. Every write goes through
``job_store.update_job``: conditional on the version read and on the job not being terminal
(``TERMINAL_STATUSES``), so a job that ended (cancelled, say) never changes again. The API,
the stages, the S3 upload trigger and the execution tracker all call these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from docjobs.adapters import job_store
from docjobs.adapters.job_store import JobAlreadyTerminalError
from docjobs.core.errors import JobCancelledError
from docjobs.core.models import JobRecord, ResultPointer, Stage, utc_now
from docjobs.jobtypes.registry import get_job_type


def _stage_write(tenant_id: str, job_id: str, change: Any) -> JobRecord:
    """A write made by a running stage: a terminal job stops the stage (``JobCancelledError``)."""
    try:
        return job_store.update_job(tenant_id, job_id, change)
    except JobAlreadyTerminalError as exc:
        raise JobCancelledError(f"job {job_id} is {exc.status}: stage stopped without writing") from exc


def record_retry(tenant_id: str, job_id: str, stage: Stage | None) -> JobRecord:
    """A retried attempt (``$$.State.RetryCount`` > 0): count it and show the job ``retrying``.

    ``stage`` None keeps the stage shown."""

    def change(job: JobRecord) -> JobRecord:
        if stage is not None:
            job.stage = stage
        job.status = "retrying"
        job.retry_count += 1
        job.updated_at = utc_now()
        return job

    return _stage_write(tenant_id, job_id, change)


def begin_stage(tenant_id: str, job_id: str, stage: Stage, *, retrying: bool) -> JobRecord:
    """``stage`` is running: ``processing`` (``retrying`` on a retried attempt), progress at the
    stage's start (never backwards)."""

    def change(job: JobRecord) -> JobRecord:
        job.stage = stage
        job.status = "retrying" if retrying else "processing"
        job.progress = max(job.progress, get_job_type(job.type).progress_at(stage, 0.0))
        job.updated_at = utc_now()
        return job

    return _stage_write(tenant_id, job_id, change)


def report_progress(
    tenant_id: str, job_id: str, stage: Stage, fraction: float, fields: Mapping[str, Any] | None = None
) -> JobRecord:
    """Progress within ``stage`` (never backwards); a retried stage is ``processing`` again once it
    makes progress. ``fields`` are other job attributes the stage learned (metadata, document id)."""

    def change(job: JobRecord) -> JobRecord | None:
        target = get_job_type(job.type).progress_at(stage, fraction)
        if job.progress >= target and job.status == "processing" and not fields:
            return None
        job.status = "processing"
        job.stage = stage
        job.progress = max(job.progress, target)
        for name, value in (fields or {}).items():
            setattr(job, name, value)
        job.updated_at = utc_now()
        return job

    return _stage_write(tenant_id, job_id, change)


def complete_job(tenant_id: str, job_id: str, result: ResultPointer) -> JobRecord:
    """``completed`` with its result; ``JobCancelledError`` if the job ended meanwhile (the caller
    withdraws what it published)."""

    def complete(job: JobRecord) -> JobRecord:
        job.status, job.progress, job.result = "completed", 100, result
        job.updated_at = job.completed_at = utc_now()
        return job

    return _stage_write(tenant_id, job_id, complete)


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
