"""Pages as markdown: headings, tables and paragraphs of one page, streamed page by page.

Reading order comes from ``page.get_text("dict", sort=True)`` (with two-column runs read
column by column). Headings come from the outline when the document has one, else from font
sizes (``headings``). Ruled tables come from ``tables`` and replace their area's text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from docjobs.core.errors import ParseError
from docjobs.engines.pdf.headings import (
    MAX_HEADING_CHARS,
    FontProfile,
    font_profile_from_blocks,
    outline_by_page,
    toc_matches,
)
from docjobs.engines.pdf.tables import Table, find_page_tables
from docjobs.engines.pdf.text import (
    MIN_TEXT_CHARS,
    RunningLines,
    column_order,
    dict_flags,
    escape_markdown,
    is_toc_page,
    line_size,
    line_text,
    needs_ocr,
    norm_key,
    overlaps,
    running_lines_from_pages,
)

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf

__all__ = ["DocumentProfile", "Heading", "ParsedPage", "build_page", "document_profile", "iter_pages"]

#: Pages sampled (evenly over the document) for the body font size and running headers.
_SAMPLE_PAGES = 20
_STORE_SHRINK_EVERY = 50


class Heading(BaseModel):
    level: int = Field(ge=1, le=6)
    text: str


#: One word an OCR engine read: its box as fractions of the page (x0, y0, x1, y1) and its text.
OcrWord = tuple[float, float, float, float, str]


class ParsedPage(BaseModel):
    """One page's text as markdown: ``#`` headings, markdown tables, paragraphs."""

    page: int = Field(ge=1, description="1-based page number")
    text: str
    headings: list[Heading] = Field(default_factory=list)
    needs_ocr: bool = False
    char_count: int = 0
    kind: Literal["text", "toc"] = Field(
        default="text", description="toc: a table-of-contents page (kept out of retrieval chunks)"
    )
    header: str | None = Field(default=None, description="running header removed from the text")
    footer: str | None = Field(default=None, description="running footer / page number removed from the text")
    words: list[OcrWord] | None = Field(
        default=None,
        description="an OCR'd page's words: (x0, y0, x1, y1) as fractions of the page's width and "
        "height, and the text; extract cites from them instead of OCRing the page again",
    )


@dataclass(frozen=True)
class DocumentProfile:
    """What parsing one page needs to know about the whole document.

    Computed from the document alone (the outline and a fixed sample of pages), so every
    worker of a page-parallel parse computes the same profile.
    """

    fonts: FontProfile
    running: RunningLines
    outline: dict[int, list[tuple[int, str]]]

    @property
    def use_outline(self) -> bool:
        return bool(self.outline)


def _sample_indexes(count: int) -> list[int]:
    if count <= _SAMPLE_PAGES:
        return list(range(count))
    step = count / _SAMPLE_PAGES
    return sorted({int(i * step) for i in range(_SAMPLE_PAGES)})


def _sample_pages(doc: pymupdf.Document) -> dict[int, tuple[float, list[dict[str, Any]]]]:
    """(page height, unsorted ``dict`` blocks) of the sampled pages, by 0-based index."""
    flags = dict_flags()
    sample: dict[int, tuple[float, list[dict[str, Any]]]] = {}
    for index in _sample_indexes(doc.page_count):
        try:
            page = doc.load_page(index)
            sample[index] = (page.rect.height, page.get_text("dict", flags=flags)["blocks"])
        except Exception:  # noqa: BLE001,S112 - a bad page must not break the estimate
            continue
    return sample


def _profile(doc: pymupdf.Document, sample: dict[int, tuple[float, list[dict[str, Any]]]]) -> DocumentProfile:
    pages = [sample[i] for i in sorted(sample)]
    return DocumentProfile(
        fonts=font_profile_from_blocks(blocks for _, blocks in pages),
        running=running_lines_from_pages(pages),
        outline=outline_by_page(doc),
    )


def document_profile(doc: pymupdf.Document) -> DocumentProfile:
    return _profile(doc, _sample_pages(doc))


