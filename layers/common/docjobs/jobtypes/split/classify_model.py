"""Model engines (``bedrock``, ``openai``) for ``categories``: a page-by-page prompt, a checked answer.

The pages go to the model in windows that fit its input budget. Each page is one
``<page number="N" hints="...">`` element holding an excerpt of its text (the top and the bottom,
where titles and "Page 1 of N" footers are; what is left out is said in the excerpt, never cut
silently) and the boundary cues the rules engine would use, as hints. The model answers one entry
per page: its category, a ``start``/``continue`` tag, a confidence and, for starts, a reason.

The answer is checked before anything is built from it: every page of the window assigned
exactly once, no page that was not asked about, only known categories and tags. An answer that
fails is asked again once with the list of problems; a second failure fails the job with
VALIDATION_ERROR naming them. A model answer that skips a page is therefore never turned into a
part with a hole in it.

The engine is anything with the model engine seam's shape (``docjobs.engines.models.ModelEngine``):
``name``, ``model``, ``max_input_tokens`` and ``complete_json(system, user, schema) -> (data, usage)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from docjobs.core.errors import InputValidationError
from docjobs.engines.models.base import ModelInputTooLongError
from docjobs.jobtypes.split.cues import PageCues, PageText, page_cues
from docjobs.jobtypes.split.options import UNCATEGORIZED, Category
from docjobs.jobtypes.split.plan import Segment, Usage
from docjobs.jobtypes.split.segments import PageVerdict, SegmentBuilder

__all__ = [
    "ModelAnswerInvalidError",
    "PageAnswer",
    "answer_problems",
    "answer_schema",
    "build_prompt",
    "segment_by_model",
    "system_prompt",
]

#: Characters of a page's text shown to the model: its top and its bottom.
PAGE_HEAD_CHARS = 1500
PAGE_TAIL_CHARS = 400
#: Pages per call at most (the answer grows with the window).
MAX_WINDOW_PAGES = 20
#: Part of the input budget kept for the answer instructions and the estimate's error.
_BUDGET_MARGIN = 0.8
_REPORTED_PROBLEMS = 20
#: A page's confidence when the model gives none.
_DEFAULT_CONFIDENCE = 0.8


class _UsageLike(Protocol):
    input_tokens: int
    output_tokens: int


class JsonModel(Protocol):
    """The model engine seam's protocol (only what this module reads; read-only, so the seam's
    engines, whose ``name`` is the narrower ``EngineName``, fit it)."""

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def max_input_tokens(self) -> int: ...

    def complete_json(
        self, system: str, user: str, schema: Mapping[str, Any]
    ) -> tuple[dict[str, Any], Any]: ...


class ModelAnswerInvalidError(InputValidationError):
    """The model's page assignment was invalid twice (VALIDATION_ERROR, the problems in ``error``)."""


@dataclass(frozen=True)
class PageAnswer:
    page: int
    category: str
    starts: bool
    confidence: float
    reason: str


def _estimate_tokens(text: str) -> int:
    # The seam's cautious estimate: about 3.5 characters a token.
    return len(text) * 2 // 7 + 1


def system_prompt(categories: list[Category], *, allow_uncategorized: bool) -> str:
    lines = [
        "You split a stack of pages (scanned or merged PDFs) into the separate documents it holds "
        "and give each page the category of the document it belongs to.",
        "",
        "Categories:",
    ]
    for category in categories:
        line = f"- {category.name}"
        if category.description:
            line += f": {category.description}"
        if category.keywords:
            line += f" (keywords: {', '.join(category.keywords)})"
        lines.append(line)
    lines.append(
        f"- {UNCATEGORIZED}: a page that belongs to none of the categories above"
        + ("" if allow_uncategorized else " (use it only when no category fits at all)")
    )
    lines += [
        "",
        "For every page you are given, answer exactly one entry with: page (its number), category "
        "(one of the names above), tag ('start' when the page begins a new document, 'continue' when "
        "it continues the document of the page before it), confidence (0 to 1) and, for 'start', a "
        "short reason.",
        "Cues in the hints: a 'Page 1 of N' footer starts a document and 'Page 2 of N' continues one; "
        "the page after 'Page N of N' starts a new one; a title heading at the top of a page and a "
        "page label that restarts usually start one. Two documents of the same category in a row are "
        "two documents: tag the first page of the second one 'start'.",
        "Page text may be shortened; the excerpt says where. Answer with one JSON object only.",
    ]
    return "\n".join(lines)


