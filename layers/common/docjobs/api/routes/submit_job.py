"""POST /api/jobs: submit a job (once per Idempotency-Key when one is sent)."""

from __future__ import annotations

from typing import Annotated

from docjobs.api.http import Header, Router, current_resolver, tenant_of
from docjobs.api.routes.responses import errors, ok
from docjobs.api.schemas.submitted import SubmittedJob, submitted_job
from docjobs.domain import submission
from docjobs.domain.submission import SubmitJobRequest

router = Router()


@router.post(
    "/api/jobs",
    status_code=202,
    summary="Submit a job",
    responses={**ok(202, "the queued job", SubmittedJob), **errors(409, 429)},
)
def submit_job(
    body: SubmitJobRequest,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=128,
            description="retrying with the same key returns the first job instead of creating another",
        ),
    ] = None,
) -> SubmittedJob:
    tenant = tenant_of()
    if idempotency_key is not None:
        from docjobs.api.idempotency import submit_job_once

        return submit_job_once(tenant, body, idempotency_key, current_resolver().lambda_context)
    return submitted_job(submission.submit_job(tenant, body))
