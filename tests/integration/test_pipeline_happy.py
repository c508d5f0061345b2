"""Parse jobs that succeed, run through template.yaml's real state machine (ASL) in moto."""

from __future__ import annotations

from datetime import timedelta

import pytest

from docjobs.adapters import job_store
from docjobs.core.models import JobRecord
from docjobs.core.values import new_id, utc_now
from docjobs.domain import starter
from tests import sample_documents as samples
from tests.integration.conftest import STATE_MACHINE, Pipeline, StatusSpy, Submitted


def _chunk_text(job: dict) -> str:
    return "\n".join(chunk["text"] for chunk in job["result"]["chunks"])


def test_text_pdf_completes_with_chunks_metadata_and_every_stage_in_order(
    pipeline: Pipeline, status_spy: StatusSpy
) -> None:
    submitted = pipeline.submit(samples.multi_page_pdf(3), "report.pdf")
    job = pipeline.wait(submitted)

    assert job["status"] == "completed", job
    assert job["progress"] == 100
    assert job["error"] is None and job["error_code"] is None and job["retry_count"] == 0
    assert job["completed_at"] is not None
    assert job["stage"] is None  # a completed job is in no stage (every job type alike)
    assert job["metadata"] == {"filename": "report.pdf", "file_type": "pdf", "pages": 3}
    result = job["result"]
    assert result["metadata"]["title"] == samples.TITLE
    assert result["metadata"]["author"] == samples.AUTHOR
    assert result["metadata"]["pages"] == 3 and result["metadata"]["ocr_pages"] == 0
    assert result["metadata"]["chunk_count"] == len(result["chunks"]) > 0
    text = _chunk_text(job)
    for n in (1, 2, 3):
        assert f"Section {n}" in text
    assert "| North | 1200 | 4% |" in text  # page 2's table as markdown

    assert pipeline.states_entered(submitted) == [
        "Upload",
        "Parse",
        "ParseInRanges",
        "NeedsOcr",
        "Chunk",
        "VectorizeWanted",
        "VectorizeSkipped",
        "Finish",
        "JobSucceeded",
    ]
    assert status_spy.stages(submitted.job_id) == ["uploading", "parsing", "chunking"]
    progress = [p for _s, _st, p in status_spy.writes(submitted.job_id)]
    assert progress == sorted(progress) and progress[-1] == 100
    assert set(status_spy.statuses(submitted.job_id)) == {"processing", "completed"}
    assert pipeline.execution_status(submitted) == "SUCCEEDED"


def test_mixed_pdf_ocrs_the_image_page_in_the_map_and_merges_it_in_page_order(
    pipeline: Pipeline, status_spy: StatusSpy
) -> None:
    submitted = pipeline.submit(samples.mixed_pdf(), "mixed.pdf")
    job = pipeline.wait(submitted)

    assert job["status"] == "completed", job
    states = pipeline.states_entered(submitted)
    assert "OcrPages" in states and states.count("OcrBatch") == 1
    assert states.index("OcrPages") < states.index("Chunk")
    assert job["result"]["metadata"]["ocr_pages"] == 1
    text = _chunk_text(job)
    assert "INVOICE" in text and "12345" in text
    assert text.index("Part 1") < text.index("INVOICE") < text.index("Part 3")
    assert status_spy.stages(submitted.job_id) == ["uploading", "parsing", "ocr", "chunking"]


def test_png_image_is_converted_and_every_page_is_ocrd(pipeline: Pipeline) -> None:
    submitted = pipeline.submit(samples.image_png("SCANNED 4711"), "scan.png")
    job = pipeline.wait(submitted)

    assert job["status"] == "completed", job
    assert job["metadata"]["file_type"] == "png"
    pages = job["metadata"]["pages"]
    assert pages == 1
    assert job["result"]["metadata"]["ocr_pages"] == pages
    assert "OcrBatch" in pipeline.states_entered(submitted)
    assert "SCANNED" in _chunk_text(job) and "4711" in _chunk_text(job)


def test_forced_ocr_runs_one_map_iteration_per_page_batch(pipeline: Pipeline) -> None:
    pipeline.configure(OCR_BATCH_PAGES="1")
    submitted = pipeline.submit(samples.multi_page_pdf(2), "two.pdf", ocr="force")
    job = pipeline.wait(submitted)

    assert job["status"] == "completed", job
    assert pipeline.states_entered(submitted).count("OcrBatch") == 2
    assert job["result"]["metadata"]["ocr_pages"] == 2
    assert "Section 2" in _chunk_text(job)


