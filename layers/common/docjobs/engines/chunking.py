"""Split parsed pages into chunks for retrieval: by headings, then by size, with overlap.

Pure Python (no PyMuPDF, no network): the input is a stream of :class:`ParsedPage` whose
text is markdown-ish (``#`` heading lines, ``|`` table rows, paragraphs separated by blank
lines), as produced by ``docjobs.engines.pdf`` and the OCR engines.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:  # pragma: no cover
    from docjobs.engines.pdf import ParsedPage

__all__ = ["Chunk", "ChunkingOptions", "chunk_pages", "count_tokens"]


class Chunk(BaseModel):
    """A piece of a document's text; ``id`` is stable for the same input and options."""

    id: str
    index: int
    text: str
    page_start: int
    page_end: int
    heading_path: list[str]
    char_count: int
    token_count: int


class ChunkingOptions(BaseModel):
    """How to chunk. Validated when a job is submitted, so the messages are user-facing."""

    model_config = ConfigDict(extra="forbid")

    strategy: Literal["heading", "size"] = Field(
        default="heading",
        description="heading: split at headings first, then by size; size: split by size only",
    )
    target_tokens: int = Field(default=512, ge=64, le=8192, description="maximum tokens per chunk")
    overlap_tokens: int = Field(default=64, ge=0, description="tokens repeated from the previous chunk")

    @model_validator(mode="after")
    def _overlap_below_target(self) -> ChunkingOptions:
        if self.overlap_tokens >= self.target_tokens:
            raise ValueError(
                f"overlap_tokens ({self.overlap_tokens}) must be smaller than "
                f"target_tokens ({self.target_tokens})"
            )
        return self


# --------------------------------------------------------------------------------------
# Token counting
# --------------------------------------------------------------------------------------

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN_PIECES = re.compile(rf"[{_CJK}]|[^\W\d_{_CJK}]+|\d+|[^\w\s]|_")
_LETTERS_PER_TOKEN = 6
_DIGITS_PER_TOKEN = 3


def count_tokens(text: str) -> int:
    """Deterministic approximation of a BPE tokenizer's count (no model download).

    The text is cut into pieces: runs of letters, runs of digits, single CJK characters and
    single punctuation/symbol characters (whitespace separates pieces and is free). A letter
    run counts one token per started 6 letters (most English words are 1 token, long words
    2-3), a digit run one per started 3 digits, every other piece one token. Counts are
    additive over whitespace-separated parts, which the chunker relies on (and which lets
    each distinct word be counted once, then remembered).
    """
    return sum(map(_word_tokens, text.split()))


@functools.lru_cache(maxsize=1 << 16)
def _word_tokens(word: str) -> int:
    total = 0
    for match in _TOKEN_PIECES.finditer(word):
        piece = match.group()
        first = piece[0]
        if first.isdigit():
            total += math.ceil(len(piece) / _DIGITS_PER_TOKEN)
        elif first.isalpha() and len(piece) > 1:
            total += math.ceil(len(piece) / _LETTERS_PER_TOKEN)
        else:
            total += 1
    return total


# --------------------------------------------------------------------------------------
# Units: the indivisible pieces chunks are made of
# --------------------------------------------------------------------------------------

UnitKind = Literal["heading", "text", "thead", "row"]


@dataclass(frozen=True)
class _Unit:
    text: str
    page: int
    tokens: int
    kind: UnitKind
    para: int  # paragraph serial: units of one paragraph are joined with " " (rows: "\n")
    path: tuple[str, ...]
    header: tuple[str, ...] = ()  # body rows: the table's header and separator lines


_HEADING = re.compile(r"^(#{1,6})\s+(\S.*)$")
_BLANK_LINES = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_TABLE_SEPARATOR = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def _unescape(text: str) -> str:
    """A heading's title as the reader sees it (markdown escapes removed)."""
    return _ESCAPED.sub(r"\1", text)


