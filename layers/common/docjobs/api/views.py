"""How the API shows jobs: records and stored results → response models."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from docjobs.adapters import job_store, storage
from docjobs.api.result_cache import stored_result
from docjobs.api.schemas.jobs import JobDetail, JobListResponse, JobSummary
from docjobs.core.errors import JOB_ERROR_CODES
from docjobs.core.models import JobListing, JobRecord
from docjobs.core.settings import get_settings
from docjobs.jobtypes.registry import find_job_type


def job_summary(job: JobListing) -> JobSummary:
    return JobSummary.model_validate(job.model_dump(mode="json", include=set(JobSummary.model_fields)))


def job_detail(job: JobRecord) -> JobDetail:
    data = job.model_dump(mode="json", include=set(JobDetail.model_fields) - {"result"})
    if data.get("error_code") is not None and data["error_code"] not in JOB_ERROR_CODES:
        # The API shows only the spec's codes; anything else a stage recorded is internal.
        data["error_code"] = "INTERNAL_ERROR"
    result: dict[str, Any] | None = None
    result_url: str | None = None
    if job.status == "completed" and job.result is not None:
        if job.result.size_bytes <= get_settings().max_inline_result_bytes:
            pointer = job.result
            result = stored_result(job.id, pointer.key, pointer.size_bytes, pointer.etag)
        else:
            spec = find_job_type(job.type)
            summary = job.result.summary
            result = spec.truncated_result(summary) if spec else {"metadata": summary, "truncated": True}
        if result is not None:
            result_url = storage.presigned_download(job.result.key)
            documents = set(job.result.summary.get("documents") or ())
            result = _refresh_document_urls(result, documents, job.tenant_id)
    return JobDetail.model_validate({**data, "result": result, "result_url": result_url})


def _refresh_document_urls(value: Any, document_ids: Collection[str], tenant_id: str) -> Any:
    """Output documents in a result carry ``url``: a fresh presigned GET on every read (a URL
    stored at completion would expire). Returns the result with new URLs, copied where they
    changed: the cached result itself is never modified."""
    if not document_ids:
        return value
    if isinstance(value, dict):
        changed = {k: _refresh_document_urls(v, document_ids, tenant_id) for k, v in value.items()}
        if value.get("document_id") in document_ids and "url" in value:
            key = storage.document_key(tenant_id, value["document_id"], str(value.get("filename") or ""))
            changed["url"] = storage.presigned_download(key)
        return changed
    if isinstance(value, list):
        return [_refresh_document_urls(item, document_ids, tenant_id) for item in value]
    return value


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
