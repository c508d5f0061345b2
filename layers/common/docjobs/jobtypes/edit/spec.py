"""The ``edit`` job type: ordered operations on a PDF (forms, real redaction, page operations,
stamps, metadata), verified before the output document is registered.
State machine: statemachines/src/edit.asl.json (uploading -> parsing [-> ocr] -> generating)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.edit.options import EditOptions, operation_path
from docjobs.jobtypes.registry import JobTypeSpec


def check_documents(tenant_id: str, options: BaseModel) -> None:
    """Every ``append_document`` names a document of this tenant (another tenant's id is as
    unknown as a made-up one)."""
    from docjobs.adapters import storage

    assert isinstance(options, EditOptions)
    for index, document_id in options.appended_document_ids():
        if storage.find_document_key(tenant_id, document_id) is None:
            raise InputValidationError(
                f"{operation_path(index, 'document_id')}: there is no document '{document_id}': "
                "upload it with POST /api/documents, or use an output document of an earlier job"
            )


def _truncated(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "document_id": summary.get("document_id"),
        "filename": summary.get("filename"),
        "url": None,
        "pages": summary.get("pages"),
        "bytes": summary.get("bytes"),
        "operations": None,
        "verification": {"passed": summary.get("verification_passed"), "residual": []},
        "truncated": True,
    }


SPEC = JobTypeSpec(
    name="edit",
    description="Document editing: fill forms, redact for real, rearrange pages, stamp, merge, "
    "metadata; the output is verified before it is registered as a new document",
    options_model=EditOptions,
    stage_spans={"uploading": (0, 5), "parsing": (5, 25), "ocr": (25, 40), "generating": (40, 99)},
    produces_documents=True,
    truncated_result=_truncated,
    # 1 per page of the input (the contract's rate); OCR (only with ocr: auto) adds nothing
    credits_per_page=1,
    credits_per_ocr_page=0,
    check_submission=check_documents,
)
