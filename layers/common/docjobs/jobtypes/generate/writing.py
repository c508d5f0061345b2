"""Stage ``extracting`` of a generate job with ``options.instructions``: a model writes Markdown.

Reads the text of the job's input document (its ``document_id``, when given) with PyMuPDF, page
by page until the model's input budget is spent, asks the chosen engine (bedrock or openai) for
``{"markdown": "..."}`` following the instructions, and stores it (with engine, model and usage)
as the work file ``generated.json``. The ``generating`` stage renders it: as the document when there is no
template, else as the template variables ``generated`` (Markdown) and ``generated_html``.
Throttling and timeouts raise the model errors the state machine retries.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from docjobs.adapters import storage
from docjobs.core.errors import InputValidationError
from docjobs.core.models import JobRecord
from docjobs.engines.models import ModelEngine, complete_validated, estimate_tokens, resolve_engine
from docjobs.jobtypes.generate.options import GenerateOptions
from docjobs.pipeline.runner import StageInput, stage

__all__ = ["GENERATED_MARKDOWN", "MARKDOWN_SCHEMA", "WriteInput", "WriteOutput", "input_text", "write"]

#: The work file the model's Markdown is stored in (read by the generating stage).
GENERATED_MARKDOWN = "generated.json"
MARKDOWN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"markdown": {"type": "string", "minLength": 1}},
    "required": ["markdown"],
    "additionalProperties": False,
}
SYSTEM = (
    "You write documents in Markdown (CommonMark with GitHub tables). Follow the user's"
    " instructions. Use only facts from the source document when one is given; do not invent"
    ' figures, names or dates. Answer with a JSON object {"markdown": "..."} and nothing else.'
)
#: Tokens kept back from the engine's input budget for the system prompt, the instructions'
#: framing and the answer's JSON wrapper.
_RESERVED_TOKENS = 1_000


class WriteInput(StageInput):
    pass


class WriteOutput(BaseModel):
    markdown_key: str
    pages_read: int
    truncated: bool


def input_text(content: bytes, filename: str, budget_tokens: int) -> tuple[str, int, bool]:
    """The document's text, page by page, within ``budget_tokens``: (text, pages read, truncated)."""
    from docjobs.engines.pdf import MUPDF_LOCK, open_document

    parts: list[str] = []
    used = 0
    with MUPDF_LOCK, open_document(content, filename=filename) as document:
        total = document.page_count
        for number in range(total):
            page = f"--- page {number + 1} ---\n" + document[number].get_text("text").strip() + "\n"
            cost = estimate_tokens(page)
            if used + cost > budget_tokens:
                room = (budget_tokens - used) * 7 // 2
                if room > 200:  # a useful part of the page still fits
                    parts.append(page[:room])
                return "".join(parts), len(parts), True
            parts.append(page)
            used += cost
    return "".join(parts), total, False


def _user_prompt(instructions: str, source: str | None, filename: str | None, truncated: bool) -> str:
    if source is None:
        return f"Instructions:\n{instructions}\n"
    note = " (truncated: only the first pages fit)" if truncated else ""
    return (
        f"Instructions:\n{instructions}\n\nSource document {filename!r}{note}:\n"
        f"<document>\n{source}\n</document>\n"
    )


def write_markdown(
    engine: ModelEngine, instructions: str, content: bytes | None, filename: str | None
) -> tuple[str, dict[str, Any]]:
    """The Markdown the engine writes, and what it read: {pages_read, truncated, usage}."""
    source: str | None = None
    pages_read, truncated = 0, False
    if content is not None:
        assert filename is not None
        budget = engine.max_input_tokens - estimate_tokens(SYSTEM + instructions) - _RESERVED_TOKENS
        if budget <= 0:
            raise InputValidationError("options.instructions are too long for the model's input")
        source, pages_read, truncated = input_text(content, filename, budget)
        if not re.sub(r"--- page \d+ ---", "", source).strip():
            raise InputValidationError(
                f"document_id: {filename!r} has no text to write from (a scanned document? parse it"
                " with OCR first and generate from the Markdown output)"
            )
    data, usage = complete_validated(
        engine,
        system=SYSTEM,
        user=_user_prompt(instructions, source, filename, truncated),
        schema=MARKDOWN_SCHEMA,
        schema_name='the answer shape {"markdown": "..."}',
    )
    return str(data["markdown"]), {
        "pages_read": pages_read,
        "truncated": truncated,
        "usage": usage.model_dump(),
    }


@stage("extracting")
def write(task: WriteInput, job: JobRecord) -> WriteOutput:
    from docjobs.domain import transitions

    options = GenerateOptions.model_validate(job.options)
    if options.instructions is None:
        raise InputValidationError("options.instructions: this generate job has no instructions to follow")
    choice = resolve_engine(options.engine, options.model)
    if choice.engine is None:
        raise InputValidationError(
            "options.instructions: writing content from instructions needs a model engine (bedrock or"
            " openai); none is configured in this deployment any more"
        )
    content: bytes | None = None
    filename: str | None = None
    if job.document_id is not None:  # the input the instructions write from
        key = storage.find_document_key(job.tenant_id, job.document_id)
        if key is None:
            raise InputValidationError(
                f"document_id: document {job.document_id} does not exist (deleted since submission?)"
            )
        filename, content = key.rsplit("/", 1)[-1], storage.get_bytes(key)
    transitions.report_progress(job.tenant_id, job.id, "extracting", 0.2)
    markdown, read = write_markdown(choice.engine, options.instructions, content, filename)
    key = storage.work_key(job.tenant_id, job.id, GENERATED_MARKDOWN)
    storage.put_json(
        key,
        {"markdown": markdown, "engine": choice.name, "model": choice.model, **read},
    )
    return WriteOutput(markdown_key=key, pages_read=read["pages_read"], truncated=read["truncated"])
