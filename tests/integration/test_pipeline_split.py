"""Split jobs through the real state machine (template.yaml in moto, statemachines/split.asl.json).

Each part is fetched back as a document of the tenant (``GET /api/documents/{id}``) and reopened;
a part's ``document_id`` is accepted by a follow-up parse job; a cancel while parts are being
written registers none of them.
"""

from __future__ import annotations

from typing import Any

import pymupdf
import pytest
from moto.textract.models import TextractBackend

from docjobs.adapters import storage
from tests import sample_documents as samples
from tests import split_documents as docs
from tests.integration.conftest import Gate, Pipeline, Submitted

PACKET_OPTIONS: dict[str, Any] = {"categories": docs.PACKET_CATEGORIES}


@pytest.fixture(autouse=True)
def rules_only(pipeline: Pipeline) -> None:
    """Only the rules engine configured (the template's default Bedrock model switched off), so
    ``engine: auto`` classifies with rules; the model engines: test_pipeline_split_models.py."""
    pipeline.configure(BEDROCK_MODEL_ID="", OPENAI_BASE_URL="", OPENAI_MODEL="")


def _submit(pipeline: Pipeline, data: bytes, filename: str, options: dict[str, Any]) -> Submitted:
    document_id = pipeline.upload_document(data, filename)
    status, body = pipeline.api(
        "POST", "/api/jobs", {"type": "split", "document_id": document_id, "options": options}
    )
    assert status == 202, body
    machine = pipeline.stack.state_machine_arn("SplitStateMachine")
    return Submitted(body["id"], machine.replace(":stateMachine:", ":execution:", 1) + ":" + body["id"])


def _part(pipeline: Pipeline, document_id: str) -> tuple[dict[str, Any], pymupdf.Document]:
    status, info = pipeline.api("GET", f"/api/documents/{document_id}")
    assert status == 200, info
    key = storage.document_key(pipeline.tenant, document_id, info["filename"])
    data = pipeline.stack.client("s3").get_object(Bucket=pipeline.bucket, Key=key)["Body"].read()
    return info, pymupdf.open(stream=data, filetype="pdf")


def _registered_documents(pipeline: Pipeline) -> list[str]:
    listing = pipeline.stack.client("s3").list_objects_v2(
        Bucket=pipeline.bucket, Prefix=f"documents/{pipeline.tenant}/"
    )
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def test_the_packet_splits_into_its_three_documents_each_a_document_of_the_tenant(pipeline: Pipeline) -> None:
    submitted = _submit(pipeline, docs.packet_pdf(), "packet.pdf", PACKET_OPTIONS)
    job = pipeline.wait(submitted)

    assert job["status"] == "completed", job
    assert (job["stage"], job["progress"]) == (None, 100)
    result = job["result"]
    assert [(s["name"], s["pages"], s["page_count"]) for s in result["segments"]] == [
        ("invoice", [1, 2], 2),
        ("letter", [3, 3], 1),
        ("contract", [5, 7], 3),
    ]
    assert result["unassigned_pages"] == [4]
    assert result["metadata"] == {
        "strategy": "categories",
        "engine": "rules",
        "model": None,
        "pages": 7,
        "usage": {"input_tokens": 0, "output_tokens": 0},
    }
    assert "'Page 1 of 2' footer" in result["segments"][0]["evidence"][0]
    states = pipeline.states_entered(submitted)
    assert states[states.index("Parse") :] == [
        "Parse",
        "ParseInRanges",
        "NeedsOcr",
        "Decide",
        "Generate",
        "JobSucceeded",
    ]
    for segment in result["segments"]:
        assert segment["url"].startswith("http")  # a presigned download, fresh on every read
        info, part = _part(pipeline, segment["document_id"])
        assert (
            info["filename"]
            == segment["filename"]
            == f"packet_part{result['segments'].index(segment) + 1}_{segment['name']}.pdf"
        )
        assert info["source_job_id"] == job["id"]
        assert info["content_type"] == "application/pdf"
        assert info["pages"] == part.page_count == segment["page_count"]
        first_line = part[0].get_text().strip().splitlines()[0]
        assert first_line == docs.PACKET_FIRST_TEXT[segment["name"]]