def _split_words(text: str, limit: int) -> Iterator[tuple[str, int]]:
    """Split ``text`` at whitespace into pieces of at most ``limit`` tokens each (with their count)."""
    piece: list[str] = []
    tokens = 0
    for word in text.split():
        word_tokens = count_tokens(word)
        if word_tokens > limit:
            if piece:
                yield " ".join(piece), tokens
                piece, tokens = [], 0
            for part in _split_long_word(word, limit):
                yield part, count_tokens(part)
            continue
        if piece and tokens + word_tokens > limit:
            yield " ".join(piece), tokens
            piece, tokens = [], 0
        piece.append(word)
        tokens += word_tokens
    if piece:
        yield " ".join(piece), tokens


def _split_long_word(word: str, limit: int) -> Iterator[str]:
    start = 0
    while start < len(word):
        end = min(len(word), start + limit)  # every character is at most one token
        while end < len(word) and count_tokens(word[start : end + 1]) <= limit:
            end = min(len(word), end + limit)
        while count_tokens(word[start:end]) > limit and end - start > 1:
            end -= 1
        yield word[start:end]
        start = end


def _sentences(paragraph: str, limit: int) -> Iterator[tuple[str, int]]:
    """Sentences of a paragraph (split further when over ``limit``), each with its token count."""
    for sentence in _SENTENCE_END.split(paragraph):
        sentence = sentence.strip()
        if not sentence:
            continue
        tokens = count_tokens(sentence)
        if tokens > limit:
            yield from _split_words(sentence, limit)
        else:
            yield sentence, tokens


