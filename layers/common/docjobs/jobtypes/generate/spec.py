"""The ``generate`` job type: a document (PDF, DOCX, HTML, Markdown) from a template and data.

State machine: statemachines/src/generate.asl.json (one ``generating`` stage). Imported by the
API (submission): options and checks only; the engine is imported by the stage.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from docjobs.adapters import storage
from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.generate.chaining import source_job
from docjobs.jobtypes.generate.options import (
    GenerateOptions,
    check_output_format,
    template_document_id,
    template_kind,
)
from docjobs.jobtypes.registry import JobTypeSpec


def check_request(tenant_id: str, options: BaseModel, request: Any) -> None:
    """What can be checked before the job runs: the template document (the tenant's, a .html,
    .md or .docx, able to produce the output format) and the job named by ``data_from_job``."""
    assert isinstance(options, GenerateOptions)
    if request.input is not None:
        raise InputValidationError(
            "input: a generate job reads no input URL;"
            " give the template as options.template or as document_id"
        )
    document_id = template_document_id(options, request.document_id)
    if document_id is not None:
        path = "document_id" if options.template is None else "options.template.document_id"
        key = storage.find_document_key(tenant_id, document_id)
        if key is None:
            raise InputValidationError(
                f"{path}: document {document_id} does not exist: upload it with POST /api/documents first"
            )
        check_output_format(template_kind(key.rsplit("/", 1)[-1], path=path), options.output.format)
    if options.data_from_job is not None:
        source_job(tenant_id, options.data_from_job)


SPEC = JobTypeSpec(
    name="generate",
    description="Document generation: a PDF, DOCX, HTML or Markdown document from a template and data",
    options_model=GenerateOptions,
    stage_spans={"generating": (0, 99)},
    needs_document=False,
    produces_documents=True,
    credits_per_page=1,  # per output page (a DOCX, HTML or Markdown document counts as one)
    check_request=check_request,
)
