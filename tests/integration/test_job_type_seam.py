"""A job type is a spec, a state machine and its stage functions: nothing shared names a type.

This module registers ``echo``, a job type that exists only under tests/integration/fixtures/,
adds its state machine and its one stage function to template.yaml's resources (in a copy), and
runs it through everything a real type goes through: submission and option validation, the state
machine, progress, output documents, failure, cancel and the execution tracker.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from moto import mock_aws

from docjobs.jobtypes import registry
from docjobs_local.asl_build import SHARED, SOURCE_DIR, build_definition, render
from docjobs_local.emulator import MOTO_CONFIG, EmulatedStack
from docjobs_local.template import load_template
from tests.integration.conftest import BASE_ENV, ROOT, TEMPLATE, Gate, Pipeline, Submitted, _clear_caches
from tests.integration.fixtures.echo_type.spec import SPEC

FIXTURE = Path(__file__).parent / "fixtures" / "echo_type"


def _absolute(props: dict[str, Any], key: str) -> None:
    value = props.get(key)
    if isinstance(value, str) and not os.path.isabs(value):
        props[key] = str((ROOT / value).resolve())


def _template_with_echo(tmp: Path) -> Path:
    """template.yaml plus the echo type's state machine and function, written to ``tmp``."""
    template = load_template(TEMPLATE)
    for resource in template["Resources"].values():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "DefinitionUri", "ContentUri"):
            _absolute(props, key)
    source = json.loads((FIXTURE / "statemachine.src.json").read_text())
    shared = json.loads((SOURCE_DIR / SHARED).read_text())
    asl = tmp / "echo.asl.json"
    asl.write_text(render(build_definition(source, shared, "echo")))
    template["Resources"]["EchoFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": str(FIXTURE / "function"),
            "Handler": "app.lambda_handler",
            "Timeout": 30,
            # IAM is enforced locally: the stage's role allows what it does (job record, output
            # document staged under work/ and published under documents/, the result).
            "Policies": [
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                            "Resource": {"Fn::GetAtt": ["JobsTable", "Arn"]},
                        },
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                            "Resource": [
                                {"Fn::Sub": "${DocumentsBucket.Arn}/work/*"},
                                {"Fn::Sub": "${DocumentsBucket.Arn}/documents/*"},
                                {"Fn::Sub": "${DocumentsBucket.Arn}/results/*"},
                            ],
                        },
                    ]
                }
            ],
        },
    }
    template["Resources"]["EchoStateMachine"] = {
        "Type": "AWS::Serverless::StateMachine",
        "Properties": {
            "Name": {"Fn::Sub": "${AWS::StackName}-echo"},
            "Type": "STANDARD",
            "DefinitionUri": str(asl),
            "DefinitionSubstitutions": {
                "EchoFunctionArn": {"Fn::GetAtt": ["EchoFunction", "Arn"]},
                "FailJobFunctionArn": {"Fn::GetAtt": ["FailJobFunction", "Arn"]},
            },
            "Policies": [
                {"LambdaInvokePolicy": {"FunctionName": {"Ref": "EchoFunction"}}},
                {"LambdaInvokePolicy": {"FunctionName": {"Ref": "FailJobFunction"}}},
            ],
        },
    }
    path = tmp / "template.yaml"
    path.write_text(yaml.safe_dump(template, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def echo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatedStack]:
    registry.register(SPEC)
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    os.environ.update(BASE_ENV)
    try:
        with mock_aws(config=MOTO_CONFIG):
            stack = EmulatedStack(_template_with_echo(tmp_path_factory.mktemp("echo"))).deploy()
            _clear_caches()
            try:
                yield stack
            finally:
                stack.close()
    finally:
        registry.unregister(SPEC.name)
        os.environ.clear()
        os.environ.update(saved)
        _clear_caches()


@pytest.fixture
def echo(echo_stack: EmulatedStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    _clear_caches()
    yield Pipeline(echo_stack, monkeypatch)
    echo_stack.wait_idle(10)


def _submit(echo: Pipeline, **options: Any) -> Submitted:
    status, body = echo.api("POST", "/api/jobs", {"type": "echo", "options": {"message": "hello", **options}})
    assert status == 202, body
    arn = echo.stack.arn("EchoStateMachine").replace(":stateMachine:", ":execution:") + ":" + body["id"]
    return Submitted(body["id"], arn)


def test_an_echo_job_completes_with_its_result_and_output_document(echo: Pipeline) -> None:
    job = echo.wait(_submit(echo))
    assert job["status"] == "completed", job
    assert job["type"] == "echo" and job["progress"] == 100 and job["stage"] is None  # completed: no stage
    assert job["result"]["echo"] == "hello"
    document = job["result"]["document"]
    assert document["url"].startswith("http")  # refreshed on every read
    status, info = echo.api("GET", f"/api/documents/{document['document_id']}")
    assert status == 200, info
    assert info["source_job_id"] == job["id"] and info["filename"] == "echo.txt"
    assert info["bytes"] == 5 and info["pages"] == 1 and info["content_type"] == "text/plain"
    listed = echo.api("GET", "/api/jobs?type=echo")[1]
    assert [j["id"] for j in listed["jobs"]] == [job["id"]] and listed["total"] == 1


def test_echo_options_are_validated_at_submission_with_the_option_path(echo: Pipeline) -> None:
    status, body = echo.api("POST", "/api/jobs", {"type": "echo", "options": {"message": ""}})
    assert status == 400
    assert body["error_code"] == "VALIDATION_ERROR"
    assert "options.message" in body["error"]


def test_a_failing_echo_stage_fails_the_job_with_its_error_code(echo: Pipeline) -> None:
    job = echo.wait(_submit(echo, outcome="fail"))
    assert job["status"] == "failed"
    assert job["error_code"] == "VALIDATION_ERROR"
    assert "echo refused" in job["error"]


def test_an_execution_that_ends_without_completing_is_reconciled_by_the_tracker(echo: Pipeline) -> None:
    job = echo.wait(_submit(echo, outcome="forget"))
    assert job["status"] == "failed"
    assert job["error_code"] == "INTERNAL_ERROR"
    assert "without completing" in job["error"]


def test_cancel_during_the_echo_stage_registers_no_output(
    echo: Pipeline, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    from docjobs.pipeline import results

    real = results.storage.publish_outputs
    published: list[str] = []

    def blocked(tenant_id: str, job_id: str, outputs: Any) -> list[str]:
        keys = real(tenant_id, job_id, outputs)
        published.extend(keys)
        gate.block()  # the outputs are copied; the job is about to be completed
        return keys

    monkeypatch.setattr(results.storage, "publish_outputs", blocked)
    submitted = _submit(echo)
    try:
        gate.wait_entered()
        status, body = echo.api("DELETE", f"/api/jobs/{submitted.job_id}")
        assert status == 200, body
    finally:
        gate.release.set()
    echo.stack.wait_for_execution(submitted.execution_arn, timeout=30)
    job = echo.get(submitted.job_id)
    assert job["status"] == "cancelled" and job["result"] is None
    assert published, "the stage never published"
    s3 = echo.stack.client("s3")
    for key in published:
        assert s3.list_objects_v2(Bucket=echo.bucket, Prefix=key).get("KeyCount", 0) == 0, key
    assert echo.result_keys(submitted.job_id) == []


def test_progress_comes_from_the_type_spans(echo: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    from docjobs.domain import transitions

    seen: list[int] = []
    real = transitions.report_progress
    lock = threading.Lock()

    def spy(*args: Any, **kwargs: Any) -> Any:
        job = real(*args, **kwargs)
        with lock:
            seen.append(job.progress)
        return job

    monkeypatch.setattr(transitions, "report_progress", spy)
    echo.wait(_submit(echo))
    assert 50 in seen  # 0.5 of the generating span (0, 100)