class _UnitStream:
    """Turns pages into units, tracking the heading stack and paragraph serials."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.stack: list[tuple[int, str]] = []
        self.para = 0

    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.stack)

    def units(self, pages: Iterable[ParsedPage]) -> Iterator[_Unit]:
        for page in pages:
            text = page.text.strip()
            if text:
                # A table-of-contents page is kept out of retrieval: only its headings count.
                yield from self._page_units(page.page, text, headings_only=page.kind == "toc")

    def _page_units(self, page: int, text: str, *, headings_only: bool = False) -> Iterator[_Unit]:
        for block in _BLANK_LINES.split(text):
            prose: list[str] = []
            in_table = False
            header: tuple[str, ...] = ()
            lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
            if headings_only:
                lines = [ln for ln in lines if _HEADING.match(ln)]
            for position, line in enumerate(lines):
                heading = _HEADING.match(line)
                is_row = line.startswith("|")
                if heading or is_row:
                    if prose:
                        yield from self._prose_units(page, " ".join(prose))
                        prose = []
                if heading:
                    in_table = False
                    self.para += 1
                    level, title = len(heading.group(1)), _unescape(heading.group(2).strip())
                    while self.stack and self.stack[-1][0] >= level:
                        self.stack.pop()
                    self.stack.append((level, title))
                    yield _Unit(line, page, count_tokens(line), "heading", self.para, self.path())
                elif is_row:
                    if not in_table:
                        self.para += 1
                        in_table = True
                        header = ()
                    following = lines[position + 1] if position + 1 < len(lines) else ""
                    tokens = count_tokens(line)
                    if _TABLE_SEPARATOR.match(following) or _TABLE_SEPARATOR.match(line):
                        header = (*header, line)
                        yield _Unit(line, page, tokens, "thead", self.para, self.path())
                    else:
                        # A table row is never split, even when it is larger than the target.
                        yield _Unit(line, page, tokens, "row", self.para, self.path(), header)
                else:
                    in_table = False
                    prose.append(line)
            if prose:
                yield from self._prose_units(page, " ".join(prose))

    def _prose_units(self, page: int, paragraph: str) -> Iterator[_Unit]:
        self.para += 1
        path = self.path()
        for sentence, tokens in _sentences(paragraph, self.limit):
            yield _Unit(sentence, page, tokens, "text", self.para, path)


# --------------------------------------------------------------------------------------
# Chunk assembly
# --------------------------------------------------------------------------------------


def _join(units: list[_Unit]) -> str:
    out: list[str] = []
    previous: _Unit | None = None
    for unit in units:
        if previous is not None:
            if unit.para != previous.para:
                out.append("\n\n")
            else:
                out.append("\n" if unit.kind in ("row", "thead") else " ")
        out.append(unit.text)
        previous = unit
    return "".join(out)


def _make_chunk(index: int, units: list[_Unit]) -> Chunk:
    text = _join(units)
    page_start = min(u.page for u in units)
    page_end = max(u.page for u in units)
    body = [u for u in units if u.kind not in ("heading", "thead")]
    path = (body[0] if body else units[-1]).path
    digest = hashlib.sha256(f"{index}:{page_start}:{text}".encode()).hexdigest()[:16]
    return Chunk(
        id=digest,
        index=index,
        text=text,
        page_start=page_start,
        page_end=page_end,
        heading_path=list(path),
        char_count=len(text),
        token_count=sum(u.tokens for u in units),  # additive over whitespace: no recount
    )


def _closes(heading: _Unit, buffer: list[_Unit]) -> bool:
    """``heading`` is at the level of the last buffered heading or above it."""
    last = buffer[-1]
    return last.kind == "heading" and len(heading.path) <= len(last.path)


def _has_body(units: list[_Unit]) -> bool:
    return any(u.kind in ("text", "row") for u in units)


def _overlap(units: list[_Unit], budget: int, room: int) -> list[_Unit]:
    """The longest tail of sentences within ``budget`` tokens that also fits in ``room``.

    Table rows are not repeated: a table continued in the next chunk gets its header instead.
    """
    limit = min(budget, room)
    tail: list[_Unit] = []
    total = 0
    for unit in reversed(units):
        if unit.kind != "text" or total + unit.tokens > limit:
            break
        tail.append(unit)
        total += unit.tokens
    tail.reverse()
    return tail


def chunk_pages(pages: Iterable[ParsedPage], options: ChunkingOptions | None = None) -> Iterator[Chunk]:
    """Stream chunks from a stream of pages (pages are consumed lazily, one at a time).

    ``heading`` strategy: every heading starts a new chunk (consecutive headings with no text
    between them stay together), and sections longer than ``target_tokens`` are split at
    sentence/paragraph/table-row boundaries with ``overlap_tokens`` of trailing sentences
    repeated. ``size`` strategy: headings do not force a boundary (a heading at the end of a
    full chunk moves to the next one). Chunks never exceed ``target_tokens`` except for a
    single table row that is larger on its own. The same input gives the same chunks and ids.
    """
    opts = options or ChunkingOptions()
    target = opts.target_tokens
    by_heading = opts.strategy == "heading"
    stream = _UnitStream(limit=target)

    index = 0
    buffer: list[_Unit] = []
    tokens = 0
    for unit in stream.units(pages):
        if unit.kind == "heading" and by_heading:
            # A heading closes the section before it: a section with text, or one that has
            # only headings when this heading is a sibling or higher (an empty section keeps
            # its own chunk rather than vanishing from every heading_path).
            if _has_body(buffer) or (buffer and _closes(unit, buffer)):
                yield _make_chunk(index, buffer)
                index += 1
                buffer, tokens = [], 0
            buffer.append(unit)
            tokens += unit.tokens
            continue
        if tokens + unit.tokens > target and _has_body(buffer):
            carried: list[_Unit] = []
            while buffer and buffer[-1].kind in ("heading", "thead"):
                carried.insert(0, buffer.pop())  # don't end a chunk with a dangling heading
            yield _make_chunk(index, buffer)
            index += 1
            if unit.kind == "row" and unit.header and not any(u.kind == "thead" for u in carried):
                # A table continues: repeat its header so the rows stay readable on their own.
                carried.extend(
                    _Unit(line, unit.page, count_tokens(line), "thead", unit.para, unit.path)
                    for line in unit.header
                )
            carried_tokens = sum(u.tokens for u in carried)
            room = target - unit.tokens - carried_tokens
            buffer = [*_overlap(buffer, opts.overlap_tokens, room), *carried] if room > 0 else carried
            tokens = sum(u.tokens for u in buffer)
        buffer.append(unit)
        tokens += unit.tokens
    if buffer:
        yield _make_chunk(index, buffer)