def build_page(
    page_number: int,
    blocks: Sequence[dict[str, Any]],
    *,
    profile: FontProfile,
    toc_entries: Sequence[tuple[int, str]] = (),
    use_toc: bool = False,
    tables: Sequence[Table] = (),
    needs_ocr: bool = False,
    page_height: float = 0.0,
    running: RunningLines | None = None,
) -> ParsedPage:
    """Assemble a :class:`ParsedPage` from ``get_text("dict", sort=True)`` blocks.

    With ``use_toc`` the headings are the page's outline entries (matched to its lines; an
    entry that matches no line is put at the top of the page); otherwise lines whose font
    is heading-sized per ``profile`` are headings. Lines that ``running`` recognises as
    running headers/footers (in the page's top/bottom band, ``page_height``) go to
    ``header``/``footer`` instead of the text. Body text is escaped, so only headings start
    with ``#`` and only tables with ``|``.
    """
    parts: list[str] = []
    headings: list[Heading] = []
    pending_tables = sorted(tables, key=lambda t: (t.bbox[1], t.bbox[0]))
    table_rects = [t.bbox for t in tables]
    margins: tuple[list[str], list[str]] = ([], [])
    body_lines: list[str] = []
    texts: dict[int, str] = {}  # id(line) -> its text

    kept_blocks: list[dict[str, Any]] = []
    for block in blocks:
        lines = []
        for ln in block.get("lines", ()):
            text = line_text(ln)
            if not text:
                continue
            band = running.band(ln["bbox"], text, page_height) if running is not None else None
            if band is not None:
                margins[band].append(text)
            else:
                lines.append(ln)
                body_lines.append(text)
                texts[id(ln)] = text
        if lines:
            kept_blocks.append({**block, "lines": lines})
    ordered = column_order(kept_blocks)

    min_heading_size = profile.min_heading_size

    def size_level(line: dict[str, Any]) -> int | None:
        if len(texts[id(line)]) > MAX_HEADING_CHARS:
            return None
        if round(max(span["size"] for span in line["spans"]), 1) < min_heading_size:
            return None  # no span is heading-sized (most lines): skip weighing the spans
        return profile.heading_level(line_size(line))

    outline_lines: dict[int, int] = {}  # id(line) -> outline level
    if use_toc:
        outline_lines, unmatched = _outline_lines(toc_entries, ordered, texts, table_rects, size_level)
        # Outline entries whose title matches no line go first (they start the page's section).
        for entry_level, title in unmatched:
            headings.append(Heading(level=entry_level, text=title.strip()))
            parts.append("#" * entry_level + " " + escape_markdown(title.strip()))

    paragraph: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            parts.append(escape_markdown(" ".join(paragraph)))
            paragraph.clear()

    def emit_heading(level: int, text: str) -> None:
        flush_paragraph()
        headings.append(Heading(level=level, text=text))
        parts.append("#" * level + " " + escape_markdown(text))

    for block in ordered:
        lines = block["lines"]
        if table_rects and overlaps(block["bbox"], table_rects):
            # Tables are emitted as markdown where they start (in reading order).
            while pending_tables and pending_tables[0].bbox[1] <= block["bbox"][3]:
                flush_paragraph()
                parts.append(pending_tables.pop(0).markdown)
            continue
        while pending_tables and pending_tables[0].bbox[1] <= block["bbox"][1]:
            flush_paragraph()
            parts.append(pending_tables.pop(0).markdown)
        heading_lines: list[str] = []
        heading_level = 0
        level: int | None
        for line in lines:
            text = texts[id(line)]
            if use_toc:
                level = outline_lines.get(id(line))
                if heading_lines:  # outline entries are one line each: never joined
                    emit_heading(heading_level, " ".join(heading_lines))
                    heading_lines = []
                if level is None and size_level(line) is not None:
                    # Heading-sized but not in the outline: keep it as its own paragraph.
                    flush_paragraph()
                    paragraph.append(text)
                    flush_paragraph()
                    continue
            else:
                level = size_level(line)
            if level is not None:
                if heading_lines and level != heading_level:
                    emit_heading(heading_level, " ".join(heading_lines))
                    heading_lines = []
                flush_paragraph()
                heading_lines.append(text)
                heading_level = level
                continue
            if heading_lines:
                emit_heading(heading_level, " ".join(heading_lines))
                heading_lines = []
            if paragraph and paragraph[-1].endswith("-") and text[:1].islower():
                paragraph[-1] = paragraph[-1][:-1] + text  # re-join a hyphenated word
            else:
                paragraph.append(text)
        if heading_lines:
            emit_heading(heading_level, " ".join(heading_lines))
        flush_paragraph()
    for table in pending_tables:
        parts.append(table.markdown)

    text = "\n\n".join(p for p in parts if p)
    return ParsedPage(
        page=page_number,
        text=text,
        headings=headings,
        needs_ocr=needs_ocr,
        char_count=len(text),
        kind="toc" if is_toc_page(body_lines) else "text",
        header=" | ".join(margins[0]) or None,
        footer=" | ".join(margins[1]) or None,
    )


