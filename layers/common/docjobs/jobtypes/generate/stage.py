"""The generate type's one stage, ``generating``: render the template with the data, stage the
output document, publish the result and complete the job.

Reads the template (inline, or a document of the tenant: the job's ``document_id`` or
``options.template.document_id``), the data (inline or an extract job's ``result.data``) and any
``document:<id>`` images, renders in the sandboxed child process (engine.generate_document),
and publishes ``{document_id, filename, url, format, pages, bytes, sha256, variables}``. A job
cancelled meanwhile registers nothing: the output stays a staged work file and publish_result
withdraws what it wrote. Credits (1 per output page) are reserved once the document is rendered,
before it is stored; an ``inspect`` job writes no document and costs nothing.
"""

from __future__ import annotations

from typing import Any

from docjobs.adapters import storage
from docjobs.core.errors import InputValidationError
from docjobs.core.models import JobRecord
from docjobs.core.settings import get_settings
from docjobs.domain import transitions
from docjobs.jobtypes.generate.chaining import load_job_data
from docjobs.jobtypes.generate.engine import TemplateSource, generate_document, inspect_template
from docjobs.jobtypes.generate.options import GenerateOptions, template_document_id
from docjobs.jobtypes.generate.rendering import RenderLimits
from docjobs.jobtypes.registry import get_job_type
from docjobs.pipeline.results import PublishedResult, publish_result, write_json_result
from docjobs.pipeline.runner import StageInput, stage


class GenerateInput(StageInput):
    pass


def _document(tenant_id: str, document_id: str, path: str) -> tuple[str, bytes]:
    """(filename, bytes) of a document of the tenant; a VALIDATION_ERROR naming ``path`` if it is gone."""
    key = storage.find_document_key(tenant_id, document_id)
    if key is None:
        raise InputValidationError(
            f"{path}: document {document_id} does not exist (deleted since submission?)"
        )
    return key.rsplit("/", 1)[-1], storage.get_bytes(key)


#: The template of a job with instructions and no template: the written Markdown is the document.
WRITTEN_DOCUMENT = TemplateSource(kind="markdown", text="{{ generated }}")


def _template(job: JobRecord, options: GenerateOptions) -> TemplateSource:
    if options.template is None and options.instructions is not None:
        return WRITTEN_DOCUMENT
    if options.template is not None and options.template.document_id is None:
        return TemplateSource.inline(options.template)
    document_id = template_document_id(options, job.document_id)
    assert document_id is not None
    path = "document_id" if options.template is None else "options.template.document_id"
    filename, content = _document(job.tenant_id, document_id, path)
    return TemplateSource.from_document(filename, content, path=path)


def render_limits() -> RenderLimits:
    """The render limits of this deployment (RenderLimits' defaults)."""
    return RenderLimits()


@stage("generating")
def generate(task: GenerateInput, job: JobRecord) -> PublishedResult:
    options = GenerateOptions.model_validate(job.options)
    template = _template(job, options)
    limits = render_limits()
    transitions.report_progress(job.tenant_id, job.id, "generating", 0.1)

    if options.inspect:
        inspection = inspect_template(template, limits)
        result: dict[str, Any] = {
            "document_id": None,
            "filename": None,
            "url": None,
            "format": None,
            "pages": None,
            "bytes": None,
            "sha256": None,
            "variables": inspection.variables,
            "fields": inspection.fields,
            "missing": [],
        }
        return publish_result(
            job, write_json_result(result), {"inspect": True, "variables": len(inspection.variables)}
        )

    if options.data_from_job is not None:
        data = load_job_data(job.tenant_id, options.data_from_job)
    else:
        data = options.data or {}
    written: dict[str, Any] | None = None
    if options.instructions is not None:
        # what the extracting stage's model wrote: the variables generated / generated_html
        from docjobs.jobtypes.generate.markdown_html import markdown_to_html
        from docjobs.jobtypes.generate.writing import GENERATED_MARKDOWN

        written = storage.get_json(storage.work_key(job.tenant_id, job.id, GENERATED_MARKDOWN))
        assert written is not None
        data = {
            **data,
            "generated": written["markdown"],
            "generated_html": markdown_to_html(written["markdown"]),
        }

    def load_image(document_id: str) -> bytes:
        return _document(job.tenant_id, document_id, f"image document:{document_id}")[1]

    transitions.report_progress(job.tenant_id, job.id, "generating", 0.2)
    document = generate_document(
        template, data, output=options.output, strict=options.strict, limits=limits, load_image=load_image
    )
    # The cost is known now (1 credit per output page; a DOCX, HTML or Markdown file counts as
    # one page). Reserving also stops here, before anything is written, if the job was cancelled.
    cost = get_job_type(job.type).cost(document.pages or 1, 0, get_settings().credit_rate_scale)
    transitions.reserve_credits(job.tenant_id, job.id, cost)
    transitions.report_progress(job.tenant_id, job.id, "generating", 0.9)
    output = storage.stage_output(
        job.tenant_id,
        job.id,
        document.filename,
        document.content,
        document.content_type,
        pages=document.pages,
    )
    result = {
        "document_id": output.document_id,
        "filename": document.filename,
        "url": None,  # a presigned GET, made fresh on every read of the job
        "format": document.format,
        "pages": document.pages,
        "bytes": document.bytes,
        "sha256": document.sha256,
        "variables": document.variables,
        # strict false: the variables the data lacked (they rendered empty)
        "missing": [{"variable": m.variable, "line": m.line, "near": m.near} for m in document.missing],
    }
    if written is not None:
        result["model"] = {
            key: written[key] for key in ("engine", "model", "usage", "pages_read", "truncated")
        }
    summary = {"format": document.format, "pages": document.pages, "bytes": document.bytes}
    return publish_result(job, write_json_result(result), summary, [output])