def _jobs_of(pipeline: Pipeline) -> list[dict]:
    status, body = pipeline.api("GET", "/api/jobs")
    assert status == 200, body
    return list(body["jobs"])


def test_file_dropped_under_uploads_starts_a_job_through_eventbridge(pipeline: Pipeline) -> None:
    key = f"uploads/{pipeline.tenant}/dropped report.pdf"
    pipeline.stack.client("s3").put_object(Bucket=pipeline.bucket, Key=key, Body=samples.multi_page_pdf(2))
    pipeline.stack.wait_idle()

    jobs = _jobs_of(pipeline)
    assert len(jobs) == 1
    submitted = Submitted(jobs[0]["id"], pipeline.execution_arn(jobs[0]["id"]))
    job = pipeline.wait(submitted)
    assert job["status"] == "completed", job
    assert job["metadata"] == {"filename": "dropped report.pdf", "file_type": "pdf", "pages": 2}
    assert job["result"]["metadata"]["chunk_count"] > 0
    assert pipeline.record(submitted.job_id).document_key == key


def test_dropped_upload_with_a_bad_job_type_leaves_a_failed_validation_job(pipeline: Pipeline) -> None:
    """Uploaded with CopyObject (an ObjectCreated:Copy event): moto 5.2.1's PutObject sends its
    notification before it stores the object's user metadata, so an inline-delivered trigger
    would not see ``x-amz-meta-job-type``; CopyObject stores the metadata first, as AWS does."""
    s3 = pipeline.stack.client("s3")
    staging = f"staging/{pipeline.tenant}/odd.pdf"
    s3.put_object(
        Bucket=pipeline.bucket,
        Key=staging,
        Body=samples.multi_page_pdf(1),
        Metadata={"job-type": "frobnicate"},
    )
    key = f"uploads/{pipeline.tenant}/odd.pdf"
    s3.copy_object(Bucket=pipeline.bucket, Key=key, CopySource={"Bucket": pipeline.bucket, "Key": staging})
    pipeline.stack.wait_idle()

    jobs = _jobs_of(pipeline)
    assert len(jobs) == 1
    job = pipeline.get(jobs[0]["id"])
    assert job["status"] == "failed"
    assert job["error_code"] == "VALIDATION_ERROR"
    assert "job type 'frobnicate' is not available" in job["error"]
    assert job["metadata"]["filename"] == "odd.pdf"
    sfn = pipeline.stack.client("stepfunctions")
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.describe_execution(executionArn=pipeline.execution_arn(jobs[0]["id"]))


def test_input_url_is_fetched_into_storage_and_parsed(pipeline: Pipeline, httpserver) -> None:
    """The API only accepts https input URLs; pytest-httpserver serves http. So this test writes
    the job record as ``submit_job`` would (input_url http://127.0.0.1...), and starts its
    execution with ``starter.execution_input``: everything after POST /api/jobs is real.
    Private addresses are refused unless ALLOW_PRIVATE_INPUT_URLS=true (local/tests only)."""
    pipeline.configure(ALLOW_PRIVATE_INPUT_URLS="true")
    httpserver.expect_request("/files/fetched.pdf").respond_with_data(
        samples.multi_page_pdf(2), content_type="application/pdf"
    )
    now = utc_now()
    record = JobRecord(
        id=new_id(),
        tenant_id=pipeline.tenant,
        type="parse",
        input_url=httpserver.url_for("/files/fetched.pdf"),
        metadata={"filename": "fetched.pdf", "file_type": "pdf"},  # type: ignore[arg-type]
        options={},
        created_at=now,
        updated_at=now,
        expires_at=int((now + timedelta(days=1)).timestamp()),
    )
    job_store.create_job(record)
    arn = pipeline.stack.start_execution(STATE_MACHINE, starter.execution_input(record), name=record.id)
    assert arn == pipeline.execution_arn(record.id)

    job = pipeline.wait(Submitted(record.id, arn))
    assert job["status"] == "completed", job
    assert job["input_url"] == record.input_url
    assert job["metadata"] == {"filename": "fetched.pdf", "file_type": "pdf", "pages": 2}
    stored = pipeline.record(record.id)
    assert stored.document_id and stored.document_key == (
        f"documents/{pipeline.tenant}/{stored.document_id}/fetched.pdf"
    )
    assert "Section 2" in _chunk_text(job)


