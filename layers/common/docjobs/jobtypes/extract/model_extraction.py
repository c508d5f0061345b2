"""Extraction with a model engine: page windows that fit the model, and the merge of their answers.

Windows: pages are packed in order into windows whose prompt stays under the engine's
``max_input_tokens`` (estimated); a page that alone is too long is cut into parts. A window the
model still refuses as too long (ModelInputTooLongError) is split in two and both halves sent.

A document that fits one window is asked with the job's own schema (re-asked once when the answer
does not validate). With several windows each is asked with a *relaxed* copy of the schema (every
value nullable, nothing required: a window may hold only part of the data) and the answers are
merged (docs/decisions.md, "Extract: page windows"):

* objects merge key by key;
* arrays are concatenated in page order (an item equal to the last one kept is a repeat at a
  window edge and is dropped);
* a scalar is taken from the first window that gives a value *found in its own pages*; when no
  window's value can be found, from the first window that gives one (then ``verified: false``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from docjobs.engines.models import (
    ModelEngine,
    ModelInputTooLongError,
    Usage,
    complete_validated,
    estimate_tokens,
)
from docjobs.jobtypes.extract.citations import locate
from docjobs.jobtypes.extract.document import PageWords
from docjobs.jobtypes.extract.targets import nullable_schema

SYSTEM_PROMPT = (
    "You extract structured data from a document. Use only what the document says: copy values "
    "as they are written (names, identifiers), give numbers as JSON numbers without currency "
    "signs or thousands separators, dates as YYYY-MM-DD, and use null for anything the document "
    "does not state. Never invent or estimate a value."
)


@dataclass
class Window:
    pages: list[PageWords]
    text: str  # the pages' text, each under a "--- Page N ---" line

    @property
    def label(self) -> str:
        numbers = [p.number for p in self.pages]
        return f"page {numbers[0]}" if len(set(numbers)) == 1 else f"pages {numbers[0]}-{numbers[-1]}"


def _page_block(page: PageWords, text: str | None = None) -> str:
    return f"--- Page {page.number} ---\n{page.text if text is None else text}\n"


def _user_prompt(window: Window, total_pages: int) -> str:
    return f"Document text ({window.label} of {total_pages}):\n\n{window.text}"


def build_windows(pages: Sequence[PageWords], budget_tokens: int, overhead_tokens: int) -> list[Window]:
    """Pages packed into windows of at most ``budget_tokens`` (prompt overhead included)."""
    room = max(200, budget_tokens - overhead_tokens)
    windows: list[Window] = []
    current: list[PageWords] = []
    current_text = ""
    for page in pages:
        block = _page_block(page)
        if estimate_tokens(block) > room:
            if current:
                windows.append(Window(current, current_text))
                current, current_text = [], ""
            windows.extend(_split_page(page, room))
            continue
        if current and estimate_tokens(current_text + block) > room:
            windows.append(Window(current, current_text))
            current, current_text = [], ""
        current.append(page)
        current_text += block
    if current:
        windows.append(Window(current, current_text))
    return windows


def _split_page(page: PageWords, room: int) -> list[Window]:
    lines = page.text.split("\n")
    parts: list[Window] = []
    chunk: list[str] = []
    for line in lines:
        while estimate_tokens(line) > room:  # one enormous line: cut it
            cut = room * 3
            parts.append(Window([page], _page_block(page, line[:cut])))
            line = line[cut:]
        if chunk and estimate_tokens("\n".join([*chunk, line])) > room:
            parts.append(Window([page], _page_block(page, "\n".join(chunk))))
            chunk = []
        chunk.append(line)
    if chunk:
        parts.append(Window([page], _page_block(page, "\n".join(chunk))))
    return parts


def _halves(window: Window) -> list[Window]:
    if len(window.pages) > 1:
        middle = len(window.pages) // 2
        return [
            Window(window.pages[:middle], "".join(_page_block(p) for p in window.pages[:middle])),
            Window(window.pages[middle:], "".join(_page_block(p) for p in window.pages[middle:])),
        ]
    body = window.text
    if len(body) < 400:
        raise ModelInputTooLongError(f"the model refuses even a short part of {window.label}")
    middle = body.rfind("\n", 0, len(body) // 2) + 1 or len(body) // 2
    header = f"--- Page {window.pages[0].number} (continued) ---\n"
    return [Window(window.pages, body[:middle]), Window(window.pages, header + body[middle:])]


def _ask(
    engine: ModelEngine, system: str, window: Window, total: int, schema: dict[str, Any]
) -> tuple[list[tuple[Window, dict[str, Any]]], Usage]:
    try:
        data, usage = complete_validated(
            engine, system=system, user=_user_prompt(window, total), schema=schema
        )
        return [(window, data)], usage
    except ModelInputTooLongError:
        answers: list[tuple[Window, dict[str, Any]]] = []
        usage = Usage()
        for half in _halves(window):
            more, used = _ask(engine, system, half, total, schema)
            answers += more
            usage += used
        return answers, usage


def extract_with_model(
    engine: ModelEngine,
    schema: dict[str, Any],
    pages: Sequence[PageWords],
    instructions: str | None,
    progress: Callable[[float], None] | None = None,
) -> tuple[dict[str, Any], Usage, int]:
    """``(data, usage, windows)``: the merged answer of every window."""
    system = SYSTEM_PROMPT + (f"\n\nInstructions from the user:\n{instructions}" if instructions else "")
    overhead = estimate_tokens(system) + estimate_tokens(json.dumps(schema)) + 200
    windows = build_windows(pages, engine.max_input_tokens, overhead)
    total = max((p.number for p in pages), default=0)
    # One window: the job's own schema. Several: each may hold part of the data (relaxed schema).
    window_schema = schema if len(windows) == 1 else nullable_schema(schema)
    answers: list[tuple[Window, dict[str, Any]]] = []
    usage = Usage()
    for index, window in enumerate(windows, start=1):
        more, used = _ask(engine, system, window, total, window_schema)
        answers += more
        usage += used
        if progress is not None:
            progress(index / len(windows))
    if len(answers) == 1:
        return answers[0][1], usage, 1
    return merge_answers(answers), usage, len(answers)


def merge_answers(answers: Sequence[tuple[Window, dict[str, Any]]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key in dict.fromkeys(k for _, data in answers for k in data):
        merged[key] = _merge_values([(w, d.get(key)) for w, d in answers if key in d])
    return merged


def _merge_values(values: Sequence[tuple[Window, Any]]) -> Any:
    present = [(w, v) for w, v in values if v is not None]
    if not present:
        return None
    if all(isinstance(v, dict) for _, v in present):
        return merge_answers([(w, v) for w, v in present])
    if all(isinstance(v, list) for _, v in present):
        out: list[Any] = []
        for _, items in present:
            for item in items:
                if not out or out[-1] != item:
                    out.append(item)
        return out
    for window, value in present:
        if isinstance(value, dict | list) or locate(value, window.pages) is not None:
            return value
    return present[0][1]
