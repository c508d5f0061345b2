"""Fault injection through the real ASL: retries, task timeouts, the execution tracker, cancel.

Stage code runs in this process (docjobs_local), so a test monkeypatches a stage function or
blocks it on a ``threading.Event`` while the state machine waits on the task.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from docjobs.adapters import job_store
from docjobs.core.errors import TransientError
from docjobs.core.models import JobRecord
from docjobs.core.values import new_id, utc_now
from docjobs.jobtypes.parse import chunk, finish, vectorize
from docjobs.pipeline.stages import parse
from tests import sample_documents as samples
from tests.integration.conftest import (
    STATE_MACHINE,
    Gate,
    Pipeline,
    StatusSpy,
    Submitted,
    block_after_stage_begins,
)


def _failed_attempts(pipeline: Pipeline, submitted: Submitted) -> list[str]:
    return [
        event["lambdaFunctionFailedEventDetails"]["error"]
        for event in pipeline.stack.execution_history(submitted.execution_arn)
        if event["type"] == "LambdaFunctionFailed"
    ]


# --------------------------------------------------------------------------- retries


def test_transient_error_twice_is_retried_and_the_job_completes_with_retry_count_2(
    pipeline: Pipeline, status_spy: StatusSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_run = parse.parse_document.work
    attempts: list[int] = []

    def flaky(task: Any, job: Any) -> Any:
        attempts.append(task.retry_count)
        if len(attempts) <= 2:
            raise TransientError("the store answered 503")
        return real_run(task, job)

    monkeypatch.setattr(parse.parse_document, "work", flaky)
    submitted = pipeline.submit(samples.multi_page_pdf(2))
    job = pipeline.wait(submitted)

    assert job["status"] == "completed", job
    assert job["retry_count"] == 2
    assert attempts == [0, 1, 2]  # $$.State.RetryCount reaches the stage
    assert _failed_attempts(pipeline, submitted) == ["TransientError", "TransientError"]
    statuses = status_spy.statuses(submitted.job_id)
    assert "retrying" in statuses
    assert statuses.index("retrying") < statuses.index("completed")
    assert statuses[-1] == "completed"


def test_transient_error_every_time_fails_the_job_after_three_retries(
    pipeline: Pipeline, status_spy: StatusSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    def always(task: Any, job: Any) -> Any:
        raise TransientError("the store answered 503 again")

    monkeypatch.setattr(chunk.chunk, "work", always)
    submitted = pipeline.submit(samples.multi_page_pdf(1))
    job = pipeline.wait(submitted)

    assert job["status"] == "failed", job
    assert job["error_code"] == "INTERNAL_ERROR"
    assert "the store answered 503 again" in job["error"]
    assert job["retry_count"] == 3
    assert job["stage"] == "chunking"
    assert _failed_attempts(pipeline, submitted) == ["TransientError"] * 4
    assert "retrying" in status_spy.statuses(submitted.job_id)
    assert pipeline.states_entered(submitted)[-2:] == ["RecordFailure", "JobFailed"]
    assert pipeline.result_keys(submitted.job_id) == []


# --------------------------------------------------------------------------- timeouts


def test_stage_exceeding_its_task_timeout_fails_the_job_with_timeout(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline.configure(STAGE_TIMEOUT_SECONDS="1")  # becomes limits.stage_timeout_seconds
    real_run = parse.parse_document.work
    finished = threading.Event()

    def slow(task: Any, job: Any) -> Any:
        try:
            time.sleep(2.5)
            return real_run(task, job)
        finally:
            finished.set()

    monkeypatch.setattr(parse.parse_document, "work", slow)
    submitted = pipeline.submit(samples.multi_page_pdf(1))
    job = pipeline.wait(submitted)

    started = pipeline.stack.execution_history(submitted.execution_arn)[0]
    assert (
        json.loads(started["executionStartedEventDetails"]["input"])["limits"]["stage_timeout_seconds"] == 1
    )
    assert job["status"] == "failed", job
    assert job["error_code"] == "TIMEOUT"
    assert "time limit" in job["error"]
    history = json.dumps(pipeline.stack.execution_history(submitted.execution_arn), default=str)
    assert "States.Timeout" in history
    assert pipeline.states_entered(submitted)[-2:] == ["RecordFailure", "JobFailed"]

    # the abandoned invocation goes on running, but can no longer change the failed job
    assert finished.wait(10)
    after = pipeline.get(submitted.job_id)
    assert after["status"] == "failed" and after["updated_at"] == job["updated_at"]
    assert after["progress"] == job["progress"]


# --------------------------------------------------------------------------- execution tracker


def _seed_processing_job(pipeline: Pipeline) -> JobRecord:
    now = utc_now()
    job = JobRecord(
        id=new_id(),
        tenant_id=pipeline.tenant,
        type="parse",
        status="processing",
        progress=40,
        stage="parsing",
        created_at=now,
        updated_at=now,
        expires_at=int((now + timedelta(days=1)).timestamp()),
    )
    job_store.create_job(job)
    return job


def _publish_execution_end(pipeline: Pipeline, job: JobRecord, status: str, **extra: Any) -> None:
    """The event AWS puts on the default bus when an execution ends, via the template's rule."""
    arn = pipeline.execution_arn(job.id)
    detail = {
        "executionArn": arn,
        "stateMachineArn": pipeline.stack.state_machine_arn(STATE_MACHINE),
        "name": job.id,
        "status": status,
        "input": json.dumps({"tenant_id": job.tenant_id, "job_id": job.id, "job_type": "parse"}),
        **extra,
    }
    response = pipeline.stack.client("events").put_events(
        Entries=[
            {
                "Source": "aws.states",
                "DetailType": "Step Functions Execution Status Change",
                "Detail": json.dumps(detail),
                "Resources": [arn],
            }
        ]
    )
    assert response["FailedEntryCount"] == 0
    pipeline.stack.wait_idle()


