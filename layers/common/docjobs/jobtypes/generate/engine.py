"""Generate a document from a template and data: the engine a generate stage calls.

Pure functions over bytes and options, no AWS: the stage reads the template document, the data
(inline or an extract job's ``result.data``) and any ``document:<id>`` images, calls
:func:`generate_document` (or :func:`inspect_template`), and stores the result.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from docjobs.errors import InputValidationError
from docjobs.jobtypes.generate.options import (
    OutputFormat,
    OutputOptions,
    TemplateKind,
    TemplateOptions,
    check_data_size,
    check_output_format,
)
from docjobs.jobtypes.generate.rendering import MissingEntry, RenderLimits, RenderRequest, run_sandboxed

__all__ = [
    "CONTENT_TYPES",
    "MAX_TEMPLATE_DOCUMENT_BYTES",
    "GeneratedDocument",
    "TemplateInspection",
    "TemplateSource",
    "generate_document",
    "inspect_template",
    "output_filename",
]

CONTENT_TYPES: dict[OutputFormat, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}
_EXTENSIONS: dict[OutputFormat, tuple[str, ...]] = {
    "pdf": (".pdf",),
    "docx": (".docx",),
    "html": (".html", ".htm"),
    "md": (".md", ".markdown"),
}
_TEMPLATE_KINDS: dict[str, TemplateKind] = {
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".docx": "docx",
}
MAX_TEMPLATE_DOCUMENT_BYTES = 10 * 2**20
_DOCUMENT_REF = re.compile(r"document:([A-Za-z0-9][A-Za-z0-9_-]{0,127})")


@dataclass(frozen=True)
class TemplateSource:
    """A template ready to render: its kind and its text (HTML, Markdown) or bytes (DOCX)."""

    kind: TemplateKind
    text: str | None = None
    content: bytes | None = None
    #: The template document's filename (None for an inline template).
    filename: str | None = None

    @classmethod
    def inline(cls, template: TemplateOptions) -> TemplateSource:
        if template.html is not None:
            return cls(kind="html", text=template.html)
        if template.markdown is not None:
            return cls(kind="markdown", text=template.markdown)
        raise ValueError("a document template is read with TemplateSource.from_document")

    @classmethod
    def from_document(cls, filename: str, content: bytes) -> TemplateSource:
        """A template read from a document of the tenant (.html/.htm, .md/.markdown or .docx)."""
        suffix = PurePosixPath(filename).suffix.lower()
        kind = _TEMPLATE_KINDS.get(suffix)
        if kind is None:
            raise InputValidationError(
                f"options.template.document_id: {filename!r} is not a template:"
                " use a .html, .md or .docx file"
            )
        if len(content) > MAX_TEMPLATE_DOCUMENT_BYTES:
            raise InputValidationError(
                f"options.template.document_id: the template is {len(content):,} bytes; the limit is"
                f" {MAX_TEMPLATE_DOCUMENT_BYTES:,}"
            )
        if kind == "docx":
            return cls(kind=kind, content=content, filename=filename)
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputValidationError(
                f"options.template.document_id: {filename!r} is not UTF-8 text (byte {exc.start})"
            ) from exc
        return cls(kind=kind, text=text, filename=filename)


@dataclass(frozen=True)
class TemplateInspection:
    """What a template needs from its data: top-level ``variables`` and the ``fields`` it reads."""

    variables: list[str]
    fields: list[str]


@dataclass(frozen=True)
class MissingVariable:
    variable: str
    line: int | None
    near: str | None = None


@dataclass(frozen=True)
class GeneratedDocument:
    content: bytes
    filename: str
    format: OutputFormat
    content_type: str
    #: PDF pages; None for DOCX, HTML and Markdown (they have no fixed pages).
    pages: int | None
    sha256: str
    variables: list[str]
    #: Variables the data lacked (only in a render with ``strict`` false; they rendered empty).
    missing: list[MissingVariable] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return len(self.content)


def output_filename(requested: str | None, output_format: OutputFormat, template_filename: str | None) -> str:
    """The output document's name: the requested one (with the format's extension) or a default."""
    extensions = _EXTENSIONS[output_format]
    if requested is None:
        stem = PurePosixPath(template_filename).stem if template_filename else "generated"
        return f"{stem or 'generated'}{extensions[0]}"
    suffix = PurePosixPath(requested).suffix.lower()
    if suffix in extensions:
        return requested
    known = {ext for exts in _EXTENSIONS.values() for ext in exts}
    if suffix in known:
        raise InputValidationError(
            f"options.output.filename: {requested!r} ends in {suffix}"
            f" but options.output.format is {output_format}"
        )
    return f"{requested}{extensions[0]}"


def _request(template: TemplateSource, limits: RenderLimits, **fields: Any) -> RenderRequest:
    return RenderRequest(
        template_kind=template.kind,
        template_text=template.text,
        template_docx=template.content,
        max_output_chars=limits.max_output_chars,
        max_output_bytes=limits.max_output_bytes,
        max_pages=limits.max_pages,
        memory_bytes=limits.memory_bytes,
        **fields,
    )


def inspect_template(template: TemplateSource, limits: RenderLimits | None = None) -> TemplateInspection:
    """The variables a template uses, without rendering it (``options.inspect``)."""
    limits = limits or RenderLimits()
    response = run_sandboxed(_request(template, limits, action="inspect"), limits)
    return TemplateInspection(variables=response.variables, fields=response.fields)


def referenced_images(template: TemplateSource, data: dict[str, Any]) -> list[str]:
    """The ``document:<id>`` images that the template text or the data name, in order."""
    found: list[str] = []
    if template.text is not None:
        found.extend(_DOCUMENT_REF.findall(template.text))
    found.extend(_DOCUMENT_REF.findall(json.dumps(data, ensure_ascii=False)))
    return list(dict.fromkeys(found))


def generate_document(
    template: TemplateSource,
    data: dict[str, Any],
    *,
    output: OutputOptions,
    strict: bool = True,
    limits: RenderLimits | None = None,
    load_image: Callable[[str], bytes] | None = None,
) -> GeneratedDocument:
    """Render ``template`` with ``data`` into ``output.format``.

    ``load_image(document_id)`` returns the bytes of a ``document:<id>`` image of the tenant (it
    raises for an id that is not the tenant's). Images are resolved only for PDF output.
    """
    limits = limits or RenderLimits()
    check_output_format(template.kind, output.format)
    check_data_size(data)
    filename = output_filename(output.filename, output.format, template.filename)
    images: dict[str, bytes] = {}
    if output.format == "pdf":
        wanted = referenced_images(template, data)
        if len(wanted) > limits.max_images:
            raise InputValidationError(
                f"the template and data refer to {len(wanted)} image documents;"
                f" the limit is {limits.max_images}"
            )
        for document_id in wanted:
            if load_image is None:
                raise InputValidationError(f"image document:{document_id} cannot be resolved here")
            content = load_image(document_id)
            if len(content) > limits.max_image_bytes:
                raise InputValidationError(
                    f"image document {document_id} is {len(content):,} bytes;"
                    f" the limit is {limits.max_image_bytes:,}"
                )
            images[document_id] = content
    request = _request(
        template,
        limits,
        action="render",
        data=data,
        strict=strict,
        output_format=output.format,
        page_size=output.page_size,
        margin_mm=output.margin_mm,
        title=PurePosixPath(filename).stem,
        images=images,
    )
    response = run_sandboxed(request, limits)
    content = response.content or b""
    return GeneratedDocument(
        content=content,
        filename=filename,
        format=output.format,
        content_type=CONTENT_TYPES[output.format],
        pages=response.pages,
        sha256=hashlib.sha256(content).hexdigest(),
        variables=response.variables,
        missing=[_missing(m) for m in response.missing],
    )


def _missing(entry: MissingEntry) -> MissingVariable:
    return MissingVariable(variable=entry.variable, line=entry.line, near=entry.near)