def test_a_part_is_accepted_by_a_follow_up_parse_job(pipeline: Pipeline) -> None:
    job = pipeline.wait(_submit(pipeline, docs.packet_pdf(), "packet.pdf", PACKET_OPTIONS))
    contract = job["result"]["segments"][2]
    status, body = pipeline.api(
        "POST", "/api/jobs", {"type": "parse", "document_id": contract["document_id"]}
    )
    assert status == 202, body
    parsed = pipeline.wait(Submitted(body["id"], pipeline.execution_arn(body["id"])))
    assert parsed["status"] == "completed", parsed
    assert parsed["metadata"]["pages"] == 3
    assert "SERVICE AGREEMENT" in parsed["result"]["chunks"][0]["text"]


@pytest.mark.parametrize(
    ("data", "options", "spans", "unassigned"),
    [
        (docs.packet_pdf, {"page_ranges": ["1-2", "3", "5-"]}, [[1, 2], [3, 3], [5, 7]], [4]),
        (docs.packet_pdf, {"every_n_pages": 3}, [[1, 3], [4, 6], [7, 7]], []),
        (docs.packet_pdf, {"by_separator": "blank_page"}, [[1, 3], [5, 7]], [4]),
        (docs.outline_pdf, {"by_outline": {"level": 2}}, [[2, 2], [3, 4], [5, 6], [7, 7]], [1, 8]),
    ],
    ids=["page_ranges", "every_n_pages", "by_separator", "by_outline"],
)
def test_rule_strategies_write_their_parts(
    pipeline: Pipeline, data: Any, options: dict[str, Any], spans: list[list[int]], unassigned: list[int]
) -> None:
    job = pipeline.wait(_submit(pipeline, data(), "doc.pdf", options))
    assert job["status"] == "completed", job
    segments = job["result"]["segments"]
    assert [s["pages"] for s in segments] == spans
    assert job["result"]["unassigned_pages"] == unassigned
    assert job["result"]["metadata"]["strategy"] == next(iter(options))
    for segment in segments:
        info, part = _part(pipeline, segment["document_id"])
        assert part.page_count == segment["page_count"] == info["pages"]


def test_without_materialize_no_document_is_written(pipeline: Pipeline) -> None:
    job = pipeline.wait(
        _submit(pipeline, docs.packet_pdf(), "packet.pdf", {"every_n_pages": 4, "materialize": False})
    )
    assert job["status"] == "completed", job
    assert [(s["pages"], s["document_id"], s["url"]) for s in job["result"]["segments"]] == [
        ([1, 4], None, None),
        ([5, 7], None, None),
    ]
    assert len(_registered_documents(pipeline)) == 1  # the upload only


def test_a_range_past_the_last_page_fails_the_job_naming_it(pipeline: Pipeline) -> None:
    submitted = _submit(pipeline, docs.packet_pdf(), "packet.pdf", {"page_ranges": ["1-2", "6-9"]})
    job = pipeline.wait(submitted)
    assert job["status"] == "failed"
    assert job["error_code"] == "VALIDATION_ERROR"
    assert (
        "options.page_ranges[1]: '6-9' ends after the last page: the document has 7 page(s)" in job["error"]
    )
    assert pipeline.states_entered(submitted)[-2:] == ["RecordFailure", "JobFailed"]
    assert len(_registered_documents(pipeline)) == 1


def test_an_outline_split_of_a_document_without_one_fails_saying_so(pipeline: Pipeline) -> None:
    job = pipeline.wait(_submit(pipeline, docs.packet_pdf(), "packet.pdf", {"by_outline": {"level": 1}}))
    assert (job["status"], job["error_code"]) == ("failed", "VALIDATION_ERROR")
    assert "has no outline" in job["error"]


def test_pages_matching_no_category_fail_when_uncategorized_is_not_allowed(pipeline: Pipeline) -> None:
    options = {"categories": [{"name": "invoice", "keywords": ["invoice"]}], "allow_uncategorized": False}
    job = pipeline.wait(_submit(pipeline, docs.packet_pdf(), "packet.pdf", options))
    assert (job["status"], job["error_code"]) == ("failed", "VALIDATION_ERROR")
    assert "pages 3, 5-7 match no category and options.allow_uncategorized is false" in job["error"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"page_ranges": ["1-2", "x"]}, "options.page_ranges[1]: Value error, 'x' is not a page range"),
        ({"page_ranges": ["1-3", "3-"]}, "options.page_ranges[1] '3-' overlaps options.page_ranges[0] '1-3'"),
        ({"every_n_pages": 2, "by_separator": "blank_page"}, "exactly one strategy is needed"),
        (
            {"categories": [{"name": "invoice"}], "engine": "bedrock"},
            "options.engine: 'bedrock' is not configured in this deployment; configured engines: rules",
        ),
    ],
)
def test_bad_options_are_a_400_naming_the_option(
    pipeline: Pipeline, options: dict[str, Any], message: str
) -> None:
    document_id = pipeline.upload_document(docs.packet_pdf(), "packet.pdf")
    status, body = pipeline.api(
        "POST", "/api/jobs", {"type": "split", "document_id": document_id, "options": options}
    )
    assert status == 400, body
    assert body["error_code"] == "VALIDATION_ERROR"
    assert message in body["error"]


