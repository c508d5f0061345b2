"""workflow jobs through the real state machines: steps run as real child jobs (listed, metered,
cancellable), failures follow on_error, cancel stops the children, progress never goes back."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests import sample_documents as samples
from tests.integration.conftest import Gate, Pipeline, StatusSpy, Submitted, block_after_stage_begins

TWO_PARSES = [
    {"id": "plain", "type": "parse"},
    {"id": "sized", "type": "parse", "options": {"chunk_strategy": "size", "chunk_target_tokens": 128}},
]


def _submit_workflow(
    pipeline: Pipeline, document: bytes, steps: list[dict[str, Any]], **options: Any
) -> Submitted:
    document_id = pipeline.upload_document(document, "packet.pdf")
    status, body = pipeline.api(
        "POST",
        "/api/jobs",
        {"type": "workflow", "document_id": document_id, "options": {"steps": steps, **options}},
    )
    assert status == 202, body
    arn = (
        pipeline.stack.arn("WorkflowStateMachine").replace(":stateMachine:", ":execution:") + ":" + body["id"]
    )
    return Submitted(body["id"], arn)


def _children(pipeline: Pipeline, workflow_id: str) -> list[dict[str, Any]]:
    jobs = pipeline.api("GET", "/api/jobs?limit=100")[1]["jobs"]
    details = [pipeline.get(j["id"]) for j in jobs if j["type"] != "workflow"]
    return [j for j in details if j["client_metadata"].get("workflow_job_id") == workflow_id]


def test_steps_run_as_child_jobs_and_the_outputs_are_wired(pipeline: Pipeline, status_spy: StatusSpy) -> None:
    submitted = _submit_workflow(pipeline, samples.multi_page_pdf(3), TWO_PARSES)
    job = pipeline.wait(submitted, timeout=120)
    assert job["status"] == "completed", job
    steps = job["result"]["steps"]
    assert [(s["id"], s["type"], s["status"]) for s in steps] == [
        ("plain", "parse", "completed"),
        ("sized", "parse", "completed"),
    ]
    children = _children(pipeline, job["id"])
    assert sorted(c["client_metadata"]["step"] for c in children) == ["plain", "sized"]
    assert all(c["status"] == "completed" for c in children)
    assert {c["id"] for c in children} == {i for s in steps for i in s["job_ids"]}
    outputs = job["result"]["outputs"]
    assert outputs["plain"]["status"] == "completed" and outputs["plain"]["result"]["chunks"]
    assert outputs["sized"]["result"]["chunks"]
    sized = next(c for c in children if c["client_metadata"]["step"] == "sized")
    assert sized["options"]["chunk_strategy"] == "size" and sized["options"]["chunk_target_tokens"] == 128
    progress = [p for _status, _stage, p in status_spy.writes(job["id"])]
    assert progress == sorted(progress) and progress[-1] == 100
    assert job["credits"] is None  # the children are metered, not the workflow
    assert job["result"]["credits"] == sum(c["credits"]["cost"] for c in children) == 6


def test_a_bad_step_option_is_a_400_naming_the_step(pipeline: Pipeline) -> None:
    document_id = pipeline.upload_document(samples.multi_page_pdf(1), "a.pdf")
    steps = [{"id": "a", "type": "parse", "options": {"chunk_target_tokens": 1}}]
    status, body = pipeline.api(
        "POST", "/api/jobs", {"type": "workflow", "document_id": document_id, "options": {"steps": steps}}
    )
    assert status == 400, body
    assert "options.steps[0].options.chunk_target_tokens" in body["error"]
    for bad, needle in [
        ([{"id": "a", "type": "parse"}, {"id": "a", "type": "parse"}], "used by an earlier step"),
        ([{"id": "a", "type": "parse", "input": "b"}], "must name an earlier step"),
        ([{"id": "a", "type": "parse"}, {"id": "b", "type": "parse", "input": "a.segments"}], "split"),
        ([{"id": "a", "type": "workflow"}], "cannot run a workflow"),
        ([{"id": "a", "type": "parse"}, {"id": "b", "type": "parse", "input": "a"}], "writes no document"),
        ([{"id": "a", "type": "frobnicate"}], "options.steps[0].type"),
    ]:
        status, body = pipeline.api(
            "POST", "/api/jobs", {"type": "workflow", "document_id": document_id, "options": {"steps": bad}}
        )
        assert status == 400 and needle in body["error"], (bad, body)


def test_a_failed_child_fails_the_workflow_with_its_error_code(pipeline: Pipeline) -> None:
    submitted = _submit_workflow(pipeline, b"%PDF-1.4 this is not really a pdf", TWO_PARSES)
    job = pipeline.wait(submitted, timeout=120)
    assert job["status"] == "failed", job
    assert job["error_code"] == "PARSE_ERROR"
    children = _children(pipeline, job["id"])
    assert len(children) == 1  # the second step never started
    assert f"step 'plain' failed: child job {children[0]['id']}" in job["error"]


def test_on_error_continue_records_the_failure_and_goes_on(pipeline: Pipeline) -> None:
    submitted = _submit_workflow(pipeline, b"%PDF-1.4 broken", TWO_PARSES, on_error="continue")
    job = pipeline.wait(submitted, timeout=120)
    assert job["status"] == "completed", job
    steps = job["result"]["steps"]
    assert [s["status"] for s in steps] == ["failed", "failed"]
    assert steps[0]["error_code"] == "PARSE_ERROR" and "child job" in steps[0]["error"]


def test_cancel_mid_workflow_cancels_the_running_children(
    pipeline: Pipeline, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    block_after_stage_begins(monkeypatch, "parsing", gate)
    submitted = _submit_workflow(pipeline, samples.multi_page_pdf(2), TWO_PARSES)
    try:
        gate.wait_entered()
        status, body = pipeline.api("DELETE", f"/api/jobs/{submitted.job_id}")
        assert status == 200, body
        children = _children(pipeline, submitted.job_id)
        assert children and all(c["status"] == "cancelled" for c in children), children
    finally:
        gate.release.set()
    pipeline.stack.wait_for_execution(submitted.execution_arn, timeout=60)
    deadline = time.monotonic() + 30
    while any(c["status"] not in ("cancelled",) for c in _children(pipeline, submitted.job_id)):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert pipeline.get(submitted.job_id)["status"] == "cancelled"


# --------------------------------------------------------------------------- with the other types


def test_the_packet_workflow_splits_extracts_per_part_and_generates_a_report(pipeline: Pipeline) -> None:
    from tests import split_documents

    steps = [
        {
            "id": "parts",
            "type": "split",
            "options": {"categories": split_documents.PACKET_CATEGORIES, "engine": "rules"},
        },
        {
            "id": "fields",
            "type": "extract",
            "input": "parts.segments",
            "options": {
                "engine": "rules",
                "schema": {
                    "type": "object",
                    "properties": {"total": {"type": "number"}, "date": {"type": "string"}},
                },
            },
        },
        {
            "id": "report",
            "type": "generate",
            "input": "fields",
            "options": {
                "template": {
                    "markdown": "# Packet\n{% for item in items %}"
                    "- part {{ loop.index }}: {{ item.total | default('no total') }}\n{% endfor %}"
                },
                "output": {"format": "md", "filename": "report.md"},
            },
        },
    ]
    submitted = _submit_workflow(pipeline, split_documents.packet_pdf(), steps)
    job = pipeline.wait(submitted, timeout=180)
    assert job["status"] == "completed", job
    steps_done = {s["id"]: s for s in job["result"]["steps"]}
    assert [s["status"] for s in steps_done.values()] == ["completed"] * 3
    assert len(steps_done["fields"]["job_ids"]) == 3  # one extract per part: invoice, letter, contract
    children = _children(pipeline, job["id"])
    assert len(children) == 5 and all(c["status"] == "completed" for c in children)
    segments = {c["client_metadata"].get("segment") for c in children if c["type"] == "extract"}
    assert segments == {"invoice", "letter", "contract"}
    report = job["result"]["outputs"]["report"]["result"]
    status, info = pipeline.api("GET", f"/api/documents/{report['document_id']}")
    assert status == 200 and info["filename"] == "report.md"
    assert job["result"]["credits"] == sum(c["credits"]["cost"] for c in children)


def test_a_step_fans_out_over_five_segments(pipeline: Pipeline) -> None:
    steps = [
        {"id": "parts", "type": "split", "options": {"page_ranges": ["1", "2", "3", "4-5", "6-"]}},
        {"id": "text", "type": "parse", "input": "parts.segments"},
    ]
    job = pipeline.wait(_submit_workflow(pipeline, samples.multi_page_pdf(7), steps), timeout=180)
    assert job["status"] == "completed", job
    text = job["result"]["outputs"]["text"]
    assert len(text) == 5 and all(t["status"] == "completed" for t in text)
    assert sorted(t["result"]["metadata"]["pages"] for t in text) == [1, 1, 1, 2, 2]


def test_a_step_reading_a_failed_step_is_skipped_with_continue(pipeline: Pipeline) -> None:
    steps = [
        {"id": "parts", "type": "split", "options": {"every_n_pages": 1}},
        {"id": "text", "type": "parse", "input": "parts.segments"},
    ]
    job = pipeline.wait(
        _submit_workflow(pipeline, b"%PDF-1.4 broken", steps, on_error="continue"), timeout=120
    )
    assert job["status"] == "completed", job
    assert [(s["id"], s["status"]) for s in job["result"]["steps"]] == [
        ("parts", "failed"),
        ("text", "skipped"),
    ]
    assert "NoChildren" in pipeline.states_entered(
        Submitted(
            job["id"],
            pipeline.stack.arn("WorkflowStateMachine").replace(":stateMachine:", ":execution:")
            + ":"
            + job["id"],
        )
    )


def test_a_cancel_whose_stop_is_lost_ends_the_workflow_quietly(
    pipeline: Pipeline, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    from docjobs.adapters import executions

    real_stop = executions.stop_execution
    workflow_arn = pipeline.stack.arn("WorkflowStateMachine").replace(":stateMachine:", ":execution:")
    monkeypatch.setattr(
        executions,
        "stop_execution",
        lambda arn, cause: None if arn.startswith(workflow_arn) else real_stop(arn, cause),
    )
    block_after_stage_begins(monkeypatch, "parsing", gate)
    submitted = _submit_workflow(pipeline, samples.multi_page_pdf(1), TWO_PARSES)
    try:
        gate.wait_entered()
        assert pipeline.api("DELETE", f"/api/jobs/{submitted.job_id}")[0] == 200
    finally:
        gate.release.set()
    pipeline.stack.wait_for_execution(submitted.execution_arn, timeout=60)
    assert "JobCancelled" in pipeline.states_entered(submitted)
    assert pipeline.get(submitted.job_id)["status"] == "cancelled"