def test_tracker_fails_a_processing_job_whose_execution_timed_out(pipeline: Pipeline) -> None:
    job = _seed_processing_job(pipeline)
    _publish_execution_end(pipeline, job, "TIMED_OUT")
    record = pipeline.get(job.id)
    assert record["status"] == "failed"
    assert record["error_code"] == "TIMEOUT"
    assert "time limit" in record["error"]


def test_tracker_fails_a_job_whose_execution_failed_outside_any_task(pipeline: Pipeline) -> None:
    job = _seed_processing_job(pipeline)
    _publish_execution_end(
        pipeline, job, "FAILED", error="States.Runtime", cause="An error occurred while executing the state"
    )
    record = pipeline.get(job.id)
    assert record["status"] == "failed"
    assert record["error_code"] == "INTERNAL_ERROR"
    assert "An error occurred while executing the state" in record["error"]


def test_tracker_fails_a_job_left_unfinished_by_a_succeeded_execution(pipeline: Pipeline) -> None:
    job = _seed_processing_job(pipeline)
    _publish_execution_end(pipeline, job, "SUCCEEDED")
    record = pipeline.get(job.id)
    assert record["status"] == "failed"
    assert record["error_code"] == "INTERNAL_ERROR"
    assert "without completing" in record["error"]


def test_tracker_leaves_a_completed_job_alone(pipeline: Pipeline) -> None:
    submitted = pipeline.submit(samples.multi_page_pdf(1))
    done = pipeline.wait(submitted)
    assert done["status"] == "completed"
    for status in ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"):
        _publish_execution_end(pipeline, pipeline.record(submitted.job_id), status)
    again = pipeline.get(submitted.job_id)
    assert again["status"] == "completed" and again["updated_at"] == done["updated_at"]