def _excerpt(text: str) -> str:
    text = text.strip()
    if len(text) <= PAGE_HEAD_CHARS + PAGE_TAIL_CHARS:
        return text
    omitted = len(text) - PAGE_HEAD_CHARS - PAGE_TAIL_CHARS
    return f"{text[:PAGE_HEAD_CHARS]}\n[... {omitted} characters left out ...]\n{text[-PAGE_TAIL_CHARS:]}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def page_element(page: PageText, cues: PageCues) -> str:
    hints = "; ".join(cues.hints())
    attr = f' hints="{_escape(hints).replace(chr(34), "&quot;")}"' if hints else ""
    return f'<page number="{page.page}"{attr}>\n{_escape(_excerpt(page.text))}\n</page>'


def build_prompt(elements: list[str], pages: list[int], previous: PageAnswer | None) -> str:
    """The user prompt for one window of pages."""
    head: list[str] = []
    if previous is not None:
        head.append(
            f"The page before this window (page {previous.page}) was classified '{previous.category}'; "
            f"tag the first page 'continue' if it carries on that document."
        )
    else:
        head.append("The first page below is the first page of the stack.")
    head.append(f"Classify pages {', '.join(str(p) for p in pages)}: one entry each, in order.")
    return "\n".join(head) + "\n\n" + "\n\n".join(elements)


def answer_schema(pages: list[int], names: list[str]) -> dict[str, Any]:
    """The JSON Schema of an answer for ``pages`` (handed to the engine for structured output)."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["pages"],
        "properties": {
            "pages": {
                "type": "array",
                "minItems": len(pages),
                "maxItems": len(pages),
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["page", "category", "tag"],
                    "properties": {
                        "page": {"type": "integer", "enum": pages},
                        "category": {"type": "string", "enum": [*names, UNCATEGORIZED]},
                        "tag": {"type": "string", "enum": ["start", "continue"]},
                        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                        "reason": {"type": "string", "maxLength": 300},
                    },
                },
            }
        },
    }


def answer_problems(data: Any, pages: list[int], names: list[str]) -> tuple[list[str], list[PageAnswer]]:
    """(problems, answers): every page assigned once, nothing else, known categories and tags."""
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("pages"), list):
        return ['the answer must be an object {"pages": [...]} with one entry per page'], []
    known = {*names, UNCATEGORIZED}
    asked = set(pages)
    seen: dict[int, int] = {}
    answers: list[PageAnswer] = []
    for index, entry in enumerate(data["pages"]):
        where = f"/pages/{index}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: each entry must be an object")
            continue
        page = entry.get("page")
        if not isinstance(page, int) or isinstance(page, bool):
            problems.append(f"{where}/page: must be a page number")
            continue
        if page not in asked:
            problems.append(f"{where}/page: page {page} was not asked about (pages: {_pages_text(pages)})")
            continue
        if page in seen:
            problems.append(f"{where}/page: page {page} is assigned twice (also /pages/{seen[page]})")
            continue
        seen[page] = index
        category = entry.get("category")
        if category not in known:
            problems.append(f"{where}/category: {category!r} is not one of {sorted(known)}")
            continue
        tag = entry.get("tag")
        if tag not in ("start", "continue"):
            problems.append(f"{where}/tag: must be 'start' or 'continue', not {tag!r}")
            continue
        confidence = entry.get("confidence", _DEFAULT_CONFIDENCE)
        if (
            not isinstance(confidence, int | float)
            or isinstance(confidence, bool)
            or not 0 <= confidence <= 1
        ):
            problems.append(f"{where}/confidence: must be a number from 0 to 1")
            continue
        reason = entry.get("reason") if isinstance(entry.get("reason"), str) else ""
        answers.append(
            PageAnswer(page, str(category), tag == "start", float(confidence), str(reason).strip())
        )
    missing = [p for p in pages if p not in seen]
    if missing:
        which = f"pages {_pages_text(missing)} have" if len(missing) > 1 else f"page {missing[0]} has"
        problems.append(f"{which} no entry: every page needs exactly one")
    answers.sort(key=lambda a: a.page)
    return problems, answers


def _pages_text(pages: list[int]) -> str:
    from docjobs.jobtypes.split.segments import compress_pages

    return compress_pages(pages)


def _ask(
    engine: JsonModel, system: str, user: str, pages: list[int], names: list[str]
) -> tuple[list[PageAnswer], Usage]:
    schema = answer_schema(pages, names)
    usage = Usage()
    data, used = engine.complete_json(system, user, schema)
    usage = usage.add(_usage(used))
    problems, answers = answer_problems(data, pages, names)
    if not problems:
        return answers, usage
    retry = (
        f"{user}\n\nYour previous answer was not valid:\n"
        + "\n".join(f"- {p}" for p in problems[:_REPORTED_PROBLEMS])
        + "\nAnswer again with exactly one entry for each of the pages listed."
    )
    data, used = engine.complete_json(system, retry, schema)
    usage = usage.add(_usage(used))
    problems, answers = answer_problems(data, pages, names)
    if problems:
        shown = problems[:_REPORTED_PROBLEMS]
        raise ModelAnswerInvalidError(
            f"The {engine.name} model {engine.model} answered twice without a valid assignment of pages "
            f"{_pages_text(pages)}: " + "; ".join(shown),
            details={"errors": shown},
        )
    return answers, usage


def _ask_window(
    engine: JsonModel,
    system: str,
    asked: list[tuple[int, str]],
    previous: PageAnswer | None,
    names: list[str],
) -> tuple[list[PageAnswer], Usage]:
    """Answers for ``asked`` (page number, prompt element); a window the model refuses as too long
    (ModelInputTooLongError: its real context is smaller than the configured budget) is asked in
    two halves, the second carrying the first half's last page. One page refused stays an error."""
    numbers = [page for page, _ in asked]
    user = build_prompt([element for _, element in asked], numbers, previous)
    try:
        return _ask(engine, system, user, numbers, names)
    except ModelInputTooLongError:
        if len(asked) == 1:
            raise
    middle = len(asked) // 2
    first, usage = _ask_window(engine, system, asked[:middle], previous, names)
    second, used = _ask_window(engine, system, asked[middle:], first[-1], names)
    return first + second, usage.add(used)


