"""What the API and the S3 upload trigger do with jobs: submit, view, list, cancel."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from docjobs.adapters import aws_clients, job_store, storage
from docjobs.adapters.job_store import JobAlreadyTerminalError
from docjobs.api.schemas import JobDetail, JobListResponse, JobSummary, SubmitJobRequest, SubmittedJob
from docjobs.core.errors import JOB_ERROR_CODES, ConflictError, DocjobsError, InputValidationError
from docjobs.core.models import (
    ENABLED_JOB_TYPES,
    JobListing,
    JobRecord,
    new_id,
    utc_now,
)
from docjobs.core.observability import logger
from docjobs.core.settings import get_settings
from docjobs.domain.transitions import cancel_job_record, fail_job
from docjobs.domain.webhooks import new_webhook_secret
from docjobs.jobtypes.parse.options import validate_options


def _filename_of(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def _file_type_of(filename: str) -> str | None:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else None


def submit_job(tenant_id: str, request: SubmitJobRequest, *, document_key: str | None = None) -> JobRecord:
    """Validate, store the job as ``queued`` and start its execution (named after the job id).

    ``document_key`` is given by the S3 upload trigger, which already knows the object.
    """
    if request.type not in ENABLED_JOB_TYPES:
        raise InputValidationError(
            f"job type '{request.type}' is not available in this deployment; "
            f"available: {', '.join(sorted(ENABLED_JOB_TYPES))}"
        )
    options = validate_options(request.type, request.options)
    if request.document_id is not None and document_key is None:
        document_key = storage.find_document_key(tenant_id, request.document_id)
        if document_key is None:
            raise InputValidationError(
                f"document {request.document_id} does not exist: upload it with POST /api/documents first"
            )
    source = document_key or (request.input.path if request.input else None) or ""
    filename = _filename_of(source) or None
    now = utc_now()
    job = JobRecord(
        id=new_id(),
        tenant_id=tenant_id,
        type=request.type,
        status="queued",
        progress=0,
        document_id=request.document_id,
        input_url=str(request.input) if request.input else None,
        document_key=document_key,
        metadata={"filename": filename, "file_type": _file_type_of(filename or "")},
        options=options,
        webhook_url=str(request.webhook_url) if request.webhook_url else None,
        webhook_secret=new_webhook_secret() if request.webhook_url else None,
        client_metadata=request.metadata,
        created_at=now,
        updated_at=now,
        expires_at=int((now + timedelta(days=get_settings().job_ttl_days)).timestamp()),
    )
    job_store.create_job(job)
    _start_execution(job)
    return job


def execution_input(job: JobRecord) -> dict[str, Any]:
    """What the state machine receives: ids and limits only, never document content."""
    return {
        "tenant_id": job.tenant_id,
        "job_id": job.id,
        "job_type": job.type,
        "limits": {"stage_timeout_seconds": get_settings().stage_timeout_seconds},
    }


def _start_execution(job: JobRecord) -> None:
    settings = get_settings()
    try:
        aws_clients.stepfunctions().start_execution(
            stateMachineArn=settings.state_machine_arn,
            name=job.id,
            input=json.dumps(execution_input(job)),
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
            return  # the job id is the execution name: a repeated start is a no-op
        logger.exception("could not start the execution", extra={"job_id": job.id})
        _fail_unstarted(job, f"could not start processing: {exc.response.get('Error', {}).get('Message')}")
        raise


def _fail_unstarted(job: JobRecord, message: str) -> None:
    try:
        fail_job(job.tenant_id, job.id, message, "INTERNAL_ERROR")
    except DocjobsError:
        logger.exception("could not mark the unstarted job failed", extra={"job_id": job.id})


def job_summary(job: JobListing) -> JobSummary:
    return JobSummary.model_validate(job.model_dump(mode="json", include=set(JobSummary.model_fields)))


def submitted_job(job: JobRecord) -> SubmittedJob:
    """The job as ``POST /api/jobs`` answers it: with its webhook secret, the only time it is shown."""
    return SubmittedJob.model_validate({**job_detail(job).model_dump(), "webhook_secret": job.webhook_secret})


def job_detail(job: JobRecord) -> JobDetail:
    data = job.model_dump(mode="json", include=set(JobDetail.model_fields) - {"result"})
    if data.get("error_code") is not None and data["error_code"] not in JOB_ERROR_CODES:
        # The API shows only the spec's codes; anything else a stage recorded is internal.
        data["error_code"] = "INTERNAL_ERROR"
    result: dict[str, Any] | None = None
    result_url: str | None = None
    if job.status == "completed" and job.result is not None:
        if job.result.size_bytes <= get_settings().max_inline_result_bytes:
            result = _stored_result(job.id, job.result.key)
        else:
            result = {"metadata": job.result.summary, "chunks": None, "truncated": True}
        if result is not None:
            result_url = storage.presigned_download(job.result.key)
    return JobDetail.model_validate({**data, "result": result, "result_url": result_url})


def _stored_result(job_id: str, key: str) -> dict[str, Any] | None:
    """The published result, or None when its object is gone (the results/ lifecycle rule can
    delete it before DynamoDB's TTL deletes the job): a missing result is never a 500."""
    try:
        value = storage.get_json(key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
            logger.warning("the result of a completed job is gone", extra={"job_id": job_id})
            return None
        raise
    return value if isinstance(value, dict) else {"value": value}


def get_job(tenant_id: str, job_id: str) -> JobDetail:
    return job_detail(job_store.get_job(tenant_id, job_id))


def list_jobs(
    tenant_id: str,
    *,
    status: str | None,
    job_type: str | None,
    limit: int,
    offset: int,
    page_token: str | None,
) -> JobListResponse:
    page = job_store.list_jobs(
        tenant_id, status=status, job_type=job_type, limit=limit, offset=offset, page_token=page_token
    )
    return JobListResponse(
        jobs=[job_summary(j) for j in page.jobs],
        total=page.total,
        has_more=page.has_more,
        next_token=page.next_token,
    )


def cancel_job(tenant_id: str, job_id: str) -> JobRecord:
    """Mark the job cancelled (conditional write), then stop its execution.

    The status is written first: from that moment every stage's conditional write
    fails, so nothing the execution still does can change the job or publish a result.
    """
    try:
        job = cancel_job_record(tenant_id, job_id)
    except JobAlreadyTerminalError as exc:
        raise ConflictError(
            f"job {job_id} is {exc.status}: only queued, processing or retrying jobs can be cancelled"
        ) from exc
    stop_execution(execution_arn_for(job.id), "cancelled through the API")
    return job


def execution_arn_for(job_id: str) -> str:
    """The job's execution ARN: the execution is named after the job id."""
    state_machine_arn = get_settings().state_machine_arn
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + job_id


def stop_execution(execution_arn: str, cause: str) -> None:
    try:
        aws_clients.stepfunctions().stop_execution(
            executionArn=execution_arn, error="JobCancelled", cause=cause
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ExecutionDoesNotExist":
            logger.warning("could not stop the execution", extra={"execution_arn": execution_arn})
    except BotoCoreError:
        # Best effort: the job is already cancelled, so every later stage write fails and the
        # execution ends without effect. A cancel that took must not answer 500 (a retry is a 409).
        logger.warning("could not reach Step Functions to stop the execution", exc_info=True)


def create_document_upload(tenant_id: str, filename: str, content_type: str | None) -> dict[str, str]:
    document_id = new_id()
    url, expires_at = storage.presigned_upload(
        storage.document_key(tenant_id, document_id, filename), content_type
    )
    return {"document_id": document_id, "upload_url": url, "expires_at": expires_at}
