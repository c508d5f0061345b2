"""GET /api/jobs: one page of the tenant's jobs, newest first."""

from __future__ import annotations

from typing import Annotated

from docjobs.api import views
from docjobs.api.http import Query, Router, tenant_of
from docjobs.api.routes.responses import errors, ok
from docjobs.api.schemas.jobs import JobListResponse
from docjobs.core.models import JobStatus, JobType
from docjobs.jobtypes.registry import check_listable_type

router = Router()


@router.get(
    "/api/jobs",
    summary="List jobs, newest first",
    responses={**ok(200, "one page of jobs", JobListResponse), **errors()},
)
def list_jobs(
    status: Annotated[JobStatus | None, Query(description="Filter by status")] = None,
    type: Annotated[JobType | None, Query(description="Filter by job type")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Results per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000, description="Pagination offset")] = 0,
    page_token: Annotated[
        str | None, Query(max_length=512, description="next_token of the previous page")
    ] = None,
) -> JobListResponse:
    if type is not None:
        check_listable_type(type)
    return views.list_jobs(
        tenant_of(),
        status=status,
        job_type=type,
        limit=limit,
        offset=offset,
        page_token=page_token,
    )
