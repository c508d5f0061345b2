"""``POST /api/jobs`` with an ``Idempotency-Key`` header: a retried submission returns the first
job instead of creating a second one (Powertools idempotency, DynamoDB persistence).

The key is scoped to the tenant and remembered for 24 hours; reusing it with a different body
is a 409, as is a retry that arrives while the first request is still being handled.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from docjobs.adapters import aws_clients
from docjobs.api.schemas.submitted import SubmittedJob, submitted_job
from docjobs.core.errors import ConflictError
from docjobs.core.settings import get_settings
from docjobs.domain import submission as job_submission
from docjobs.domain.submission import SubmitJobRequest

KEY_TTL_SECONDS = 24 * 3600


@lru_cache(maxsize=1)
def _idempotent_submit() -> tuple[Callable[..., dict[str, Any]], Any]:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    store = DynamoDBPersistenceLayer(
        table_name=get_settings().idempotency_table_name, boto3_client=aws_clients.dynamodb()
    )
    config = IdempotencyConfig(
        event_key_jmespath="[tenant_id, idempotency_key]",
        payload_validation_jmespath="request",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=KEY_TTL_SECONDS,
    )

    @idempotent_function(  # Powertools: untyped (see the mypy override for docjobs.api)
        data_keyword_argument="submission", persistence_store=store, config=config
    )
    def submit(submission: dict[str, Any]) -> dict[str, Any]:
        request = SubmitJobRequest.model_validate(submission["request"])
        job = job_submission.submit_job(submission["tenant_id"], request)
        return submitted_job(job).model_dump(mode="json")

    return submit, config


def submit_job_once(
    tenant_id: str, request: SubmitJobRequest, idempotency_key: str, lambda_context: Any = None
) -> SubmittedJob:
    """Submit, or return the job an earlier request with the same key created.

    ``lambda_context`` lets a request that times out mid-way release its key for a retry."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    submission = {
        "tenant_id": tenant_id,
        "idempotency_key": idempotency_key,
        "request": request.model_dump(mode="json"),
    }
    submit, config = _idempotent_submit()
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)
    try:
        result = submit(submission=submission)
    except IdempotencyValidationError as exc:
        raise ConflictError(
            "this Idempotency-Key was already used with a different request body; use a new key"
        ) from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise ConflictError(
            "a request with this Idempotency-Key is still being handled; retry shortly"
        ) from exc
    return SubmittedJob.model_validate(result)