def test_input_url_on_a_private_address_is_refused_without_the_local_switch(
    pipeline: Pipeline, httpserver
) -> None:
    pipeline.configure(ALLOW_PRIVATE_INPUT_URLS="false")
    now = utc_now()
    record = JobRecord(
        id=new_id(),
        tenant_id=pipeline.tenant,
        type="parse",
        input_url=httpserver.url_for("/files/secret.pdf"),
        created_at=now,
        updated_at=now,
        expires_at=int((now + timedelta(days=1)).timestamp()),
    )
    job_store.create_job(record)
    arn = pipeline.stack.start_execution(STATE_MACHINE, starter.execution_input(record), name=record.id)
    job = pipeline.wait(Submitted(record.id, arn))
    assert job["status"] == "failed"
    assert job["error_code"] == "VALIDATION_ERROR"
    assert "not a public address" in job["error"]
    assert len(httpserver.log) == 0


def test_several_jobs_at_once_all_complete(pipeline: Pipeline) -> None:
    """Executions run side by side (threads in one process here): PyMuPDF work is serialised
    by engines.pdf.MUPDF_LOCK, so no job fails on PyMuPDF's process-global state."""
    submitted = [pipeline.submit(samples.multi_page_pdf(3), f"report-{i}.pdf") for i in range(6)]
    jobs = [pipeline.wait(s) for s in submitted]
    assert [job["status"] for job in jobs] == ["completed"] * 6, [job.get("error") for job in jobs]
    assert all("|" in " ".join(c["text"] for c in job["result"]["chunks"]) for job in jobs)  # tables


def _upload_event(pipeline: Pipeline, key: str, sequencer: str) -> dict:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-29T10:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{pipeline.bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": pipeline.bucket},
            "object": {"key": key, "size": 1, "etag": "x", "sequencer": sequencer},
            "reason": "PutObject",
        },
    }


def test_a_redelivered_upload_event_finds_its_job_and_a_new_upload_starts_another(pipeline: Pipeline) -> None:
    """EventBridge delivers at least once and Lambda retries async invocations: the job id is
    derived from the object (key + sequencer), so a redelivery starts nothing new."""
    key = f"uploads/{pipeline.tenant}/twice.pdf"
    pipeline.stack.client("s3").put_object(Bucket=pipeline.bucket, Key=key, Body=samples.multi_page_pdf(1))
    pipeline.stack.wait_idle()
    (first,) = _jobs_of(pipeline)

    event = _upload_event(pipeline, key, "0062E5A4C1D2B3F4A1")
    started = pipeline.stack.invoke("UploadTriggerFunction", event)
    again = pipeline.stack.invoke("UploadTriggerFunction", event)
    assert started["action"] == again["action"] == "started"
    assert started["job_id"] == again["job_id"] != first["id"]
    pipeline.stack.wait_idle()
    assert len(_jobs_of(pipeline)) == 2, "the redelivery created no job"
    for job_id in (first["id"], started["job_id"]):
        job = pipeline.wait(Submitted(job_id, pipeline.execution_arn(job_id)))
        assert job["status"] == "completed", job

    # Another PUT of the same key (a larger sequencer) is another job.
    other = pipeline.stack.invoke("UploadTriggerFunction", _upload_event(pipeline, key, "0062E5A4C1D2B3F4B7"))
    assert other["job_id"] not in (first["id"], started["job_id"])
    pipeline.wait(Submitted(other["job_id"], pipeline.execution_arn(other["job_id"])))


