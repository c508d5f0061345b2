"""The only code that moves a job between statuses.

queued → processing ⇄ retrying → completed | failed | cancelled. Every write goes through
``job_store.update_job``: conditional on the version read and on the job not being terminal
(``TERMINAL_STATUSES``), so a job that ended (cancelled, say) never changes again. The API,
the stages, the S3 upload trigger and the execution tracker all call these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from docjobs.adapters import job_store, ledger
from docjobs.adapters.job_store import JobAlreadyTerminalError, LinkedWriteRefused
from docjobs.core.errors import JobCancelledError, QuotaExceededError
from docjobs.core.models import JobCredits, JobRecord, ResultPointer, Stage
from docjobs.core.observability import emit_metric
from docjobs.core.values import credit_period, utc_now
from docjobs.jobtypes.registry import get_job_type


def _settle_credits(current: JobRecord, updated: JobRecord) -> list[dict[str, Any]]:
    """A job that ends settles its reservation in the same transaction: completing commits it,
    failing or cancelling releases it (failed and cancelled jobs cost nothing)."""
    credits = current.credits
    if credits is None or credits.state != "reserved" or not updated.is_terminal:
        return []
    if updated.status == "completed":
        updated.credits = credits.model_copy(update={"state": "committed"})
        return [ledger.commit_item(current.tenant_id, current.type, credits)]
    updated.credits = credits.model_copy(update={"state": "released"})
    return [ledger.release_item(current.tenant_id, current.type, credits)]


def _stage_write(tenant_id: str, job_id: str, change: Any) -> JobRecord:
    """A write made by a running stage: a terminal job stops the stage (``JobCancelledError``)."""
    try:
        return job_store.update_job(tenant_id, job_id, change, also=_settle_credits)
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


def complete_job(
    tenant_id: str, job_id: str, result: ResultPointer, warnings: list[str] | None = None
) -> JobRecord:
    """``completed`` with its result (and its ``warnings``, when given); ``JobCancelledError`` if
    the job ended meanwhile (the caller withdraws what it published).

    A completed job's ``stage`` is null, whatever its type: ``stage`` says what is running, or
    where a failed or cancelled job stopped; a completed job has neither."""

    def complete(job: JobRecord) -> JobRecord:
        job.status, job.progress, job.result, job.stage = "completed", 100, result, None
        if warnings is not None:
            job.warnings = warnings
        job.updated_at = job.completed_at = utc_now()
        return job

    job = _stage_write(tenant_id, job_id, complete)
    emit_metric("JobsCompleted", job_type=job.type)
    return job


def fail_job(tenant_id: str, job_id: str, message: str, error_code: str) -> str:
    """Mark the job failed unless it is already terminal; returns the job's final status."""

    def fail(job: JobRecord) -> JobRecord:
        job.status, job.error, job.error_code = "failed", message, error_code
        job.updated_at = job.completed_at = utc_now()
        return job

    try:
        job = job_store.update_job(tenant_id, job_id, fail, also=_settle_credits)
    except JobAlreadyTerminalError as exc:
        return exc.status
    emit_metric("JobsFailed", job_type=job.type, error_code=error_code)
    return job.status


def cancel_job_record(tenant_id: str, job_id: str) -> JobRecord:
    """Mark the job cancelled; raises ``JobAlreadyTerminalError`` if it has already ended."""

    def cancel(job: JobRecord) -> JobRecord:
        job.status = "cancelled"
        job.updated_at = job.completed_at = utc_now()
        return job

    return job_store.update_job(tenant_id, job_id, cancel, also=_settle_credits)


def reserve_credits(tenant_id: str, job_id: str, cost: int) -> JobRecord:
    """Reserve what the job costs, once its cost is known and before any paid engine runs.

    One transaction: the job records its reservation and the month's usage grows, on condition
    that the tenant's limit still holds it; otherwise ``QuotaExceededError`` (the job then fails
    QUOTA_EXCEEDED). A retried stage finds the reservation made and reserves nothing more.
    """
    limit = ledger.credit_limit(tenant_id)
    period = credit_period()

    def reserve(job: JobRecord) -> JobRecord | None:
        if job.credits is not None:
            return None  # reserved by an earlier attempt
        job.credits = JobCredits(cost=cost, period=period, state="reserved")
        job.updated_at = utc_now()
        return job

    def ledger_write(current: JobRecord, updated: JobRecord) -> list[dict[str, Any]]:
        assert updated.credits is not None
        return [ledger.reserve_item(tenant_id, current.type, updated.credits, limit)]

    try:
        return job_store.update_job(tenant_id, job_id, reserve, also=ledger_write)
    except JobAlreadyTerminalError as exc:
        raise JobCancelledError(f"job {job_id} is {exc.status}: stage stopped without writing") from exc
    except LinkedWriteRefused as exc:
        usage = ledger.usage(tenant_id, period)
        raise QuotaExceededError(
            f"this job costs {cost} credits but {max(0, usage.remaining or 0)} of the "
            f"{usage.limit} credits of {period} remain ({usage.used} used, {usage.reserved} reserved "
            "by running jobs)"
        ) from exc
