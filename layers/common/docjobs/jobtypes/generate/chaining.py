"""``options.data_from_job``: the data of a generate job is a completed extract job's ``result.data``.

Checked at submission (the job is the tenant's, an extract job, completed) and read when the job
runs (validated like inline ``data``: a JSON object of at most 1 MB).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from docjobs.adapters import job_store, storage
from docjobs.core.errors import InputValidationError, NotFoundError
from docjobs.core.models import JobRecord
from docjobs.jobtypes.generate.options import check_data_size

__all__ = ["SOURCE_JOB_TYPE", "load_job_data", "source_job"]

SOURCE_JOB_TYPE = "extract"
_PATH = "options.data_from_job"


def source_job(tenant_id: str, job_id: str) -> JobRecord:
    """The completed extract job ``job_id`` of the tenant, or a VALIDATION_ERROR saying why not.

    Another tenant's job is reported exactly like a job that does not exist.
    """
    try:
        job = job_store.get_job(tenant_id, job_id)
    except NotFoundError as exc:
        raise InputValidationError(f"{_PATH}: job {job_id} is not one of your jobs") from exc
    if job.type != SOURCE_JOB_TYPE:
        raise InputValidationError(
            f"{_PATH}: job {job_id} is a {job.type} job; data_from_job takes a completed extract job"
        )
    if job.status != "completed" or job.result is None:
        raise InputValidationError(
            f"{_PATH}: job {job_id} is {job.status}; data_from_job takes a completed extract job"
        )
    return job


def load_job_data(tenant_id: str, job_id: str) -> dict[str, Any]:
    """The ``result.data`` object of the tenant's completed extract job ``job_id``."""
    job = source_job(tenant_id, job_id)
    assert job.result is not None  # source_job checked it
    try:
        result = storage.get_json(job.result.key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
            raise InputValidationError(f"{_PATH}: the result of job {job_id} has expired") from exc
        raise
    data = result.get("data") if isinstance(result, dict) else None
    if not isinstance(data, dict):
        raise InputValidationError(f"{_PATH}: the result of job {job_id} has no data object")
    check_data_size(data, source=_PATH)
    return data
