"""Options of a ``generate`` job, checked at submission (no document, no network).

Shape (see the contract, job-types.md "generate")::

    {"template": {"html": "..."} | {"markdown": "..."} | {"document_id": "..."},
     "data": {...} (<= 1 MB as JSON) | "data_from_job": "<extract job id>",
     "instructions": "...", "engine": "auto", "model": null,
     "output": {"format": "pdf" | "docx" | "html" | "md", "filename": "...",
                "page_size": "A4" | "letter", "margin_mm": 20},
     "strict": true, "inspect": false}

An inline template's syntax is checked here: a 400 names the line and Jinja's message. A
template given as a document is checked when the job runs (it fails VALIDATION_ERROR the same way).
Jinja2 is imported only when an inline template is checked.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from docjobs.core.errors import InputValidationError

__all__ = [
    "MAX_DATA_BYTES",
    "MAX_INLINE_TEMPLATE_CHARS",
    "GenerateOptions",
    "OutputFormat",
    "OutputOptions",
    "TemplateKind",
    "TemplateOptions",
    "check_data_size",
    "check_output_format",
    "template_document_id",
    "template_kind",
]

TemplateKind = Literal["html", "markdown", "docx"]
OutputFormat = Literal["pdf", "docx", "html", "md"]

#: ``data`` (inline or from an extract job) as compact JSON may not exceed 1 MB.
MAX_DATA_BYTES = 1_048_576
MAX_INLINE_TEMPLATE_CHARS = 1_000_000
_FILENAME_PATTERN = r"^[^/\\\x00-\x1f\x7f]{1,200}$"

#: Which output each kind of template can produce, and why not the others.
_UNSUPPORTED_OUTPUT: dict[tuple[TemplateKind, OutputFormat], str] = {
    ("html", "md"): "an HTML template cannot produce Markdown; use a Markdown template for md output",
    ("html", "docx"): "DOCX output needs a .docx template (HTML is not converted to Word)",
    ("markdown", "docx"): "DOCX output needs a .docx template (Markdown is not converted to Word)",
    ("docx", "pdf"): (
        "a .docx template produces DOCX only: converting Word to PDF needs an office suite,"
        " which the Lambda runtime does not have; use an HTML or Markdown template for PDF output"
    ),
    ("docx", "html"): "a .docx template produces DOCX only; use an HTML template for html output",
    ("docx", "md"): "a .docx template produces DOCX only; use a Markdown template for md output",
}


#: Template documents by extension.
TEMPLATE_KINDS: dict[str, TemplateKind] = {
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".docx": "docx",
}


def template_kind(filename: str, *, path: str = "options.template.document_id") -> TemplateKind:
    """The kind of template a document is, by its extension; a VALIDATION_ERROR naming ``path``."""
    dot = filename.rfind(".")
    kind = TEMPLATE_KINDS.get(filename[dot:].lower()) if dot >= 0 else None
    if kind is None:
        raise InputValidationError(
            f"{path}: {filename!r} is not a template: use a .html, .md or .docx document",
            details={"errors": [{"loc": path.split("."), "msg": "not a .html, .md or .docx document"}]},
        )
    return kind


def check_output_format(kind: TemplateKind, output_format: OutputFormat) -> None:
    """A VALIDATION_ERROR when a ``kind`` template cannot produce ``output_format``, saying why."""
    reason = _UNSUPPORTED_OUTPUT.get((kind, output_format))
    if reason is not None:
        raise InputValidationError(
            f"options.output.format: {output_format} is not available: {reason}",
            details={"errors": [{"loc": ["output", "format"], "msg": reason}]},
        )


def check_data_size(data: dict[str, Any], *, source: str = "options.data") -> None:
    """A VALIDATION_ERROR when ``data`` is more than 1 MB as JSON."""
    size = len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_DATA_BYTES:
        raise InputValidationError(
            f"{source} is {size:,} bytes as JSON; the limit is 1 MB ({MAX_DATA_BYTES:,} bytes)",
            details={"bytes": size, "limit": MAX_DATA_BYTES},
        )


def _syntax_checked(source: str) -> str:
    # Jinja2 is imported only here: every API function imports this module (the registry), and
    # only a submission with an inline template needs the parser.
    from docjobs.jobtypes.generate.sandbox import TemplateCheckError, check_template_syntax

    try:
        check_template_syntax(source)
    except TemplateCheckError as exc:
        raise PydanticCustomError(
            "template_syntax",
            "template syntax error at line {line}: {message}",
            {"line": exc.line, "message": exc.message},
        ) from exc
    return source


class TemplateOptions(BaseModel):
    """Exactly one of ``html``, ``markdown`` or ``document_id``."""

    model_config = ConfigDict(extra="forbid")

    html: str | None = Field(
        default=None, max_length=MAX_INLINE_TEMPLATE_CHARS, description="an HTML Jinja2 template"
    )
    markdown: str | None = Field(
        default=None, max_length=MAX_INLINE_TEMPLATE_CHARS, description="a Markdown Jinja2 template"
    )
    document_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$",
        description="an uploaded .html, .md or .docx template (or an output document)",
    )

    @field_validator("html", "markdown")
    @classmethod
    def _syntax(cls, value: str | None) -> str | None:
        return None if value is None else _syntax_checked(value)

    @model_validator(mode="after")
    def _exactly_one(self) -> TemplateOptions:
        given = [name for name in ("html", "markdown", "document_id") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of html, markdown or document_id"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    @property
    def inline_kind(self) -> TemplateKind | None:
        """``html`` or ``markdown`` for an inline template; None for a document."""
        if self.html is not None:
            return "html"
        if self.markdown is not None:
            return "markdown"
        return None


class OutputOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: OutputFormat = Field(default="pdf", description="pdf (default), docx, html or md")
    filename: str | None = Field(
        default=None,
        pattern=_FILENAME_PATTERN,
        description="name of the output document; the format's extension is added when missing",
    )
    page_size: Literal["A4", "letter"] = Field(default="A4", description="PDF page size")
    margin_mm: float = Field(default=20.0, ge=0, le=60, description="PDF page margins in millimetres")

    @field_validator("filename")
    @classmethod
    def _a_name(cls, value: str | None) -> str | None:
        if value is not None and value.strip(" .") == "":
            raise PydanticCustomError("filename", "a file name, not {value!r}", {"value": value})
        return value


class GenerateOptions(BaseModel):
    """Options of a ``generate`` job."""

    model_config = ConfigDict(extra="forbid")

    template: TemplateOptions | None = Field(
        default=None, description="the template; may instead be given as the job's document_id"
    )
    data: dict[str, Any] | None = Field(default=None, description="JSON object (<= 1 MB) for the template")
    data_from_job: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$",
        description="id of a completed extract job of yours: its result.data is the data",
    )
    instructions: str | None = Field(
        default=None,
        min_length=1,
        max_length=20_000,
        description="the engine writes Markdown from the input document and these instructions",
    )
    engine: str = Field(
        default="auto",
        min_length=1,
        max_length=32,
        description="engine for instructions: auto, bedrock or openai (a 400 names the configured ones)",
    )
    model: str | None = Field(
        default=None, min_length=1, max_length=256, description="model for instructions (an allowed one)"
    )
    output: OutputOptions = Field(default_factory=OutputOptions)
    strict: bool = Field(
        default=True, description="a variable the template uses and the data lacks fails the job"
    )
    inspect: bool = Field(default=False, description="return the template's variables without rendering")

    @field_validator("data")
    @classmethod
    def _data_size(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
            if size > MAX_DATA_BYTES:
                raise PydanticCustomError(
                    "data_too_large",
                    "{size} bytes as JSON; the limit is 1 MB ({limit} bytes)",
                    {"size": size, "limit": MAX_DATA_BYTES},
                )
        return value

    @field_validator("output")
    @classmethod
    def _output_fits_template(cls, value: OutputOptions, info: ValidationInfo) -> OutputOptions:
        template = info.data.get("template")
        kind = template.inline_kind if isinstance(template, TemplateOptions) else None
        if kind is not None:
            reason = _UNSUPPORTED_OUTPUT.get((kind, value.format))
            if reason is not None:
                raise PydanticCustomError(
                    "output_format",
                    "format {format} is not available: {reason}",
                    {"format": value.format, "reason": reason},
                )
        return value

    @model_validator(mode="after")
    def _one_data_source(self) -> GenerateOptions:
        if self.data is not None and self.data_from_job is not None:
            raise ValueError("give data or data_from_job, not both")
        return self

    @model_validator(mode="after")
    def _written_markdown_fits_output(self) -> GenerateOptions:
        # Without a template, the written Markdown is the document: it cannot become DOCX.
        if self.instructions is not None and self.template is None:
            reason = _UNSUPPORTED_OUTPUT.get(("markdown", self.output.format))
            if reason is not None:
                raise ValueError(f"output.format {self.output.format} is not available: {reason}")
        if self.instructions is not None and self.inspect:
            raise ValueError("inspect only lists a template's variables; leave out instructions")
        if self.instructions is None and (self.engine != "auto" or self.model is not None):
            raise ValueError("engine and model choose the model that follows instructions; give instructions")
        return self


def template_document_id(options: GenerateOptions, job_document_id: str | None) -> str | None:
    """The document that holds the template (None for an inline template).

    The template is ``options.template`` or, when that is absent, the job's ``document_id``.
    A job ``document_id`` next to an inline or document template is the input of
    ``instructions`` and is refused without them. With ``instructions`` and no template there
    is none: the Markdown the model writes is the document (the job's ``document_id`` is its input).
    """
    if options.template is None and options.instructions is not None:
        return None
    if options.template is None:
        if job_document_id is None:
            raise InputValidationError(
                "options.template: a generate job needs a template: options.template"
                " ({html}, {markdown} or {document_id}) or the template document as document_id"
            )
        return job_document_id
    if job_document_id is not None and options.instructions is None:
        raise InputValidationError(
            "document_id: a generate job with options.template uses document_id only as the input"
            " of options.instructions; leave it out, or give the template as document_id alone"
        )
    return options.template.document_id
