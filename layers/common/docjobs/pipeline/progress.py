"""How a stage tells the job record the truth: stage, status, progress, retries.

Every write goes through ``job_store.update_job``: conditional on the job not being
terminal. A stage that finds its job terminal (cancelled) raises ``JobCancelledError``
without writing, and the state machine ends quietly (``JobCancelled``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from docjobs.adapters import job_store
from docjobs.adapters.job_store import JobAlreadyTerminalError
from docjobs.core.errors import JobCancelledError
from docjobs.core.models import JobRecord, Stage, utc_now

#: Where each stage's progress starts and ends (0-100), in pipeline order.
STAGE_SPANS: dict[str, tuple[int, int]] = {
    "uploading": (0, 5),
    "parsing": (5, 40),
    "ocr": (40, 60),
    "chunking": (60, 85),
    "vectorizing": (85, 97),
}


class StageInput(BaseModel):
    """What every stage task receives (see statemachines/job.asl.json)."""

    model_config = ConfigDict(extra="allow")

    tenant_id: str = Field(min_length=1)
    job_id: str = Field(min_length=1)
    retry_count: int = Field(default=0, ge=0)


def progress_at(stage: Stage, fraction: float) -> int:
    start, end = STAGE_SPANS[stage]
    return start + round((end - start) * min(1.0, max(0.0, fraction)))


def _write(tenant_id: str, job_id: str, change: Callable[[JobRecord], JobRecord | None]) -> JobRecord:
    try:
        return job_store.update_job(tenant_id, job_id, change)
    except JobAlreadyTerminalError as exc:
        raise JobCancelledError(f"job {job_id} is {exc.status}: stage stopped without writing") from exc


def record_retry(stage_input: StageInput, stage: Stage | None) -> JobRecord | None:
    """Count a retried attempt (``$$.State.RetryCount`` > 0) and show the job ``retrying``.

    Every stage handler calls this first, before any stage logic, so an attempt that fails
    early (before ``begin_stage``) is still counted: ``retry_count`` is the number of retries
    the state machine made. A first attempt writes nothing. ``stage`` None keeps the stage.
    """
    if stage_input.retry_count <= 0:
        return None

    def change(job: JobRecord) -> JobRecord:
        if stage is not None:
            job.stage = stage
        job.status = "retrying"
        job.retry_count += 1
        job.updated_at = utc_now()
        return job

    return _write(stage_input.tenant_id, stage_input.job_id, change)


def begin_stage(stage_input: StageInput, stage: Stage) -> JobRecord:
    """Mark ``stage`` as running (``retrying`` on a retry; ``record_retry`` counted it)."""

    def change(job: JobRecord) -> JobRecord:
        job.stage = stage
        job.status = "retrying" if stage_input.retry_count > 0 else "processing"
        job.progress = max(job.progress, progress_at(stage, 0.0))
        job.updated_at = utc_now()
        return job

    return _write(stage_input.tenant_id, stage_input.job_id, change)


def report_progress(stage_input: StageInput, stage: Stage, fraction: float, **fields: object) -> JobRecord:
    """Progress within ``stage`` (never backwards); a retried stage is ``processing`` again."""
    target = progress_at(stage, fraction)

    def change(job: JobRecord) -> JobRecord | None:
        if job.progress >= target and job.status == "processing" and not fields:
            return None
        job.status = "processing"
        job.stage = stage
        job.progress = max(job.progress, target)
        for name, value in fields.items():
            setattr(job, name, value)
        job.updated_at = utc_now()
        return job

    return _write(stage_input.tenant_id, stage_input.job_id, change)


class ThrottledProgress:
    """Progress within a long stage, written at most once per ``min_interval`` seconds.

    Clients poll every couple of seconds; writing more often only costs DynamoDB writes.
    """

    def __init__(self, stage_input: StageInput, stage: Stage, min_interval: float = 2.0) -> None:
        self.stage_input, self.stage, self.min_interval = stage_input, stage, min_interval
        self._last = time.monotonic()

    def update(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last >= self.min_interval:
            report_progress(self.stage_input, self.stage, fraction)
            self._last = now


def read_job(stage_input: StageInput) -> JobRecord:
    job = job_store.get_job(stage_input.tenant_id, stage_input.job_id)
    if job.is_terminal:
        raise JobCancelledError(f"job {job.id} is {job.status}: stage stopped without writing")
    return job
