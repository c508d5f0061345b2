"""IAM is enforced: each function runs as its SAM-generated role, and moto refuses what the role's
policies (from template.yaml through the SAM transform) do not allow, as AWS would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from docjobs_local import iam
from docjobs_local.emulator import EmulatedStack
from tests import sample_documents as samples
from tests.integration.conftest import Pipeline


def _old_chunk_policy(stack: EmulatedStack) -> dict[str, Any]:
    """Chunk's statements before it could list the OCR pages (the policy that failed every job on AWS)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                "Resource": stack.arn("JobsTable"),
            },
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": stack.arn("DocumentsBucket") + "/work/*",
            },
        ],
    }


def _role_policies(stack: EmulatedStack, logical_id: str) -> dict[str, dict[str, Any]]:
    client = stack.client("iam")
    role = stack.role_name(logical_id)
    return {
        name: client.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for name in client.list_role_policies(RoleName=role)["PolicyNames"]
    }


@contextmanager
def _policy_replaced(
    stack: EmulatedStack, logical_id: str, name: str, document: dict[str, Any]
) -> Iterator[None]:
    client = stack.client("iam")
    role = stack.role_name(logical_id)
    original = client.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    client.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(document))
    try:
        yield
    finally:
        client.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(original))


def test_every_function_runs_as_its_own_role_from_the_sam_transform(pipeline: Pipeline) -> None:
    stack = pipeline.stack
    arns = {logical: stack.role_arn(logical) for logical in stack.functions}
    assert len(set(arns.values())) == len(arns), "one role per function"
    lam = stack.client("lambda")
    for logical, arn in arns.items():
        assert lam.get_function(FunctionName=stack.physical_name(logical))["Configuration"]["Role"] == arn
    # SAM's expansions are there: the managed basic-execution policy and the tracker's destination.
    assert "managed-AWSLambdaBasicExecutionRole" in _role_policies(stack, "ChunkStageFunction")
    tracker = json.dumps(_role_policies(stack, "ExecutionTrackerFunction"))
    assert "sqs:SendMessage" in tracker


def test_the_old_chunk_policy_fails_the_job_and_the_fixed_one_completes_it(pipeline: Pipeline) -> None:
    name = "ChunkStageFunctionRolePolicy0"
    with _policy_replaced(pipeline.stack, "ChunkStageFunction", name, _old_chunk_policy(pipeline.stack)):
        job = pipeline.wait(pipeline.submit(samples.multi_page_pdf(2), "old-policy.pdf"))
    assert job["status"] == "failed", job
    assert job["error_code"] == "INTERNAL_ERROR", job
    assert job["stage"] == "chunking", job

    job = pipeline.wait(pipeline.submit(samples.multi_page_pdf(2), "fixed-policy.pdf"))
    assert job["status"] == "completed", job


@pytest.mark.parametrize(
    ("function", "action", "stage"),
    [
        ("ParseStageFunction", "s3:PutObject", "parsing"),  # where it writes its pages
        ("FinishStageFunction", "s3:PutObject", None),  # where it publishes the result
    ],
)
def test_removing_one_statement_fails_the_stage(
    pipeline: Pipeline, function: str, action: str, stage: str | None
) -> None:
    name = f"{function}RolePolicy0"
    document = _role_policies(pipeline.stack, function)[name]
    kept = [s for s in document["Statement"] if action not in json.dumps(s.get("Action"))]
    assert len(kept) == len(document["Statement"]) - 1, document
    with _policy_replaced(pipeline.stack, function, name, {**document, "Statement": kept}):
        job = pipeline.wait(pipeline.submit(samples.multi_page_pdf(1), "one-statement-less.pdf"))
    assert job["status"] == "failed", job
    assert job["error_code"] == "INTERNAL_ERROR", job
    assert pipeline.result_keys(job["id"]) == []
    if stage:
        assert job["stage"] == stage, job


def test_no_function_may_write_under_uploads(pipeline: Pipeline) -> None:
    """A write under uploads/ would start another job (the trigger's loop)."""
    stack = pipeline.stack
    target = f"arn:aws:s3:::{stack.physical_name('DocumentsBucket')}/uploads/acme/file.pdf"
    writers = [
        logical
        for logical in stack.functions
        if iam.evaluate(list(_role_policies(stack, logical).values()), "s3:PutObject", target, {})
    ]
    assert writers == []


def test_a_function_cannot_use_another_functions_permissions(pipeline: Pipeline) -> None:
    """GetJob may read jobs but not write them, under its own credentials."""
    stack = pipeline.stack
    token = iam.run_as(stack.functions["GetJobFunction"].credentials)
    try:
        ddb = stack.client("dynamodb")
        table = stack.physical_name("JobsTable")
        ddb.get_item(TableName=table, Key={"pk": {"S": "x"}, "sk": {"S": "y"}})
        with pytest.raises(ddb.exceptions.ClientError, match="AccessDenied"):
            ddb.put_item(TableName=table, Item={"pk": {"S": "x"}, "sk": {"S": "y"}})
        s3 = stack.client("s3")
        missing = s3.head_object  # a missing result: 404 (GetJob may list the bucket), not 403
        with pytest.raises(s3.exceptions.ClientError, match="404"):
            missing(Bucket=stack.physical_name("DocumentsBucket"), Key="results/acme/none/result.json")
    finally:
        iam.reset_identity(token)
