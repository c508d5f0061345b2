"""Step Functions executions: the only module that starts and stops them."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from docjobs.adapters import aws_clients
from docjobs.core.observability import logger


class ExecutionAlreadyExists(Exception):
    """An execution of that name exists: a repeated start is a no-op for the caller."""


def start_execution(state_machine_arn: str, name: str, execution_input: dict[str, Any]) -> None:
    """Start ``name`` (the job id); raises ``ExecutionAlreadyExists`` or botocore's ClientError."""
    try:
        aws_clients.stepfunctions().start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(execution_input)
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
            raise ExecutionAlreadyExists(name) from exc
        raise


def execution_arn(state_machine_arn: str, name: str) -> str:
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + name


def stop_execution(execution_arn: str, cause: str) -> None:
    """Best effort: a missing execution or an unreachable service is logged, never raised."""
    try:
        aws_clients.stepfunctions().stop_execution(
            executionArn=execution_arn, error="JobCancelled", cause=cause
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ExecutionDoesNotExist":
            logger.warning("could not stop the execution", extra={"execution_arn": execution_arn})
    except BotoCoreError:
        # The job is already cancelled, so every later stage write fails and the execution ends
        # without effect. A cancel that took must not answer 500 (a retry is a 409).
        logger.warning("could not reach Step Functions to stop the execution", exc_info=True)