def _outline_lines(
    entries: Sequence[tuple[int, str]],
    blocks: Sequence[dict[str, Any]],
    texts: dict[int, str],
    table_rects: Sequence[tuple[float, float, float, float]],
    size_level: Callable[[dict[str, Any]], int | None],
) -> tuple[dict[int, int], list[tuple[int, str]]]:
    """The line each outline entry of the page heads, ``id(line) -> level (1-6)``, and the
    entries (level 1-6, title) that head no line.

    Of the lines that match an entry's title (``toc_matches``), one in a heading-sized font
    wins over one in body size (a running header or a cross-reference that repeats the
    title), then the first in reading order. Lines inside tables are never headings.
    """
    if not entries:
        return {}, []
    candidates = [
        (line, norm_key(texts[id(line)]))
        for block in blocks
        if not (table_rects and overlaps(block["bbox"], table_rects))
        for line in block["lines"]
    ]
    chosen: dict[int, int] = {}
    unmatched: list[tuple[int, str]] = []
    for level, title in entries:
        level = min(max(level, 1), 6)
        key = norm_key(title)
        matches = [line for line, text in candidates if id(line) not in chosen and toc_matches(text, key)]
        if not matches:
            unmatched.append((level, title))
            continue
        sized = [line for line in matches if size_level(line) is not None]
        chosen[id((sized or matches)[0])] = level
    return chosen, unmatched


def iter_pages(
    doc: pymupdf.Document,
    *,
    detect_tables: bool = True,
    first_page: int = 1,
    last_page: int | None = None,
    profile: DocumentProfile | None = None,
) -> Iterator[ParsedPage]:
    """Yield one :class:`ParsedPage` per page of ``first_page``..``last_page`` (1-based,
    inclusive; default: all), in order, holding one page at a time.

    A range gives exactly the pages the whole-document parse gives for it: the
    :class:`DocumentProfile` depends on the document only. A page that cannot be read raises
    :class:`ParseError` naming the page.
    """
    import pymupdf

    # The sampled pages' text is kept and reused when the loop reaches them (a document of
    # up to _SAMPLE_PAGES pages is read once, not twice). A given profile (page-parallel
    # workers) is used as it is.
    sample: dict[int, tuple[float, list[dict[str, Any]]]] = {}
    if profile is None:
        sample = _sample_pages(doc)
        profile = _profile(doc, sample)
    flags = dict_flags()
    stop = doc.page_count if last_page is None else min(last_page, doc.page_count)
    for index in range(max(first_page, 1) - 1, stop):
        try:
            page = doc.load_page(index)
            height = page.rect.height
            textpage: pymupdf.TextPage | None = None
            if index in sample:
                blocks = sample.pop(index)[1]
                blocks.sort(key=_reading_key)  # what extractDICT(sort=True) does
            else:
                textpage = page.get_textpage(flags=flags)
                blocks = textpage.extractDICT(sort=True)["blocks"]
            tables = (
                find_page_tables(
                    page, [ln["bbox"] for b in blocks for ln in b.get("lines", ())], textpage=textpage
                )
                if detect_tables
                else []
            )
            wants_ocr = not _has_text_layer(blocks) and needs_ocr(page, "")
        except Exception as exc:
            raise ParseError(
                f"Page {index + 1} could not be read: {exc}", details={"page": index + 1}
            ) from exc
        yield build_page(
            index + 1,
            blocks,
            profile=profile.fonts,
            toc_entries=profile.outline.get(index + 1, ()),
            use_toc=profile.use_outline,
            tables=tables,
            needs_ocr=wants_ocr,
            page_height=height,
            running=profile.running,
        )
        del page, blocks, textpage
        if (index + 1) % _STORE_SHRINK_EVERY == 0:
            pymupdf.TOOLS.store_shrink(100)  # MuPDF's object cache would otherwise grow


def _has_text_layer(blocks: Sequence[dict[str, Any]]) -> bool:
    """At least MIN_TEXT_CHARS letters or digits (stops counting as soon as there are enough)."""
    found = 0
    for block in blocks:
        for line in block.get("lines", ()):
            for span in line["spans"]:
                found += sum(map(str.isalnum, span["text"]))
                if found >= MIN_TEXT_CHARS:
                    return True
    return False


def _reading_key(block: dict[str, Any]) -> tuple[float, float]:
    return (block["bbox"][3], block["bbox"][0])
