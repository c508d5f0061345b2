"""POST /api/documents: an upload URL for a new document."""

from __future__ import annotations

from docjobs.api.http import Router, tenant_of
from docjobs.api.routes.responses import errors, ok
from docjobs.api.schemas.documents import CreateDocumentRequest, CreateDocumentResponse
from docjobs.domain import jobs

router = Router()


@router.post(
    "/api/documents",
    status_code=201,
    summary="Create an upload URL for a document",
    responses={**ok(201, "the upload URL", CreateDocumentResponse), **errors()},
)
def create_document(body: CreateDocumentRequest) -> CreateDocumentResponse:
    upload = jobs.create_document_upload(tenant_of(), body.filename, body.content_type)
    return CreateDocumentResponse(**upload)