def test_scanned_pages_are_ocrd_before_they_are_classified(pipeline: Pipeline) -> None:
    submitted = _submit(pipeline, docs.scanned_packet_pdf(), "scanned.pdf", PACKET_OPTIONS)
    job = pipeline.wait(submitted)
    assert job["status"] == "completed", job
    assert [(s["name"], s["pages"]) for s in job["result"]["segments"]] == [
        ("invoice", [1, 1]),
        ("letter", [2, 2]),
    ]
    assert {"OcrPages", "OcrBatch"} <= set(pipeline.states_entered(submitted))


def test_rule_strategies_never_ocr(pipeline: Pipeline) -> None:
    submitted = _submit(pipeline, docs.scanned_packet_pdf(), "scanned.pdf", {"every_n_pages": 1})
    job = pipeline.wait(submitted)
    assert job["status"] == "completed", job
    assert "OcrPages" not in pipeline.states_entered(submitted)


def test_textract_text_reaches_the_classifier(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = [
        {"BlockType": "PAGE", "Id": "p1", "Page": 1},
        {"BlockType": "LINE", "Id": "l1", "Text": "TEXTRACT SEEDED HEADLINE", "Page": 1},
    ]
    monkeypatch.setattr(TextractBackend, "BLOCKS", blocks)
    monkeypatch.setattr(TextractBackend, "PAGES", 1)
    pipeline.configure(OCR_ENGINE="textract", TEXTRACT_POLL_SECONDS="1")
    options = {
        "categories": [
            {"name": "seeded", "keywords": ["textract seeded headline"]},
            {"name": "report", "keywords": ["revenue", "pipeline"]},
        ]
    }
    submitted = _submit(pipeline, samples.mixed_pdf(), "mixed.pdf", options)
    job = pipeline.wait(submitted)
    assert job["status"] == "completed", job
    assert [(s["name"], s["pages"]) for s in job["result"]["segments"]] == [
        ("report", [1, 1]),
        ("seeded", [2, 2]),
        ("report", [3, 3]),
    ]
    assert {"TextractStart", "TextractWait", "TextractPoll", "TextractDone"} <= set(
        pipeline.states_entered(submitted)
    )


@pytest.mark.parametrize("stop_lost", [False, True], ids=["execution-stopped", "stop-execution-lost"])
def test_cancel_while_parts_are_written_registers_no_part(
    pipeline: Pipeline, gate: Gate, monkeypatch: pytest.MonkeyPatch, stop_lost: bool
) -> None:
    """Cancelled after the first part is staged: with the execution stopped (ABORTED), or with
    StopExecution lost, when the stage's next write finds the job cancelled and the state
    machine ends in JobCancelled. Either way no part becomes a document of the tenant."""
    from docjobs.adapters import executions
    from docjobs.jobtypes.split import generate

    if stop_lost:
        monkeypatch.setattr(executions, "stop_execution", lambda execution_arn, cause: None)
    real = generate.storage.stage_output
    staged: list[str] = []

    def stage_then_block(*args: Any, **kwargs: Any) -> Any:
        output = real(*args, **kwargs)
        staged.append(output.document_id)
        if len(staged) == 1:
            gate.block()  # the first part is staged; the job is cancelled now
        return output

    monkeypatch.setattr(generate.storage, "stage_output", stage_then_block)
    submitted = _submit(pipeline, docs.packet_pdf(), "packet.pdf", {"every_n_pages": 1})
    try:
        gate.wait_entered()
        assert pipeline.get(submitted.job_id)["stage"] == "generating"
        status, body = pipeline.api("DELETE", f"/api/jobs/{submitted.job_id}")
        assert status == 200, body
    finally:
        gate.release.set()
    pipeline.stack.wait_for_execution(submitted.execution_arn, timeout=30)
    job = pipeline.get(submitted.job_id)
    assert job["status"] == "cancelled" and job["result"] is None
    states = pipeline.states_entered(submitted)
    if stop_lost:
        assert (pipeline.execution_status(submitted), states[-1]) == ("SUCCEEDED", "JobCancelled")
    else:
        # moto 5.2.1 ends a stopped execution as FAILED when its running task returns (AWS: ABORTED)
        assert pipeline.execution_status(submitted) in ("ABORTED", "FAILED")
        assert not {"RecordFailure", "JobFailed", "JobSucceeded"} & set(states), states
    assert staged  # a part was written before the cancel...
    assert len(_registered_documents(pipeline)) == 1  # ...and none was registered
    for document_id in staged:
        assert pipeline.api("GET", f"/api/documents/{document_id}")[0] == 404
    assert pipeline.result_keys(submitted.job_id) == []


# --------------------------------------------------------------------------- split in a workflow


def _workflow(pipeline: Pipeline, data: bytes, steps: list[dict[str, Any]]) -> dict[str, Any]:
    document_id = pipeline.upload_document(data, "packet.pdf")
    status, body = pipeline.api(
        "POST", "/api/jobs", {"type": "workflow", "document_id": document_id, "options": {"steps": steps}}
    )
    assert status == 202, body
    arn = (
        pipeline.stack.arn("WorkflowStateMachine").replace(":stateMachine:", ":execution:") + ":" + body["id"]
    )
    return pipeline.wait(Submitted(body["id"], arn), timeout=180)


def test_a_workflow_parses_each_part_of_a_split(pipeline: Pipeline) -> None:
    steps = [
        {"id": "parts", "type": "split", "options": PACKET_OPTIONS},
        {"id": "text", "type": "parse", "input": "parts.segments"},
    ]
    job = _workflow(pipeline, docs.packet_pdf(), steps)
    assert job["status"] == "completed", job
    outcome = {step["id"]: step for step in job["result"]["steps"]}
    assert outcome["parts"]["status"] == "completed" and len(outcome["text"]["job_ids"]) == 3
    parsed = [pipeline.get(job_id) for job_id in outcome["text"]["job_ids"]]
    assert sorted(p["metadata"]["pages"] for p in parsed) == [1, 2, 3]
    assert all(p["status"] == "completed" for p in parsed)


def test_a_split_that_finds_no_part_leaves_the_next_step_nothing_to_do(pipeline: Pipeline) -> None:
    blank = pymupdf.open()
    blank.new_page()
    blank.new_page()
    steps = [
        {"id": "parts", "type": "split", "options": {"by_separator": "blank_page"}},
        {"id": "text", "type": "parse", "input": "parts.segments"},
    ]
    job = _workflow(pipeline, blank.tobytes(), steps)
    assert job["status"] == "completed", job
    outcome = {step["id"]: step for step in job["result"]["steps"]}
    assert outcome["text"]["job_ids"] == []
    split_job = pipeline.get(outcome["parts"]["job_ids"][0])
    assert split_job["result"]["segments"] == [] and split_job["result"]["unassigned_pages"] == [1, 2]


def test_a_workflow_cancelled_while_its_split_writes_parts_ends_quietly(
    pipeline: Pipeline, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """StopExecution lost (as in the faults tests): the split child and the workflow each find
    their job cancelled at their next write and end in JobCancelled; no part is registered."""
    from docjobs.adapters import executions
    from docjobs.jobtypes.split import generate

    monkeypatch.setattr(executions, "stop_execution", lambda execution_arn, cause: None)
    real = generate.storage.stage_output

    def stage_then_block(*args: Any, **kwargs: Any) -> Any:
        output = real(*args, **kwargs)
        gate.block()
        return output

    monkeypatch.setattr(generate.storage, "stage_output", stage_then_block)
    document_id = pipeline.upload_document(docs.packet_pdf(), "packet.pdf")
    steps = [{"id": "parts", "type": "split", "options": {"every_n_pages": 3}}]
    status, body = pipeline.api(
        "POST", "/api/jobs", {"type": "workflow", "document_id": document_id, "options": {"steps": steps}}
    )
    assert status == 202, body
    arn = (
        pipeline.stack.arn("WorkflowStateMachine").replace(":stateMachine:", ":execution:") + ":" + body["id"]
    )
    submitted = Submitted(body["id"], arn)
    try:
        gate.wait_entered()
        assert pipeline.api("DELETE", f"/api/jobs/{submitted.job_id}")[0] == 200
    finally:
        gate.release.set()
    job = pipeline.wait(submitted, timeout=120)
    assert job["status"] == "cancelled"
    assert pipeline.states_entered(submitted)[-1] == "JobCancelled"
    assert len(_registered_documents(pipeline)) == 1