def _usage(used: Any) -> Usage:
    return Usage(
        input_tokens=int(getattr(used, "input_tokens", 0) or 0),
        output_tokens=int(getattr(used, "output_tokens", 0) or 0),
    )


#: A window entry: the page, its cues and its prompt element (None for a blank page, not sent).
_Entry = tuple[PageText, PageCues, str | None]


def _windows(pages: Iterable[PageText], resets: Mapping[int, str], budget: int) -> Iterator[list[_Entry]]:
    window: list[_Entry] = []
    used = 0
    sent = 0
    for page in pages:
        cues = page_cues(page, label_reset=resets.get(page.page))
        if cues.blank:
            window.append((page, cues, None))
            continue
        element = page_element(page, cues)
        cost = _estimate_tokens(element)
        if sent and (used + cost > budget or sent >= MAX_WINDOW_PAGES):
            yield window
            window, used, sent = [], 0, 0
        window.append((page, cues, element))
        used += cost
        sent += 1
    if window:
        yield window


def segment_by_model(
    pages: Iterable[PageText],
    categories: list[Category],
    engine: JsonModel,
    *,
    allow_uncategorized: bool = True,
    label_resets: Mapping[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Segment], list[int], Usage]:
    """Segments, unassigned (blank boundary) pages and the tokens used; one window in memory."""
    names = [c.name for c in categories]
    system = system_prompt(categories, allow_uncategorized=allow_uncategorized)
    budget = int(engine.max_input_tokens * _BUDGET_MARGIN) - _estimate_tokens(system) - 200
    budget = max(budget, 500)
    builder = SegmentBuilder(confidence="votes")
    usage = Usage()
    previous: PageAnswer | None = None
    for window in _windows(pages, label_resets or {}, budget):
        asked = [(page, cues, element) for page, cues, element in window if element is not None]
        answers: dict[int, PageAnswer] = {}
        if asked:
            context = previous if builder.is_open else None
            found, used = _ask_window(
                engine,
                system,
                [(page.page, element) for page, _, element in asked if element],
                context,
                names,
            )
            usage = usage.add(used)
            answers = {answer.page: answer for answer in found}
        for page, cues, element in window:
            if element is None:
                builder.add_blank(page.page)
                continue
            answer = answers[page.page]
            starts = answer.starts or previous is None or answer.category != previous.category
            hints = cues.hints()
            why = answer.reason or ("the category changes" if starts else "")
            reason = f"page {page.page}: {engine.name} model: {why}"
            if hints:
                reason += f" ({'; '.join(hints)})"
            votes = {} if answer.category == UNCATEGORIZED else {answer.category: answer.confidence}
            builder.add(
                PageVerdict(
                    page=page.page,
                    starts=starts,
                    reason=reason,
                    strength=answer.confidence if starts else 1.0,
                    votes=votes,
                )
            )
            previous = answer
        if progress is not None:
            progress(window[-1][0].page)
    segments, unassigned = builder.finish()
    return segments, unassigned, usage
