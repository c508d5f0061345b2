"""The ``generate`` job type: a document (PDF, DOCX, HTML, Markdown) from a template and data.

State machine: statemachines/src/generate.asl.json (``extracting`` (a model writes Markdown) when
``options.instructions`` is given, then ``generating``). Imported by the API (submission):
options and checks only; the engines are imported by the stages.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from docjobs.adapters import storage
from docjobs.core.errors import InputValidationError
from docjobs.core.models import JobRecord
from docjobs.engines.models import check_engine_request, configured_engines
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
    if options.instructions is not None:
        _check_model_engine(options)
        if request.document_id is not None:
            _check_input_document(tenant_id, request.document_id)
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


def _check_model_engine(options: GenerateOptions) -> None:
    """Instructions need a model: a 400 naming the configured engines when only rules is there."""
    name, _ = check_engine_request(options.engine, options.model, path="options")
    if name == "rules":
        configured = configured_engines()
        models = [engine for engine in configured if engine != "rules"]
        raise InputValidationError(
            "options.instructions: writing content from instructions needs a model engine"
            f" (bedrock or openai); configured engines: {', '.join(configured)}"
            + (f"; choose one of {', '.join(models)} as options.engine" if models else ""),
            details={"configured_engines": configured},
        )


def _check_input_document(tenant_id: str, document_id: str) -> None:
    if storage.find_document_key(tenant_id, document_id) is None:
        raise InputValidationError(
            f"document_id: document {document_id} does not exist: upload it with POST /api/documents first"
        )


def _execution_flags(job: JobRecord) -> dict[str, Any]:
    """What the state machine's Choice reads: whether a model writes Markdown first."""
    return {"instructions": bool(job.options.get("instructions"))}


SPEC = JobTypeSpec(
    name="generate",
    description="Document generation: a PDF, DOCX, HTML or Markdown document from a template and data",
    options_model=GenerateOptions,
    stage_spans={"extracting": (0, 60), "generating": (60, 99)},
    needs_document=False,
    produces_documents=True,
    credits_per_page=1,  # per output page (a DOCX, HTML or Markdown document counts as one)
    check_request=check_request,
    execution_flags=_execution_flags,
)
