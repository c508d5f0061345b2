"""The workflow's tasks (statemachines/src/workflow.asl.json), one Lambda function, by ``action``:

- ``prepare``: the next step's child jobs (one, or one per segment / output document of the step
  it reads), each with an id chosen now so a retried start creates nothing twice;
- ``start``: submit one child through the same code as ``POST /api/jobs`` (metered, listable,
  cancellable, ``client_metadata.workflow_job_id`` and ``step``);
- ``check``: the child's status; the workflow shows the child's stage and the share of step
  work done (a Wait state sits between checks: no Lambda waits);
- ``finish``: the step's outcome; a failed child fails the workflow with its error_code
  (``on_error: fail``) or is recorded (``continue``);
- ``publish``: ``{steps, outputs}``.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from pydantic import BaseModel, Field

from docjobs.adapters import job_store, storage
from docjobs.adapters.storage import WorkFile
from docjobs.core.errors import DocjobsError, NotFoundError, error_class_for_code
from docjobs.core.models import JobRecord, Stage
from docjobs.core.observability import logger
from docjobs.core.values import new_id
from docjobs.domain import transitions
from docjobs.jobtypes.registry import get_job_type
from docjobs.jobtypes.workflow.options import WorkflowOptions, WorkflowStep
from docjobs.pipeline.results import PublishedResult, publish_result, write_json_result
from docjobs.pipeline.runner import StageInput, dispatch, stage

#: A child result larger than this is given by reference (its job id) in ``outputs``.
MAX_INLINE_CHILD_RESULT = 256 * 1024


def _work(job: JobRecord | tuple[str, str], name: str) -> str:
    tenant_id, job_id = (job.tenant_id, job.id) if isinstance(job, JobRecord) else job
    return storage.work_key(tenant_id, job_id, f"{WorkFile.WORKFLOW}{name}")


class ChildItem(BaseModel):
    """One child job a step runs."""

    child_job_id: str
    step_index: int
    item_index: int
    item_count: int
    label: str | None = Field(default=None, description="the segment or document it runs on")
    request: dict[str, Any]


class StepPlan(BaseModel):
    done: bool
    step_index: int
    items: list[ChildItem] = []
    skipped: bool = False


class ChildState(BaseModel):
    child_job_id: str
    status: str
    terminal: bool


class StepCursor(BaseModel):
    next_index: int


class PrepareInput(StageInput):
    action: Literal["prepare"]
    step: StepCursor


class StartInput(StageInput):
    action: Literal["start"]
    item: ChildItem


class CheckInput(StageInput):
    action: Literal["check"]
    item: ChildItem


class ChildIteration(BaseModel):
    """What each iteration of the ChildJobs Map ends with."""

    item: ChildItem
    child: ChildState


class FinishInput(StageInput):
    action: Literal["finish"]
    plan: StepPlan
    children: list[ChildIteration]


class PublishInput(StageInput):
    action: Literal["publish"]


# ---------------------------------------------------------------- step records


class StepRecord(BaseModel):
    id: str
    type: str
    status: Literal["completed", "failed", "skipped"]
    job_ids: list[str] = []
    error: str | None = None
    error_code: str | None = None


def _records(job: JobRecord, upto: int) -> list[StepRecord]:
    return [
        StepRecord.model_validate(storage.get_json(_work(job, f"step-{i:02d}.json"))) for i in range(upto)
    ]


def _child(tenant_id: str, job_id: str) -> JobRecord:
    return job_store.get_job(tenant_id, job_id)


def _child_result(child: JobRecord) -> dict[str, Any] | None:
    if child.status != "completed" or child.result is None:
        return None
    return dict(storage.get_json(child.result.key))


def _documents_of(child: JobRecord) -> list[tuple[str, str | None]]:
    """(document id, label) of each output document a completed child published, in order."""
    if child.status != "completed" or child.result is None:
        return []
    ids = list(child.result.summary.get("documents") or [])
    labels: dict[str, str] = {}
    if child.type == "split":
        result = _child_result(child) or {}
        labels = {
            s.get("document_id"): s.get("name") for s in result.get("segments", []) if s.get("document_id")
        }
    return [(document_id, labels.get(document_id)) for document_id in ids]


# ---------------------------------------------------------------- prepare


def _source_documents(
    job: JobRecord, steps: list[WorkflowStep], index: int
) -> list[tuple[dict[str, Any], str | None]]:
    """What step ``index`` runs on: a list of (source fields of the child request, label)."""
    step = steps[index]
    source = step.source()
    records = _records(job, index)
    by_id = {r.id: r for r in records}
    if source is None:
        if step.type == "generate":
            return [({}, None)]  # its template and data are its options: no document to pass
        if index > 0:
            previous = records[index - 1]
            documents = [d for cid in previous.job_ids for d in _documents_of(_child(job.tenant_id, cid))]
            if previous.status == "completed" and len(documents) == 1:
                return [({"document_id": documents[0][0]}, documents[0][1])]
        if job.document_id:
            return [({"document_id": job.document_id}, None)]
        if job.input_url:
            return [({"input": job.input_url}, None)]
        return [({}, None)]
    step_id, segments = source
    record = by_id[step_id]
    if record.status != "completed":
        return []
    children = [_child(job.tenant_id, cid) for cid in record.job_ids]
    if step.type == "generate":
        return [(_generate_data(children), None)]
    documents = [d for child in children for d in _documents_of(child)]
    if segments or len(documents) != 1:
        return [({"document_id": document_id}, label) for document_id, label in documents]
    return [({"document_id": documents[0][0]}, documents[0][1])]


def _generate_data(children: list[JobRecord]) -> dict[str, Any]:
    """A generate step reads a step's data: one child's ``result.data`` (by ``data_from_job``
    when it is an extract job), or ``{"items": [...]}`` over a fanned-out step."""
    if len(children) == 1 and children[0].type == "extract":
        return {"options": {"data_from_job": children[0].id}}
    items = []
    for child in children:
        result = _child_result(child) or {}
        items.append(result.get("data", result))
    return {"options": {"data": {"items": items}}}


@stage(None)
def prepare(task: PrepareInput, job: JobRecord) -> StepPlan:
    options = WorkflowOptions.model_validate(job.options)
    index = task.step.next_index
    if index >= len(options.steps):
        return StepPlan(done=True, step_index=index)
    step = options.steps[index]
    spec = get_job_type(step.type)
    first_stage = cast(Stage, next(iter(spec.stage_spans)))
    transitions.report_progress(job.tenant_id, job.id, first_stage, index / len(options.steps))
    sources = _source_documents(job, options.steps, index)
    if not sources:
        _save_record(
            job,
            index,
            StepRecord(
                id=step.id,
                type=step.type,
                status="skipped",
                error=f"the step it reads ({step.input}) did not complete",
            ),
        )
        return StepPlan(done=False, step_index=index, skipped=True)
    items = []
    for i, (fields, label) in enumerate(sources):
        step_options = dict(step.options)
        step_options.update(fields.pop("options", {}))
        request = {
            "type": step.type,
            **fields,
            "options": step_options,
            "metadata": {"workflow_job_id": job.id, "step": step.id, **({"segment": label} if label else {})},
        }
        items.append(
            ChildItem(
                child_job_id=new_id(),
                step_index=index,
                item_index=i,
                item_count=len(sources),
                label=label,
                request=request,
            )
        )
    return StepPlan(done=False, step_index=index, items=items)


# ---------------------------------------------------------------- start / check


def _refused_child(job: JobRecord, item: ChildItem, error: DocjobsError) -> ChildState:
    storage.put_json(
        _work(job, f"refused/{item.child_job_id}.json"),
        {"error": error.message, "error_code": error.error_code},
    )
    return ChildState(child_job_id=item.child_job_id, status="failed", terminal=True)


@stage(None)
def start(task: StartInput, job: JobRecord) -> ChildState:
    from docjobs.domain.submission import SubmitJobRequest, submit_job

    item = task.item
    storage.put_bytes(_work(job, f"children/{item.child_job_id}"), b"", "text/plain")  # for cancel
    try:
        request = SubmitJobRequest.model_validate(item.request)
        child = submit_job(job.tenant_id, request, job_id=item.child_job_id)
    except DocjobsError as exc:  # refused at submission (quota, a document that is gone, ...)
        return _refused_child(job, item, exc)
    return ChildState(child_job_id=child.id, status=child.status, terminal=child.is_terminal)


@stage(None)
def check(task: CheckInput, job: JobRecord) -> ChildState:
    try:
        child = _child(job.tenant_id, task.item.child_job_id)
    except NotFoundError:  # refused at submission: recorded by start
        return ChildState(child_job_id=task.item.child_job_id, status="failed", terminal=True)
    steps = len(WorkflowOptions.model_validate(job.options).steps)
    fraction = (task.item.step_index + child.progress / 100) / steps
    if child.stage is not None:
        transitions.report_progress(job.tenant_id, job.id, child.stage, fraction)
    return ChildState(child_job_id=child.id, status=child.status, terminal=child.is_terminal)


# ---------------------------------------------------------------- finish / publish


def _failure_of(job: JobRecord, child_job_id: str) -> tuple[str, str]:
    try:
        child = _child(job.tenant_id, child_job_id)
        return child.error or child.status, child.error_code or "INTERNAL_ERROR"
    except NotFoundError:
        refused = storage.get_json(_work(job, f"refused/{child_job_id}.json"))
        return str(refused["error"]), str(refused["error_code"])


def _save_record(job: JobRecord, index: int, record: StepRecord) -> None:
    storage.put_json(_work(job, f"step-{index:02d}.json"), record.model_dump(mode="json"))


@stage(None)
def finish(task: FinishInput, job: JobRecord) -> StepCursor:
    options = WorkflowOptions.model_validate(job.options)
    index = task.plan.step_index
    if task.plan.skipped:
        return StepCursor(next_index=index + 1)
    step = options.steps[index]
    job_ids = [c.child.child_job_id for c in task.children]
    failed = [c.child.child_job_id for c in task.children if c.child.status != "completed"]
    record = StepRecord(id=step.id, type=step.type, status="completed", job_ids=job_ids)
    if failed:
        error, code = _failure_of(job, failed[0])
        record.status, record.error_code = "failed", code
        record.error = f"step '{step.id}' failed: child job {failed[0]} ({step.type}): {error}"
        _save_record(job, index, record)
        if options.on_error == "fail":
            raise error_class_for_code(code)(record.error)
        logger.info("workflow step failed; continuing", extra={"job_id": job.id, "step": step.id})
    _save_record(job, index, record)
    return StepCursor(next_index=index + 1)


@stage(None)
def publish(task: PublishInput, job: JobRecord) -> PublishedResult:
    options = WorkflowOptions.model_validate(job.options)
    records = _records(job, len(options.steps))
    outputs: dict[str, Any] = {}
    credits = 0
    for record in records:
        results = []
        for child_id in record.job_ids:
            try:
                child = _child(job.tenant_id, child_id)
            except NotFoundError:
                results.append({"job_id": child_id, "status": "failed", "result": None})
                continue
            entry: dict[str, Any] = {"job_id": child_id, "status": child.status}
            if child.credits is not None and child.credits.state == "committed":
                credits += child.credits.cost
            if child.result is not None and child.result.size_bytes <= MAX_INLINE_CHILD_RESULT:
                entry["result"] = _child_result(child)
            else:
                entry["result"] = None
                entry["truncated"] = child.result is not None  # GET /api/jobs/{job_id} has it
            results.append(entry)
        outputs[record.id] = results[0] if len(results) == 1 else results
    result = {
        "steps": [r.model_dump(mode="json", exclude_none=True) for r in records],
        "outputs": outputs,
        "credits": credits,  # what the children cost (the workflow itself costs nothing)
    }
    summary = {"steps": len(records), "children": sum(len(r.job_ids) for r in records), "credits": credits}
    return publish_result(job, write_json_result(result), summary)


#: The workflow function's handler: the Task's constant ``action`` picks the work.
workflow = dispatch(
    "action", {"prepare": prepare, "start": start, "check": check, "finish": finish, "publish": publish}
)


def cancel_children(job: JobRecord) -> None:
    """A workflow that ended failed or cancelled leaves no child running."""
    from docjobs.adapters import aws_clients
    from docjobs.core.errors import ConflictError
    from docjobs.domain.jobs import cancel_job

    prefix = _work(job, "children/")
    paginator = aws_clients.s3().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=storage.bucket(), Prefix=prefix):
        for obj in page.get("Contents", []):
            child_id = obj["Key"].rsplit("/", 1)[-1]
            try:
                cancel_job(job.tenant_id, child_id)
            except (ConflictError, NotFoundError):
                pass  # ended already, or refused at submission
