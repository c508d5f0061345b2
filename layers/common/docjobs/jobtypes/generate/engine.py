"""Generate a document from a template and data: the engine a generate stage calls.

Pure functions over bytes and options, no AWS: the stage reads the template document, the data
(inline or an extract job's ``result.data``) and any ``document:<id>`` images, calls
:func:`generate_document` (or :func:`inspect_template`), and stores the result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.generate.options import (
    OutputFormat,
    OutputOptions,
    TemplateKind,
    TemplateOptions,
    check_data_size,
    check_output_format,
    template_kind,
)
from docjobs.jobtypes.generate.pdf_layout import image_references
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
MAX_TEMPLATE_DOCUMENT_BYTES = 10 * 2**20


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
    def from_document(
        cls, filename: str, content: bytes, *, path: str = "options.template.document_id"
    ) -> TemplateSource:
        """A template read from a document of the tenant (.html/.htm, .md/.markdown or .docx)."""
        kind = template_kind(filename, path=path)
        if len(content) > MAX_TEMPLATE_DOCUMENT_BYTES:
            raise InputValidationError(
                f"{path}: the template is {len(content):,} bytes;"
                f" the limit is {MAX_TEMPLATE_DOCUMENT_BYTES:,}"
            )
        if kind == "docx":
            return cls(kind=kind, content=content, filename=filename)
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputValidationError(f"{path}: {filename!r} is not UTF-8 text (byte {exc.start})") from exc
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
    layout = fields.get("action") == "layout"  # lays out HTML: the template is not needed again
    return RenderRequest(
        template_kind=template.kind,
        template_text=None if layout else template.text,
        template_docx=None if layout else template.content,
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

    Two child processes, each within ``limits``: the template is rendered (DOCX, Markdown, or
    HTML), then, for PDF, the HTML is laid out on pages. Between the two, the images the
    rendered HTML names as ``<img src="document:ID">`` are fetched with ``load_image(ID)``
    (which raises for an id that is not the tenant's).
    """
    limits = limits or RenderLimits()
    check_output_format(template.kind, output.format)
    check_data_size(data)
    filename = output_filename(output.filename, output.format, template.filename)
    title = PurePosixPath(filename).stem
    rendered = run_sandboxed(
        _request(
            template,
            limits,
            action="render",
            data=data,
            strict=strict,
            output_format=output.format,
            title=title,
        ),
        limits,
    )
    content = rendered.content or b""
    pages: int | None = None
    if output.format == "pdf":
        html = content.decode()
        images = _load_images(image_references(html), limits, load_image)
        laid_out = run_sandboxed(
            _request(
                template,
                limits,
                action="layout",
                html=html,
                page_size=output.page_size,
                margin_mm=output.margin_mm,
                title=title,
                images=images,
            ),
            limits,
        )
        content, pages = laid_out.content or b"", laid_out.pages
    return GeneratedDocument(
        content=content,
        filename=filename,
        format=output.format,
        content_type=CONTENT_TYPES[output.format],
        pages=pages,
        sha256=hashlib.sha256(content).hexdigest(),
        variables=rendered.variables,
        missing=[_missing(m) for m in rendered.missing],
    )


def _load_images(
    wanted: list[str], limits: RenderLimits, load_image: Callable[[str], bytes] | None
) -> dict[str, bytes]:
    if len(wanted) > limits.max_images:
        raise InputValidationError(
            f"the document shows {len(wanted)} image documents; the limit is {limits.max_images}"
        )
    images: dict[str, bytes] = {}
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
    return images


def _missing(entry: MissingEntry) -> MissingVariable:
    return MissingVariable(variable=entry.variable, line=entry.line, near=entry.near)
