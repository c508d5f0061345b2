"""DELETE /api/documents/{id}: delete a document the tenant uploaded, or a job's output document."""

from __future__ import annotations

from typing import Annotated

from docjobs.api.http import Path, Response, Router, tenant_of
from docjobs.api.routes.responses import errors
from docjobs.domain import jobs

router = Router()


@router.delete(
    "/api/documents/<id>",
    status_code=204,
    summary="Delete a document you uploaded (or a job's output document)",
    responses={204: {"description": "the document is deleted"}, **errors(404)},
)
def delete_document(id: Annotated[str, Path(min_length=1, max_length=64)]) -> Response:
    jobs.delete_document(tenant_of(), id)
    return Response(204, None, None)
