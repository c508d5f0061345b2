"""What a tenant does with its jobs and documents besides submitting: cancel, upload, look up."""

from __future__ import annotations

from docjobs.adapters import executions, storage
from docjobs.adapters.job_store import JobAlreadyTerminalError
from docjobs.adapters.storage import DocumentInfo
from docjobs.core.errors import ConflictError, NotFoundError
from docjobs.core.models import JobRecord
from docjobs.core.values import new_id
from docjobs.domain.transitions import cancel_job_record
from docjobs.jobtypes.registry import get_job_type


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
    executions.stop_execution(execution_arn_for(job), "cancelled through the API")
    get_job_type(job.type).run_after_end(job)
    return job


def execution_arn_for(job: JobRecord) -> str:
    """The job's execution ARN: its type's state machine, the execution named after the job id."""
    return executions.execution_arn(get_job_type(job.type).state_machine_arn(), job.id)


def create_document_upload(tenant_id: str, filename: str, content_type: str | None) -> dict[str, str]:
    document_id = new_id()
    url, expires_at = storage.presigned_upload(
        storage.document_key(tenant_id, document_id, filename), content_type
    )
    return {"document_id": document_id, "upload_url": url, "expires_at": expires_at}


def get_document(tenant_id: str, document_id: str) -> DocumentInfo:
    """An uploaded or output document of the tenant; 404 for another tenant's or an unknown id,
    and for an upload URL that was created but not used yet."""
    info = storage.describe_document(tenant_id, document_id)
    if info is None:
        raise NotFoundError(
            f"document {document_id} not found (an upload URL's document exists once the file is uploaded)"
        )
    return info


def delete_document(tenant_id: str, document_id: str) -> None:
    """Remove a tenant's document (an upload or an output document). A job that still needs it
    fails with VALIDATION_ERROR ("no longer in storage"); its published result is kept."""
    if storage.delete_document(tenant_id, document_id) == 0:
        raise NotFoundError(f"document {document_id} not found")
