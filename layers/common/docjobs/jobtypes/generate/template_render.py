"""Rendering a template with data, in the sandbox: text templates (HTML, Markdown) and DOCX.

These functions are what the render child process runs (see :mod:`.worker`); called directly
they have no time or memory bound, so production code goes through
:func:`docjobs.jobtypes.generate.rendering.run_sandboxed`.

Every failure that is the template's or the data's doing is an ``InputValidationError``
(VALIDATION_ERROR) whose message says what and where (line), with ``details`` for clients.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn

from jinja2 import Template, TemplateError
from jinja2.exceptions import SecurityError

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.generate.sandbox import (
    MissingCollector,
    MissingVariable,
    OutputTooLargeError,
    TemplateCheckError,
    TemplateSandbox,
    check_template_syntax,
    error_line,
    template_fields,
    template_variables,
)

__all__ = [
    "RenderedDocx",
    "RenderedText",
    "TemplateInspection",
    "inspect_docx",
    "inspect_text",
    "missing_variables_error",
    "render_docx",
    "render_text",
]

#: How many missing variables the error message spells out (``details`` holds up to 200).
_MESSAGE_MISSING = 20
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class TemplateInspection:
    variables: list[str]
    fields: list[str]


@dataclass(frozen=True)
class RenderedText:
    text: str
    variables: list[str]
    missing: list[MissingVariable] = field(default_factory=list)


@dataclass(frozen=True)
class RenderedDocx:
    content: bytes
    variables: list[str]
    missing: list[MissingVariable] = field(default_factory=list)


def _check_error(exc: TemplateCheckError, *, where: str = "template") -> InputValidationError:
    near = _paragraph_text(exc.source_line) if exc.source_line and where != "template" else None
    location = f"line {exc.line}" if exc.line and near is None else (f"near “{near}”" if near else "")
    return InputValidationError(
        f"{where} syntax error{' at ' + location if location else ''}: {exc.message}",
        details={"line": None if near else exc.line, "near": near, "message": exc.message},
    )


def missing_variables_error(missing: list[MissingVariable], total: int) -> InputValidationError:
    """The VALIDATION_ERROR of a strict render: every missing ``{variable, line}`` at once."""

    def describe(m: MissingVariable) -> str:
        if m.line is not None:
            return f"{m.variable} (line {m.line})"
        return f"{m.variable} (near “{m.near}”)" if m.near else m.variable

    listed = ", ".join(describe(m) for m in missing[:_MESSAGE_MISSING])
    more = f" and {total - _MESSAGE_MISSING} more" if total > _MESSAGE_MISSING else ""
    noun = "variable" if total == 1 else "variables"
    return InputValidationError(
        f"the data lacks {total} {noun} the template uses: {listed}{more}"
        " (strict is true: add them to the data, guard them with `is defined` or `| default(...)`,"
        " or set strict to false)",
        details={
            "missing": [
                {"variable": m.variable, "line": m.line} | ({"near": m.near} if m.near else {})
                for m in missing
            ],
            "missing_total": total,
        },
    )


def _render_failure(exc: BaseException, *, locate: Callable[[int | None], str]) -> NoReturn:
    """Raise the VALIDATION_ERROR for an exception that escaped a render."""
    where = locate(error_line(exc))
    if isinstance(exc, SecurityError):
        raise InputValidationError(
            f"the template was stopped by the sandbox{where}: {exc}",
            details={"reason": "sandbox", "message": str(exc)},
        ) from exc
    if isinstance(exc, OutputTooLargeError):
        raise InputValidationError(f"{exc}", details={"limit": "output_size"}) from exc
    if isinstance(exc, RecursionError):
        raise InputValidationError(
            f"the template recursed too deeply{where} (a macro that calls itself without end?)",
            details={"reason": "recursion"},
        ) from exc
    if isinstance(exc, OverflowError) and "range" in str(exc).lower():
        raise InputValidationError(
            f"the template asked for too large a range{where}: {exc}", details={"limit": "range"}
        ) from exc
    raise InputValidationError(
        f"the template failed{where}: {type(exc).__name__}: {exc}",
        details={"reason": type(exc).__name__, "message": str(exc)},
    ) from exc


#: Exceptions a template can cause with ordinary data; anything else is a bug of ours.
_TEMPLATE_FAULTS = (
    TemplateError,
    RecursionError,
    TypeError,
    ValueError,
    ArithmeticError,
    LookupError,
    AttributeError,
)


def _text_environment(kind: Literal["html", "markdown"], max_output_chars: int | None) -> TemplateSandbox:
    return TemplateSandbox(autoescape=kind == "html", max_output_chars=max_output_chars)


def inspect_text(source: str) -> TemplateInspection:
    """The variables and data paths an HTML or Markdown template reads (no rendering)."""
    try:
        tree = check_template_syntax(source)
    except TemplateCheckError as exc:
        raise _check_error(exc) from exc
    return TemplateInspection(variables=template_variables(tree), fields=template_fields(tree))


def render_text(
    source: str,
    data: dict[str, Any],
    *,
    kind: Literal["html", "markdown"],
    strict: bool,
    max_output_chars: int | None,
) -> RenderedText:
    """Render an HTML (autoescaped) or Markdown template with ``data``."""
    env = _text_environment(kind, max_output_chars)
    try:
        tree = check_template_syntax(source, environment=env)
        template = env.from_string(source)
    except TemplateCheckError as exc:
        raise _check_error(exc) from exc
    collector = env.for_render(data)
    try:
        text = template.render(data)
    except _TEMPLATE_FAULTS as exc:
        _render_failure(exc, locate=lambda line: f" at line {line}" if line else "")
    if strict and collector.missing:
        raise missing_variables_error(collector.missing, collector.total)
    return RenderedText(text=text, variables=template_variables(tree), missing=collector.missing)


# --------------------------------------------------------------------------------------
# DOCX (docxtpl: Jinja2 tags written in Word)
# --------------------------------------------------------------------------------------


def _paragraph_text(xml_line: str) -> str:
    text = _SPACES.sub(" ", _TAG.sub("", xml_line)).strip()
    return text if len(text) <= 120 else text[:117] + "..."


def _open_docx_template(content: bytes) -> Any:
    from docxtpl import DocxTemplate

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise InputValidationError(
                    "the template document is not a Word .docx file (no word/document.xml)"
                )
        template = DocxTemplate(io.BytesIO(content))
        template.init_docx()
    except InputValidationError:
        raise
    except Exception as exc:
        raise InputValidationError(
            f"the template document is not a readable .docx file: {type(exc).__name__}: {exc}"
        ) from exc
    return template


def _docx_sources(template: Any) -> list[str]:
    """The Jinja2 source of the body, headers and footers, as docxtpl prepares them."""
    from docx.oxml import parse_xml

    docx = template.get_docx()
    sources = [template.patch_xml(template.xml_to_string(docx._element.body))]
    for uri in (template.HEADER_URI, template.FOOTER_URI):
        for rel in docx._part.rels.values():
            if rel.reltype == uri and rel.target_part.blob:
                sources.append(template.patch_xml(template.xml_to_string(parse_xml(rel.target_part.blob))))
    return sources


def inspect_docx(content: bytes) -> TemplateInspection:
    """The variables and data paths a .docx template reads (no rendering)."""
    template = _open_docx_template(content)
    variables: set[str] = set()
    fields: set[str] = set()
    for source in _docx_sources(template):
        try:
            tree = check_template_syntax(source)
        except TemplateCheckError as exc:
            raise _check_error(
                TemplateCheckError(exc.message, exc.line, _nth_line(source, exc.line)), where="DOCX template"
            ) from exc
        variables.update(template_variables(tree))
        fields.update(template_fields(tree))
    return TemplateInspection(variables=sorted(variables), fields=sorted(fields))


def _nth_line(source: str, line: int | None) -> str | None:
    if not line:
        return None
    lines = source.splitlines()
    return lines[line - 1] if line <= len(lines) else None


def render_docx(
    content: bytes, data: dict[str, Any], *, strict: bool, max_output_chars: int | None
) -> RenderedDocx:
    """Fill a .docx template (docxtpl) with ``data``; values are XML-escaped."""
    inspection = inspect_docx(content)
    template = _open_docx_template(content)
    env = TemplateSandbox(autoescape=True, max_output_chars=max_output_chars)
    collector: MissingCollector = env.for_render(data)

    def locate(tmpl: Template, line: int) -> tuple[int | None, str | None]:
        # docxtpl puts each paragraph on a line of its own: the paragraph's text is the context.
        source = env.sources.get(id(tmpl))
        text = _nth_line(source, line) if source is not None else None
        return None, _paragraph_text(text) if text else None

    def locate_error(line: int | None) -> str:
        for source in env.sources.values():
            text = _nth_line(source, line)
            if text:
                return f" near “{_paragraph_text(text)}”"
        return ""

    collector.locate = locate
    try:
        template.render(data, jinja_env=env, autoescape=True)
        out = io.BytesIO()
        template.save(out)
    except TemplateCheckError as exc:
        raise _check_error(exc, where="DOCX template") from exc
    except SyntaxError as exc:  # lxml's XMLSyntaxError: the filled XML is broken
        raise InputValidationError(
            "the filled DOCX is not valid Word XML (a {% %} tag that opens in one paragraph or table"
            " cell and closes in another? use docxtpl's {%p %} / {%tr %} / {%tc %} tags for those):"
            f" {exc}",
            details={"reason": "docx_xml"},
        ) from exc
    except _TEMPLATE_FAULTS as exc:
        _render_failure(exc, locate=locate_error)
    if strict and collector.missing:
        raise missing_variables_error(collector.missing, collector.total)
    return RenderedDocx(content=out.getvalue(), variables=inspection.variables, missing=collector.missing)
