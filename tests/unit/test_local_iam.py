"""docjobs_local.iam.evaluate: the local runtime applies AWS's rules for identity policies."""

from __future__ import annotations

from docjobs_local.iam import evaluate

BUCKET = "arn:aws:s3:::docs"


def _allow(action: object, resource: object, **extra: object) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}],
    }


def test_allow_needs_a_matching_action_and_resource() -> None:
    policies = [_allow(["s3:GetObject"], f"{BUCKET}/work/*")]
    assert evaluate(policies, "s3:GetObject", f"{BUCKET}/work/t/j/pages.jsonl", {})
    assert not evaluate(policies, "s3:GetObject", f"{BUCKET}/results/t/j/result.json", {})
    assert not evaluate(policies, "s3:PutObject", f"{BUCKET}/work/t/j/pages.jsonl", {})
    assert not evaluate([], "s3:GetObject", f"{BUCKET}/work/x", {}), "nothing allowed by default"


def test_actions_match_case_insensitively_with_wildcards() -> None:
    policies = [_allow("dynamodb:Get*", "*")]
    assert evaluate(policies, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/t", {})
    assert not evaluate(policies, "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:1:table/t", {})
    assert evaluate([_allow("S3:getobject", "*")], "s3:GetObject", "x", {})


def test_an_explicit_deny_wins_over_any_allow() -> None:
    deny = {"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": f"{BUCKET}/uploads/*"}}
    policies = [_allow("s3:*", "*"), deny]
    assert not evaluate(policies, "s3:PutObject", f"{BUCKET}/uploads/t/file.pdf", {})
    assert evaluate(policies, "s3:PutObject", f"{BUCKET}/documents/t/file.pdf", {})


def test_not_action_and_not_resource() -> None:
    policies = [
        {
            "Statement": [
                {"Effect": "Allow", "NotAction": "s3:DeleteObject", "NotResource": f"{BUCKET}/results/*"}
            ]
        }
    ]
    assert evaluate(policies, "s3:GetObject", f"{BUCKET}/work/x", {})
    assert not evaluate(policies, "s3:DeleteObject", f"{BUCKET}/work/x", {})
    assert not evaluate(policies, "s3:GetObject", f"{BUCKET}/results/x", {})


def test_a_condition_must_hold_and_an_absent_key_does_not_match() -> None:
    policies = [_allow("s3:ListBucket", BUCKET, Condition={"StringLike": {"s3:prefix": "work/*"}})]
    assert evaluate(policies, "s3:ListBucket", BUCKET, {"s3:prefix": "work/t/j/ocr-"})
    assert not evaluate(policies, "s3:ListBucket", BUCKET, {"s3:prefix": "documents/"})
    assert not evaluate(policies, "s3:ListBucket", BUCKET, {}), "no prefix: the condition does not match"


def test_condition_operators() -> None:
    def holds(condition: dict, context: dict) -> bool:
        return evaluate(
            [_allow("sqs:SendMessage", "*", Condition=condition)], "sqs:SendMessage", "q", context
        )

    assert holds({"StringEquals": {"k": ["a", "b"]}}, {"k": "b"})
    assert not holds({"StringEquals": {"k": "a"}}, {"k": "A"})
    assert holds({"StringEqualsIgnoreCase": {"k": "a"}}, {"k": "A"})
    assert holds({"StringNotEquals": {"k": "a"}}, {"k": "b"})
    assert holds({"StringNotLike": {"k": "a*"}}, {"k": "b"})
    assert holds({"StringEqualsIfExists": {"k": "a"}}, {})
    assert holds({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"})
    assert holds({"Null": {"k": "true"}}, {})
    assert not holds({"Null": {"k": "true"}}, {"k": "x"})
    assert not holds({"NumericLessThan": {"k": "3"}}, {"k": "1"}), "an operator not evaluated never grants"
