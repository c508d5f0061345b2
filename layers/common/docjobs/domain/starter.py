"""Start queued jobs from the intake queue as capacity allows (``JobStarterFunction``).

Each message names one job. A job no longer ``queued`` (cancelled, failed) is dropped. Otherwise
the starter takes a capacity slot and starts the job's execution (named after the job id, so a
redelivered message is a no-op). Without a free slot, or when Step Functions throttles, the
message goes back to the queue with a jittered delay and the job stays ``queued``; nothing is
failed for lack of capacity. A start refused for another reason fails the job.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from botocore.exceptions import ClientError

from docjobs.adapters import capacity, executions, intake, job_store
from docjobs.core.errors import DocjobsError, NotFoundError, TransientError
from docjobs.core.models import JobRecord
from docjobs.core.observability import logger
from docjobs.core.settings import get_settings
from docjobs.domain.transitions import fail_job
from docjobs.jobtypes.registry import get_job_type

#: StartExecution errors worth retrying (throttling, service faults): the job stays queued.
RETRYABLE_START_ERRORS = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceUnavailable",
        "InternalServerError",
        "InternalFailure",
    }
)
#: Longest wait before a job waiting for capacity is looked at again (full jitter below it).
MAX_WAIT_SECONDS = 120
TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})


class NoCapacity(TransientError):
    """Every slot is taken: the job waits, queued."""


def execution_input(job: JobRecord) -> dict[str, Any]:
    """What the state machine receives: ids, limits and flags only, never document content."""
    settings = get_settings()
    payload: dict[str, Any] = {
        "tenant_id": job.tenant_id,
        "job_id": job.id,
        "job_type": job.type,
        "limits": {
            "stage_timeout_seconds": settings.stage_timeout_seconds,
            "poll_seconds": settings.child_poll_seconds,
        },
    }
    flags = get_job_type(job.type).execution_flags
    if flags is not None:
        payload["flags"] = dict(flags(job))
    return payload


def start_queued_job(body: dict[str, Any], receive_count: int = 1, receipt_handle: str | None = None) -> str:
    """Start the job a message names; returns what happened. Raises to leave the message queued."""
    tenant_id, job_id = body["tenant_id"], body["job_id"]
    try:
        job = job_store.get_job(tenant_id, job_id)
    except NotFoundError:
        logger.warning("intake message for a job that does not exist", extra={"job_id": job_id})
        return "missing"
    if job.status != "queued":
        if job.status in TERMINAL_STATUSES:
            # Ended (e.g. cancelled) between taking a slot and starting: give it back (idempotent;
            # a running job's slot is the tracker's to give back when its execution ends).
            capacity.release(job_id)
        return f"skipped: {job.status}"
    spec = get_job_type(job.type)
    if spec.uses_capacity and not capacity.acquire(job_id, tenant_id=tenant_id):
        if not reclaim_leaked_slots() or not capacity.acquire(job_id, tenant_id=tenant_id):
            _wait(receipt_handle, receive_count)
            raise NoCapacity(f"no capacity for job {job_id}: it stays queued")
    try:
        executions.start_execution(spec.state_machine_arn(), job.id, execution_input(job))
    except executions.ExecutionAlreadyExists:
        return "already started"
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        capacity.release(job_id)
        if code in RETRYABLE_START_ERRORS:
            _wait(receipt_handle, receive_count)
            raise TransientError(f"could not start job {job_id} yet ({code}): it stays queued") from exc
        logger.exception("could not start the execution", extra={"job_id": job_id, "error_code": code})
        try:
            fail_job(tenant_id, job_id, f"could not start processing: {exc}", "INTERNAL_ERROR")
        except DocjobsError:
            logger.exception("could not mark the unstarted job failed", extra={"job_id": job_id})
        return "failed"
    logger.info("job started", extra={"job_id": job_id, "tenant_id": tenant_id})
    return "started"


#: A slot older than this whose job has ended was never given back (the execution tracker failed
#: past its retries): the starter reclaims it when capacity is full.
LEAKED_SLOT_AGE_SECONDS = 900
#: How often one starter container looks for leaked slots (only when capacity is full).
SWEEP_EVERY_SECONDS = 300
_last_sweep = 0.0


def reclaim_leaked_slots() -> int:
    """Give back the slots of jobs that ended without their slot being released; how many.
    Capacity is full when this runs, so a leak would otherwise keep jobs queued until someone
    redrives the tracker's failure queue."""
    global _last_sweep
    now = time.monotonic()
    if _last_sweep and now - _last_sweep < SWEEP_EVERY_SECONDS:
        return 0
    _last_sweep = now
    reclaimed = 0
    try:
        held = capacity.held_slots(LEAKED_SLOT_AGE_SECONDS)
    except ClientError:
        logger.exception("could not look for leaked slots; the job waits as usual")
        return 0
    for job_id, tenant_id in held:
        if tenant_id is None:
            continue  # a slot from before slots named their tenant: the tracker's to give back
        try:
            ended = job_store.get_job(tenant_id, job_id).status in TERMINAL_STATUSES
        except NotFoundError:
            ended = True  # the job expired (TTL) while its slot was held
        if ended and capacity.release(job_id):
            reclaimed += 1
            logger.warning("reclaimed the slot of an ended job", extra={"job_id": job_id})
    return reclaimed


def _wait(receipt_handle: str | None, receive_count: int) -> None:
    """Back off with full jitter, growing with the message's receive count."""
    if receipt_handle is None:
        return
    ceiling = min(MAX_WAIT_SECONDS, 2 ** min(receive_count, 7))
    try:
        intake.delay(receipt_handle, max(1, int(random.uniform(0, ceiling))))  # noqa: S311 - jitter
    except ClientError:
        logger.warning("could not delay the intake message; the queue's visibility timeout applies")


def parse_body(raw: str) -> dict[str, Any]:
    body = json.loads(raw)
    if not isinstance(body, dict) or "tenant_id" not in body or "job_id" not in body:
        raise ValueError(f"not an intake message: {raw[:200]}")
    return body