def test_a_throttled_start_leaves_the_job_queued_until_the_starter_retries(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jobs start from the intake queue: a throttled StartExecution neither fails the job nor
    loses it; the message comes back (jittered) and the starter starts it."""
    from botocore.exceptions import ClientError

    from docjobs.adapters import executions

    real_start = executions.start_execution
    refused: list[str] = []

    def throttled_twice(state_machine_arn: str, name: str, execution_input: dict) -> None:
        if len(refused) < 2:
            refused.append(name)
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "StartExecution"
            )
        real_start(state_machine_arn, name, execution_input)

    monkeypatch.setattr(executions, "start_execution", throttled_twice)
    submitted = pipeline.submit(samples.multi_page_pdf(1), "throttled.pdf")
    job = pipeline.wait(submitted, timeout=90)
    assert refused == [submitted.job_id] * 2
    assert job["status"] == "completed", job
    assert job["retry_count"] == 0 and job["error"] is None


def test_jobs_beyond_the_capacity_wait_queued_and_all_complete(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MaxConcurrentJobs caps running executions: with a cap of 1, three submissions run one at
    a time (the others wait queued in the intake queue), all complete, and every slot is given back."""
    from docjobs.adapters import capacity
    from docjobs.pipeline.stages import parse

    pipeline.configure(MAX_CONCURRENT_JOBS="1")
    running_during_parse: list[int] = []
    real_work = parse.parse_document.work

    def observing(task: object, job: object) -> object:
        running_during_parse.append(capacity.running())
        return real_work(task, job)

    monkeypatch.setattr(parse.parse_document, "work", observing)
    submitted = [pipeline.submit(samples.multi_page_pdf(1), f"burst-{i}.pdf") for i in range(3)]
    jobs = [pipeline.wait(s, timeout=120) for s in submitted]
    assert [j["status"] for j in jobs] == ["completed"] * 3, jobs
    assert running_during_parse == [1, 1, 1]
    assert capacity.running() == 0


def test_a_slot_its_ended_job_never_gave_back_is_reclaimed_when_capacity_is_full(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The execution tracker gives slots back; if it failed past its retries, the slot of an
    ended job would keep capacity full. The starter reclaims such slots once they are old."""
    import time

    from docjobs.adapters import capacity
    from docjobs.domain import starter

    pipeline.configure(MAX_CONCURRENT_JOBS="1")
    ended = pipeline.wait(pipeline.submit(samples.multi_page_pdf(1), "ended.pdf"))
    assert ended["status"] == "completed" and capacity.running() == 0
    assert capacity.acquire(ended["id"], limit=1, tenant_id=pipeline.tenant)  # the leak

    monkeypatch.setattr(starter, "_last_sweep", 0.0)
    submitted = pipeline.submit(samples.multi_page_pdf(1), "waiting.pdf")
    time.sleep(3)  # the leaked slot is younger than LEAKED_SLOT_AGE_SECONDS: nothing is reclaimed
    assert pipeline.get(submitted.job_id)["status"] == "queued"

    monkeypatch.setattr(starter, "LEAKED_SLOT_AGE_SECONDS", 0)
    monkeypatch.setattr(starter, "_last_sweep", 0.0)
    job = pipeline.wait(submitted, timeout=120)
    assert job["status"] == "completed", job
    assert capacity.running() == 0


def test_a_job_emits_its_metrics_and_every_stage_log_line_names_it(
    pipeline: Pipeline, capfd: pytest.CaptureFixture[str]
) -> None:
    import json

    submitted = pipeline.submit(samples.multi_page_pdf(1), "observed.pdf")
    assert pipeline.wait(submitted)["status"] == "completed"
    lines = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith("{")]
    emitted = {
        metric["Name"]: line
        for line in lines
        if "_aws" in line
        for directive in line["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    }
    assert {"JobsSubmitted", "JobsCompleted", "StageDuration", "PagesParsed", "OcrPages"} <= set(emitted)
    assert emitted["PagesParsed"]["PagesParsed"] == [1.0]
    assert emitted["JobsCompleted"]["job_type"] == "parse"
    logs = [line for line in lines if "level" in line and line.get("job_id") == submitted.job_id]
    assert all(line.get("tenant_id") == pipeline.tenant for line in logs), "job lines name the tenant"


def test_a_large_document_is_parsed_page_parallel_into_the_same_chunks(pipeline: Pipeline) -> None:
    data = samples.large_pdf(25, ruled=True)
    whole = pipeline.wait(pipeline.submit(data, "whole.pdf"))
    pipeline.configure(PARSE_RANGE_PAGES="10")
    submitted = pipeline.submit(data, "ranges.pdf")
    job = pipeline.wait(submitted)

    assert job["status"] == whole["status"] == "completed", job
    states = pipeline.states_entered(submitted)
    assert states.count("ParseRange") == 3  # pages 1-10, 11-20, 21-25
    assert (
        states.index("Parse")
        < states.index("ParsePages")
        < states.index("MergePages")
        < states.index("Chunk")
    )
    assert job["result"]["metadata"]["pages"] == 25
    assert job["result"]["chunks"] == whole["result"]["chunks"]
    assert "| North | 1200 | 4% |" in _chunk_text(job)
