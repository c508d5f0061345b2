"""How a Step Functions error becomes a failed job's error_code and message."""

from __future__ import annotations

import json

import pytest

from docjobs.core.errors import JOB_ERROR_CODES, error_code_for_error_type
from docjobs.pipeline.stages.failure import describe_failure


@pytest.mark.parametrize(
    ("error_type", "code"),
    [
        ("ParseError", "PARSE_ERROR"),
        ("OcrError", "OCR_ERROR"),
        ("InputValidationError", "VALIDATION_ERROR"),
        ("QuotaExceededError", "QUOTA_EXCEEDED"),
        ("JobTimeoutError", "TIMEOUT"),
        ("States.Timeout", "TIMEOUT"),
        ("States.HeartbeatTimeout", "TIMEOUT"),
        ("Sandbox.Timedout", "TIMEOUT"),
        ("TransientError", "INTERNAL_ERROR"),
        ("KeyError", "INTERNAL_ERROR"),
        ("States.Runtime", "INTERNAL_ERROR"),
    ],
)
def test_error_type_maps_to_job_error_code(error_type: str, code: str) -> None:
    assert error_code_for_error_type(error_type) == code


@pytest.mark.parametrize(
    "api_only", ["NotFoundError", "ConflictError", "UnauthorizedError", "JobCancelledError"]
)
def test_api_only_errors_raised_by_a_stage_are_internal_errors(api_only: str) -> None:
    assert error_code_for_error_type(api_only) == "INTERNAL_ERROR"
    assert error_code_for_error_type(api_only) in JOB_ERROR_CODES


def test_failure_message_is_the_lambda_error_message_not_the_raw_cause() -> None:
    cause = json.dumps(
        {"errorMessage": "'scan.pdf' is encrypted (password-protected)", "errorType": "ParseError"}
    )
    message, code = describe_failure("ParseError", cause)
    assert (message, code) == ("'scan.pdf' is encrypted (password-protected)", "PARSE_ERROR")


def test_task_timeout_message_says_the_time_limit_was_exceeded() -> None:
    message, code = describe_failure("States.Timeout", None)
    assert code == "TIMEOUT"
    assert message == "job exceeded its time limit"


def test_unexpected_error_names_its_type() -> None:
    cause = json.dumps({"errorMessage": "'pages'", "errorType": "KeyError"})
    message, code = describe_failure("KeyError", cause)
    assert code == "INTERNAL_ERROR"
    assert message == "KeyError: 'pages'"
