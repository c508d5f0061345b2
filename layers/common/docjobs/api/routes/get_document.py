"""GET /api/documents/{id}: an upload or a job's output document, with a download URL."""

from __future__ import annotations

from typing import Annotated

from docjobs.adapters import storage
from docjobs.api.http import Path, Router, tenant_of
from docjobs.api.routes.responses import errors, ok
from docjobs.api.schemas.documents import DocumentResponse
from docjobs.domain import jobs

router = Router()


@router.get(
    "/api/documents/<id>",
    summary="Get a document (an upload or a job's output document) with a download URL",
    responses={**ok(200, "the document", DocumentResponse), **errors(404)},
)
def get_document(id: Annotated[str, Path(min_length=1, max_length=64)]) -> DocumentResponse:
    info = jobs.get_document(tenant_of(), id)
    return DocumentResponse(**info.model_dump(), download_url=storage.presigned_download(info.key))
