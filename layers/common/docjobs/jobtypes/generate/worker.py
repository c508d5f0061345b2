"""The render child process: ``python -m docjobs.jobtypes.generate.worker``.

Reads one request (the JSON of :class:`docjobs.jobtypes.generate.rendering.RenderRequest`) on
stdin and writes one response (the JSON of ``RenderResponse``) on stdout; the parent validates
both with those pydantic models. This module stays free of pydantic so that the child starts fast.

Before doing any work the child caps its own address space (``RLIMIT_AS``) and forbids itself
child processes (``RLIMIT_NPROC``) and file writes (``RLIMIT_FSIZE``). The parent gives it a
scrubbed environment (no credentials), an empty working directory, and kills it at the render
deadline.

It does all the work that a template controls: rendering (Jinja2 sandbox), Markdown to HTML,
PDF layout (PyMuPDF Story) and DOCX filling, so that none of it can hang or exhaust the stage.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

from docjobs.core.errors import InputValidationError

__all__ = ["RenderWork", "main", "produce"]


@dataclass(frozen=True)
class RenderWork:
    """One request, as the child reads it (see ``rendering.RenderRequest`` for the fields)."""

    action: str
    template_kind: str
    max_output_chars: int
    max_output_bytes: int
    max_pages: int
    memory_bytes: int
    template_text: str | None = None
    template_docx: bytes | None = None
    html: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    strict: bool = True
    output_format: str = "pdf"
    page_size: str = "A4"
    margin_mm: float = 20.0
    title: str = ""
    images: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def from_json(cls, raw: bytes) -> RenderWork:
        fields = json.loads(raw)
        if fields.get("template_docx") is not None:
            fields["template_docx"] = base64.urlsafe_b64decode(fields["template_docx"])
        fields["images"] = {k: base64.urlsafe_b64decode(v) for k, v in (fields.get("images") or {}).items()}
        return cls(**fields)


def _missing(missing: list[Any]) -> list[dict[str, Any]]:
    return [{"variable": m.variable, "line": m.line, "near": m.near} for m in missing]


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise InputValidationError(
            f"the generated document is {size:,} bytes; the limit is {limit:,} bytes",
            details={"limit": "output_bytes", "bytes": size},
        )


def produce(work: RenderWork) -> dict[str, Any]:
    """Do what ``work`` asks, in this process: the response fields (``content`` as bytes).

    ``render``: the template filled with the data: DOCX bytes, or UTF-8 text: the Markdown (md
    output), the HTML document (html output), or the HTML to lay out (pdf output). ``layout``:
    that HTML laid out as PDF pages. ``inspect``: the template's variables. Raises
    InputValidationError for a bad template or data.
    """
    from docjobs.jobtypes.generate import template_render

    if work.action == "layout":
        return lay_out(work)
    if work.action == "inspect":
        if work.template_kind == "docx":
            inspection = template_render.inspect_docx(work.template_docx or b"")
        else:
            inspection = template_render.inspect_text(work.template_text or "")
        return {"ok": True, "variables": inspection.variables, "fields": inspection.fields}

    if work.template_kind == "docx":
        docx = template_render.render_docx(
            work.template_docx or b"", work.data, strict=work.strict, max_output_chars=work.max_output_chars
        )
        _check_size(len(docx.content), work.max_output_bytes)
        return {
            "ok": True,
            "content": docx.content,
            "variables": docx.variables,
            "missing": _missing(docx.missing),
        }

    kind: Literal["html", "markdown"] = "html" if work.template_kind == "html" else "markdown"
    rendered = template_render.render_text(
        work.template_text or "",
        work.data,
        kind=kind,
        strict=work.strict,
        max_output_chars=work.max_output_chars,
    )
    text = rendered.text
    if kind == "markdown" and work.output_format != "md":
        from docjobs.jobtypes.generate.markdown_html import html_document, markdown_to_html
        from docjobs.jobtypes.generate.pdf_layout import DEFAULT_CSS

        text = markdown_to_html(text)
        if work.output_format == "html":
            text = html_document(text, title=work.title, style=DEFAULT_CSS)
    content = text.encode()
    _check_size(len(content), work.max_output_bytes)
    return {
        "ok": True,
        "content": content,
        "variables": rendered.variables,
        "missing": _missing(rendered.missing),
    }


def lay_out(work: RenderWork) -> dict[str, Any]:
    """The ``layout`` action: ``work.html`` (a rendered template) to PDF pages."""
    from docjobs.jobtypes.generate.pdf_layout import html_to_pdf

    pdf = html_to_pdf(
        work.html or "",
        page_size=work.page_size,
        margin_mm=work.margin_mm,
        images=work.images,
        title=work.title,
        max_pages=work.max_pages,
    )
    _check_size(len(pdf.content), work.max_output_bytes)
    return {"ok": True, "content": pdf.content, "pages": pdf.pages}


def _limit_self(memory_bytes: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def main() -> int:
    # The response goes to the original stdout; everything else written to fd 1 (MuPDF prints
    # its warnings there from C) is sent to stderr so that it cannot corrupt the response.
    response_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    work = RenderWork.from_json(sys.stdin.buffer.read())
    _limit_self(work.memory_bytes)
    response: dict[str, Any]
    try:
        response = produce(work)
    except InputValidationError as exc:
        response = {"ok": False, "error_message": exc.message, "error_details": exc.details}
    except MemoryError:
        response = {
            "ok": False,
            "error_message": (
                f"rendering ran out of memory (the limit is {work.memory_bytes // 2**20:,} MiB):"
                " a template that builds very large values, or too much data for one document"
            ),
            "error_details": {"limit": "memory", "bytes": work.memory_bytes},
        }
    if isinstance(response.get("content"), bytes):
        response["content"] = base64.b64encode(response["content"]).decode()
    response_out.write(json.dumps(response))
    response_out.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a child process
    sys.exit(main())
