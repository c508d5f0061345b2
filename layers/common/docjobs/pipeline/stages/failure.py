"""How a job ends ``failed``: from the state machine's Catch, or from the execution tracker."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from docjobs.adapters import capacity, job_store
from docjobs.adapters.job_store import JobAlreadyTerminalError
from docjobs.core.errors import error_code_for_error_type
from docjobs.core.observability import logger
from docjobs.domain.transitions import cancel_job_record, fail_job
from docjobs.pipeline.runner import task


def describe_failure(error: str, cause: str | None) -> tuple[str, str]:
    """(message, error_code) from a Step Functions error name and cause."""
    code = error_code_for_error_type(error)
    message = cause or error
    if cause:
        try:
            parsed = json.loads(cause)
        except (json.JSONDecodeError, TypeError):
            parsed = None
        if isinstance(parsed, dict) and parsed.get("errorMessage"):
            message = str(parsed["errorMessage"])
    if code == "TIMEOUT" and error.startswith("States."):
        message = (
            f"job exceeded its time limit ({error}): {message}" if cause else "job exceeded its time limit"
        )
    if code == "INTERNAL_ERROR" and not error.startswith("States."):
        message = f"{error}: {message}" if message != error else error
    return message[:2000], code


class RecordFailureInput(BaseModel):
    """What a state machine's Catch hands RecordFailure (``$.error.Error``/``Cause``)."""

    model_config = ConfigDict(extra="forbid")

    tenant_id: str
    job_id: str
    error: str | None = None
    cause: str | None = None


class RecordedFailure(BaseModel):
    status: str
    error_code: str


@task
def record_failure(failure: RecordFailureInput) -> RecordedFailure:
    message, code = describe_failure(failure.error or "States.TaskFailed", failure.cause)
    status = fail_job(failure.tenant_id, failure.job_id, message, code)
    _after_end(failure.tenant_id, failure.job_id)
    logger.info("job failed", extra={"job_id": failure.job_id, "error_code": code, "final_status": status})
    return RecordedFailure(status=status, error_code=code)


def reconcile_execution_end(detail: dict[str, Any]) -> dict[str, Any]:
    """EventBridge ``Step Functions Execution Status Change``: a stopped execution never leaves
    its job queued, processing or retrying."""
    status = detail.get("status")
    try:
        execution_input = json.loads(detail.get("input") or "{}")
    except json.JSONDecodeError:
        execution_input = {}
    tenant_id, job_id = execution_input.get("tenant_id"), execution_input.get("job_id") or detail.get("name")
    if not tenant_id or not job_id:
        logger.warning("execution event without a job", extra={"detail": detail})
        return {"action": "ignored"}
    capacity.release(job_id)  # the execution ended: a queued job may start (idempotent)
    if status == "TIMED_OUT":
        final = fail_job(tenant_id, job_id, "job exceeded its time limit (execution timed out)", "TIMEOUT")
    elif status == "ABORTED":
        try:
            final = cancel_job_record(tenant_id, job_id).status
        except JobAlreadyTerminalError as exc:
            final = exc.status
    elif status == "FAILED":
        message, code = describe_failure(str(detail.get("error") or "States.Runtime"), detail.get("cause"))
        final = fail_job(tenant_id, job_id, message, code)
    else:  # SUCCEEDED: the Finish stage completed the job, unless something went wrong
        final = fail_job(tenant_id, job_id, "the pipeline ended without completing the job", "INTERNAL_ERROR")
    _after_end(tenant_id, job_id)
    deliver_webhook(tenant_id, job_id)
    return {"action": "reconciled", "status": final}


def _after_end(tenant_id: str, job_id: str) -> None:
    """The job type's own clean-up once a job has ended (a workflow cancels its children)."""
    from docjobs.jobtypes.registry import job_types

    job = job_store.get_job(tenant_id, job_id)
    spec = job_types().get(job.type)
    if spec is not None and job.is_terminal:
        spec.run_after_end(job)


def deliver_webhook(tenant_id: str, job_id: str) -> None:
    """Notify the job's webhook that it ended (a no-op for jobs without one, or once delivered);
    the outcome is recorded on the job."""
    from docjobs.domain.webhooks import deliver_job_webhook

    job = job_store.get_job(tenant_id, job_id)
    if job.webhook is not None and job.webhook.delivered_at is not None:
        return  # a retried tracker invocation does not deliver twice
    deliver_job_webhook(job)
