"""The stage runner: what every Step Functions task of every job type does around its own work.

``@stage("chunking")`` turns ``def chunk(task: ChunkInput, job: JobRecord) -> ChunkOutput`` into a
Lambda handler that
1. validates the event against the function's typed input (pydantic, unknown fields refused),
2. counts a retried attempt (``retry_count`` is ``$$.State.RetryCount``) before any stage logic,
   so an attempt that fails early is still counted and the job shows ``retrying``,
3. begins the stage (the stage name is written once, here), which stops the task with
   ``JobCancelledError`` when the job has ended (cancelled) — the ASL then ends quietly,
4. returns the typed output as the JSON the state machine stores under the task's ResultPath.

``tests/unit/test_stage_contracts.py`` holds every Task's ``Parameters`` in every state machine
against the ``input_model`` of the function it calls.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar, get_type_hints

from pydantic import BaseModel, ConfigDict, Field

from docjobs.adapters import job_store
from docjobs.core.errors import JobCancelledError
from docjobs.core.models import JobRecord, Stage
from docjobs.core.observability import emit_metric, logger
from docjobs.domain import transitions


class StageInput(BaseModel):
    """What every stage task receives (each stage's input model extends it)."""

    model_config = ConfigDict(extra="forbid")

    tenant_id: str = Field(min_length=1)
    job_id: str = Field(min_length=1)
    retry_count: int = Field(default=0, ge=0, description="$$.State.RetryCount")


InT = TypeVar("InT", bound=StageInput)
OutT = TypeVar("OutT", bound=BaseModel)


class StageHandler(Protocol):
    input_model: type[StageInput]
    output_model: type[BaseModel]
    stage: Stage | None

    def __call__(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]: ...


def read_job(task: StageInput) -> JobRecord:
    """The job, or ``JobCancelledError`` when it has ended: a stage never works for an ended job."""
    job = job_store.get_job(task.tenant_id, task.job_id)
    if job.is_terminal:
        raise JobCancelledError(f"job {job.id} is {job.status}: stage stopped without writing")
    return job


def _models(fn: Callable[..., Any]) -> tuple[type[Any], type[BaseModel]]:
    hints = get_type_hints(fn)
    first = next(iter(inspect.signature(fn).parameters))
    return hints[first], hints["return"]


def task(fn: Callable[[Any], BaseModel]) -> StageHandler:
    """A typed task that is not a stage of the job (recording a failure): typed input and output,
    nothing written to the job by the runner."""
    input_model, output_model = _models(fn)

    @functools.wraps(fn)
    def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        task = input_model.model_validate(dict(event))
        if isinstance(task, StageInput):
            logger.append_keys(job_id=task.job_id, tenant_id=task.tenant_id)
        return fn(task).model_dump(mode="json")

    handler_any: Any = handler
    handler_any.input_model, handler_any.output_model, handler_any.stage = input_model, output_model, None
    return handler_any  # type: ignore[no-any-return]


def stage(name: Stage | None) -> Callable[[Callable[[InT, JobRecord], OutT]], StageHandler]:
    """Make a stage function a Lambda handler. ``name`` None: a step that runs no stage of its own
    (publishing the result), which keeps the stage the job shows."""

    def decorate(fn: Callable[[InT, JobRecord], OutT]) -> StageHandler:
        input_model, output_model = _models(fn)

        @functools.wraps(fn)
        def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
            task = input_model.model_validate(dict(event))
            logger.append_keys(job_id=task.job_id, tenant_id=task.tenant_id)  # on every log line
            started = time.monotonic()
            if task.retry_count > 0:
                transitions.record_retry(task.tenant_id, task.job_id, name)
            if name is None:
                job = read_job(task)
            else:
                job = transitions.begin_stage(
                    task.tenant_id, task.job_id, name, retrying=task.retry_count > 0
                )
            output = handler_any.work(task, job).model_dump(mode="json")
            emit_metric(
                "StageDuration",
                (time.monotonic() - started) * 1000,
                "Milliseconds",
                stage=name or fn.__name__,
                job_type=job.type,
            )
            return output  # type: ignore[no-any-return]

        handler_any: Any = handler
        handler_any.input_model, handler_any.output_model, handler_any.stage = input_model, output_model, name
        handler_any.work = fn  # the stage's own work (tests replace it to inject faults)
        return handler_any  # type: ignore[no-any-return]

    return decorate


def dispatch(field: str, handlers: Mapping[str, StageHandler]) -> Callable[..., dict[str, Any]]:
    """One Lambda function serving several task kinds, chosen by the constant ``field`` in the
    Task's Parameters (the OCR function: ``action`` = batch, textract_start, textract_poll)."""

    def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        kind = str(event.get(field))
        if kind not in handlers:
            raise ValueError(f"{field} must be one of {sorted(handlers)}, not {kind!r}")
        return handlers[kind](event, context)

    handler_any: Any = handler
    handler_any.dispatch_field, handler_any.handlers = field, dict(handlers)
    return handler_any  # type: ignore[no-any-return]
