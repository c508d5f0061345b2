"""The API's routes, one Router each, so every Lambda function carries just its own.

template.yaml declares the same method and path on the function that includes the
router; tests/unit/test_api_contract.py checks the two agree.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query

from docjobs.api import views
from docjobs.api.http import current_resolver, tenant_of
from docjobs.api.schemas import (
    CancelJobResponse,
    CreateDocumentRequest,
    CreateDocumentResponse,
    DocumentResponse,
    ErrorResponse,
    JobDetail,
    JobListResponse,
    SubmitJobRequest,
    SubmittedJob,
    UsageResponse,
)
from docjobs.core.models import JobStatus, JobType
from docjobs.domain import credits, jobs, submission
from docjobs.jobtypes.registry import check_listable_type


def _error(status: int, code: str) -> dict[int, Any]:
    return {status: {"description": code, "content": {"application/json": {"model": ErrorResponse}}}}


_ERRORS = {**_error(400, "VALIDATION_ERROR"), **_error(401, "UNAUTHORIZED")}
_NOT_FOUND = _error(404, "NOT_FOUND")


def _ok(status: int, description: str, model: type) -> dict[int, Any]:
    """The success response (Powertools documents only ``responses`` once any are given)."""
    return {status: {"description": description, "content": {"application/json": {"model": model}}}}


_CONFLICT = _error(409, "CONFLICT")
_QUOTA = _error(429, "QUOTA_EXCEEDED")

documents_router = Router()
get_document_router = Router()
delete_document_router = Router()
submit_job_router = Router()
list_jobs_router = Router()
get_job_router = Router()
cancel_job_router = Router()
usage_router = Router()

ALL_ROUTERS = (
    documents_router,
    get_document_router,
    delete_document_router,
    submit_job_router,
    list_jobs_router,
    get_job_router,
    cancel_job_router,
    usage_router,
)


@documents_router.post(
    "/api/documents",
    status_code=201,
    summary="Create an upload URL for a document",
    responses={**_ok(201, "the upload URL", CreateDocumentResponse), **_ERRORS},
)
def create_document(body: CreateDocumentRequest) -> CreateDocumentResponse:
    upload = jobs.create_document_upload(tenant_of(), body.filename, body.content_type)
    return CreateDocumentResponse(**upload)


@get_document_router.get(
    "/api/documents/<id>",
    summary="Get a document (an upload or a job's output document) with a download URL",
    responses={**_ok(200, "the document", DocumentResponse), **_ERRORS, **_NOT_FOUND},
)
def get_document(id: Annotated[str, Path(min_length=1, max_length=64)]) -> DocumentResponse:
    return views.document_response(jobs.get_document(tenant_of(), id))


@delete_document_router.delete(
    "/api/documents/<id>",
    status_code=204,
    summary="Delete a document you uploaded (or a job's output document)",
    responses={204: {"description": "the document is deleted"}, **_ERRORS, **_NOT_FOUND},
)
def delete_document(id: Annotated[str, Path(min_length=1, max_length=64)]) -> Response[None]:
    jobs.delete_document(tenant_of(), id)
    return Response(status_code=204, content_type="application/json", body=None)


@submit_job_router.post(
    "/api/jobs",
    status_code=202,
    summary="Submit a job",
    responses={**_ok(202, "the queued job", SubmittedJob), **_ERRORS, **_CONFLICT, **_QUOTA},
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
    return views.submitted_job(submission.submit_job(tenant, body))


@list_jobs_router.get(
    "/api/jobs",
    summary="List jobs, newest first",
    responses={**_ok(200, "one page of jobs", JobListResponse), **_ERRORS},
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


@get_job_router.get(
    "/api/jobs/<id>",
    summary="Get a job",
    responses={**_ok(200, "the job", JobDetail), **_ERRORS, **_NOT_FOUND},
)
def get_job(id: Annotated[str, Path(min_length=1, max_length=64)]) -> JobDetail:
    return views.get_job(tenant_of(), id)


@cancel_job_router.delete(
    "/api/jobs/<id>",
    summary="Cancel a queued, processing or retrying job",
    responses={**_ok(200, "the job is cancelled", CancelJobResponse), **_ERRORS, **_NOT_FOUND, **_CONFLICT},
)
def cancel_job(id: Annotated[str, Path(min_length=1, max_length=64)]) -> CancelJobResponse:
    job = jobs.cancel_job(tenant_of(), id)
    return CancelJobResponse(success=True, job_id=job.id, status="cancelled")


@usage_router.get(
    "/api/usage",
    summary="Credits used, reserved and remaining in a month",
    responses={**_ok(200, "the month's credits", UsageResponse), **_ERRORS},
)
def usage(
    period: Annotated[
        str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (UTC); default: this month")
    ] = None,
) -> UsageResponse:
    return views.usage_response(credits.usage_for(tenant_of(), period))
