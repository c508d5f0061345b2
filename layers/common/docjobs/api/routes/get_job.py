"""GET /api/jobs/{id}: a job, with its result once completed."""

from __future__ import annotations

from typing import Annotated

from docjobs.api import views
from docjobs.api.http import Path, Router, tenant_of
from docjobs.api.routes.responses import errors, ok
from docjobs.api.schemas.jobs import JobDetail

router = Router()


@router.get(
    "/api/jobs/<id>",
    summary="Get a job",
    responses={**ok(200, "the job", JobDetail), **errors(404)},
)
def get_job(id: Annotated[str, Path(min_length=1, max_length=64)]) -> JobDetail:
    return views.get_job(tenant_of(), id)
