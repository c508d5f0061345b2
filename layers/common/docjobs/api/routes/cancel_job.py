"""DELETE /api/jobs/{id}: cancel a queued, processing or retrying job."""

from __future__ import annotations

from typing import Annotated

from docjobs.api.http import Path, Router, tenant_of
from docjobs.api.routes.responses import errors, ok
from docjobs.api.schemas.jobs import CancelJobResponse
from docjobs.domain import jobs

router = Router()


@router.delete(
    "/api/jobs/<id>",
    summary="Cancel a queued, processing or retrying job",
    responses={**ok(200, "the job is cancelled", CancelJobResponse), **errors(404, 409)},
)
def cancel_job(id: Annotated[str, Path(min_length=1, max_length=64)]) -> CancelJobResponse:
    job = jobs.cancel_job(tenant_of(), id)
    return CancelJobResponse(success=True, job_id=job.id, status="cancelled")