def test_execution_stopped_outside_any_task_leaves_the_job_cancelled_not_processing(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped while in TextractWait (a Wait state: no task runs): only the tracker can end the job."""
    from moto.textract.models import TextractBackend

    monkeypatch.setattr(TextractBackend, "JOB_STATUS", "IN_PROGRESS")
    pipeline.configure(OCR_ENGINE="textract", TEXTRACT_POLL_SECONDS="20")
    submitted = pipeline.submit(samples.mixed_pdf(), "scan.pdf")
    pipeline.wait_for_state(submitted, "TextractWait")
    assert pipeline.record(submitted.job_id).status == "processing"

    pipeline.stack.client("stepfunctions").stop_execution(
        executionArn=submitted.execution_arn, error="Operator", cause="stopped by an operator"
    )
    started = time.monotonic()
    job = pipeline.wait(submitted, timeout=30)
    assert pipeline.execution_status(submitted) == "ABORTED"
    assert time.monotonic() - started < 15, "the Wait state should not run to its end"
    assert job["status"] == "cancelled"
    assert job["completed_at"] is not None
    assert "TextractPoll" not in pipeline.states_entered(submitted)


# --------------------------------------------------------------------------- cancel during each stage


def _block_after(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, gate: Gate) -> None:
    real = getattr(module, name)

    def blocked(*args: Any, **kwargs: Any) -> Any:
        value = real(*args, **kwargs)
        gate.block()
        return value

    monkeypatch.setattr(module, name, blocked)


CANCEL_POINTS = {
    # stage: (module, function to block after (None: the stage's begin), document, options)
    "uploading": (None, None, "text", {}),
    "parsing": (None, None, "text", {}),
    "ocr": (None, None, "mixed", {}),
    "chunking": (None, None, "text", {}),
    "vectorizing": (None, None, "text", {"vectorize": True}),
    # Finish has written the result object and is about to complete the job.
    "finish": (finish, "write_result", "text", {}),
}


@pytest.mark.parametrize("stage", list(CANCEL_POINTS))
def test_cancel_during_a_stage_stops_everything(
    pipeline: Pipeline,
    status_spy: StatusSpy,
    gate: Gate,
    monkeypatch: pytest.MonkeyPatch,
    fake_pinecone: Any,
    stage: str,
) -> None:
    module, function, document, options = CANCEL_POINTS[stage]
    if options.get("vectorize"):
        pipeline.use_pinecone(fake_pinecone)
    if module is None:
        block_after_stage_begins(monkeypatch, stage, gate)
    else:
        _block_after(monkeypatch, module, function, gate)
    data = samples.mixed_pdf() if document == "mixed" else samples.multi_page_pdf(2)
    submitted = pipeline.submit(data, **options)
    try:
        gate.wait_entered()
        before = pipeline.record(submitted.job_id)
        assert before.status == "processing"
        if stage != "finish":
            assert before.stage == stage

        status, body = pipeline.api("DELETE", f"/api/jobs/{submitted.job_id}")
        assert status == 200, body
        assert body == {"success": True, "job_id": submitted.job_id, "status": "cancelled"}
        cancelled = pipeline.get(submitted.job_id)
        assert cancelled["status"] == "cancelled"
    finally:
        gate.release.set()

    pipeline.stack.wait_for_execution(submitted.execution_arn, timeout=30)
    final = pipeline.get(submitted.job_id)
    assert final["status"] == "cancelled"
    assert final["updated_at"] == cancelled["updated_at"]
    assert final["progress"] == cancelled["progress"]
    assert final["result"] is None
    assert pipeline.result_keys(submitted.job_id) == []
    statuses = status_spy.statuses(submitted.job_id)
    assert statuses[-1] == "cancelled" and statuses.count("cancelled") == 1, statuses
    # The execution was stopped: no state after the cancelled one ran. moto 5.2.1 ends a
    # stopped execution when its running task returns, as FAILED with the task's
    # JobCancelledError, where AWS reports ABORTED at once.
    description = pipeline.stack.client("stepfunctions").describe_execution(
        executionArn=submitted.execution_arn
    )
    assert description["status"] in ("ABORTED", "FAILED")
    if description["status"] == "FAILED":
        assert description["error"] == "JobCancelledError"
    states = pipeline.states_entered(submitted)
    assert not {"RecordFailure", "JobFailed", "JobSucceeded"} & set(states), states
    if stage == "vectorizing":
        assert fake_pinecone.vectors.get(pipeline.tenant) is None


def test_cancel_whose_stop_execution_is_lost_ends_quietly_in_job_cancelled(
    pipeline: Pipeline, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If StopExecution fails (the API logs it and still answers 200), the next stage write finds
    the job cancelled, raises JobCancelledError and the ASL ends in JobCancelled."""
    from docjobs.adapters import executions

    monkeypatch.setattr(executions, "stop_execution", lambda execution_arn, cause: None)
    block_after_stage_begins(monkeypatch, "parsing", gate)
    submitted = pipeline.submit(samples.multi_page_pdf(2))
    try:
        gate.wait_entered()
        status, _ = pipeline.api("DELETE", f"/api/jobs/{submitted.job_id}")
        assert status == 200
        cancelled = pipeline.get(submitted.job_id)
    finally:
        gate.release.set()

    final = pipeline.wait(submitted)
    assert pipeline.execution_status(submitted) == "SUCCEEDED"
    states = pipeline.states_entered(submitted)
    assert states[-1] == "JobCancelled", states
    assert "Chunk" not in states
    assert final["status"] == "cancelled" and final["updated_at"] == cancelled["updated_at"]
    assert pipeline.result_keys(submitted.job_id) == []


def test_cancel_after_some_vectors_were_upserted_withdraws_them(
    pipeline: Pipeline, gate: Gate, monkeypatch: pytest.MonkeyPatch, fake_pinecone: Any
) -> None:
    """Small batches (10 per embed and per upsert) so the first vectors reach the index before
    the cancel; the stage then deletes every id it handed out, and the index is left clean."""
    from docjobs.engines import vectorizing

    pipeline.use_pinecone(fake_pinecone)
    real_from_env = vectorizing.VectorizeSettings.from_env
    monkeypatch.setattr(
        vectorizing.VectorizeSettings,
        "from_env",
        classmethod(
            lambda cls: real_from_env().model_copy(update={"embed_batch_size": 10, "upsert_max_vectors": 10})
        ),
    )
    real_read_job = vectorize.read_job
    calls = {"n": 0}

    def read_job_then_block_on_second_batch(stage_input: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:  # before the third embed batch: the first batch has been upserted
            gate.block()
        return real_read_job(stage_input)

    monkeypatch.setattr(vectorize, "read_job", read_job_then_block_on_second_batch)
    submitted = pipeline.submit(
        samples.large_pdf(40), "long.pdf", vectorize=True, chunk_target_tokens=64, chunk_overlap_tokens=8
    )
    try:
        gate.wait_entered()
        assert len(fake_pinecone.vectors.get(pipeline.tenant, {})) >= 10  # upserted before the cancel
        status, _ = pipeline.api("DELETE", f"/api/jobs/{submitted.job_id}")
        assert status == 200
    finally:
        gate.release.set()

    pipeline.stack.wait_for_execution(submitted.execution_arn, timeout=30)
    assert pipeline.get(submitted.job_id)["status"] == "cancelled"
    assert fake_pinecone.vectors.get(pipeline.tenant) is None
    assert fake_pinecone.deletes and fake_pinecone.deletes[-1][0] == pipeline.tenant
