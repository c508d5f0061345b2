"""Rule strategies: page ranges, fixed-size parts, outline entries, blank-page separators.

Pure functions over an open PyMuPDF document and the validated options. Only the outline and
one page at a time are read, so memory does not grow with the page count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.split.options import SplitOptions
from docjobs.jobtypes.split.plan import Segment, SplitPlan

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf

__all__ = ["RULE_STRATEGIES", "is_blank_page", "plan_by_rules"]

RULE_STRATEGIES = ("page_ranges", "every_n_pages", "by_outline", "by_separator")
_SHRINK_EVERY = 50
#: Progress callback: fraction of the pages looked at (0..1).
Progress = Callable[[float], None]


def plan_by_rules(
    doc: pymupdf.Document, options: SplitOptions, *, progress: Progress | None = None
) -> SplitPlan:
    """The parts a rule strategy cuts ``doc`` into. InputValidationError when the document
    does not fit the options (a range past the last page, no outline)."""
    strategy = options.strategy
    pages = doc.page_count
    if strategy == "page_ranges":
        segments = _by_page_ranges(options, pages)
        unassigned = _uncovered(segments, pages)
    elif strategy == "every_n_pages":
        assert options.every_n_pages is not None
        segments = _every_n_pages(options.every_n_pages, pages)
        unassigned = []
    elif strategy == "by_outline":
        assert options.by_outline is not None
        segments = _by_outline(doc, options.by_outline.level)
        unassigned = _uncovered(segments, pages)
    elif strategy == "by_separator":
        segments, unassigned = _by_blank_pages(doc, progress)
    else:
        raise ValueError(f"{strategy} is not a rule strategy")
    return SplitPlan(strategy=strategy, pages=pages, segments=segments, unassigned_pages=unassigned)


def _pages_name(first: int, last: int) -> str:
    return f"pages {first}-{last}" if last > first else f"page {first}"


def _uncovered(segments: list[Segment], pages: int) -> list[int]:
    covered = bytearray(pages + 1)
    for segment in segments:
        covered[segment.first : segment.last + 1] = b"\x01" * segment.page_count
    return [page for page in range(1, pages + 1) if not covered[page]]


def _by_page_ranges(options: SplitOptions, pages: int) -> list[Segment]:
    segments: list[Segment] = []
    for index, page_range in enumerate(options.parsed_ranges()):
        try:
            first, last = page_range.resolve(pages)
        except ValueError as exc:
            raise InputValidationError(
                f"options.page_ranges[{index}]: {exc}",
                details={"errors": [{"path": f"options.page_ranges[{index}]", "msg": str(exc)}]},
            ) from exc
        segments.append(
            Segment(
                name=_pages_name(first, last),
                first=first,
                last=last,
                confidence=1.0,
                evidence=[f"options.page_ranges[{index}] '{page_range.text}'"],
            )
        )
    return segments


def _every_n_pages(size: int, pages: int) -> list[Segment]:
    return [
        Segment(
            name=_pages_name(first, min(first + size - 1, pages)),
            first=first,
            last=min(first + size - 1, pages),
            confidence=1.0,
            evidence=[f"every {size} page(s)"],
        )
        for first in range(1, pages + 1, size)
    ]


def _read_outline(doc: pymupdf.Document) -> list[tuple[int, str, int]]:
    try:
        toc: list[list[Any]] = doc.get_toc(simple=True)
    except Exception:  # noqa: BLE001 - an outline that cannot be read is no outline
        return []
    return [(int(level), str(title).strip(), int(page)) for level, title, page, *_ in toc]


def _by_outline(doc: pymupdf.Document, level: int) -> list[Segment]:
    """One part per outline entry of ``level``: from its page to the page before the next
    entry of the same or a higher level (entries of a level that start on the same page
    make one part). Pages before the first entry, or under a higher-level entry without
    children of ``level``, are unassigned."""
    pages = doc.page_count
    outline = [(lvl, title, page) for lvl, title, page in _read_outline(doc) if 1 <= page <= pages]
    if not outline:
        raise InputValidationError(
            "by_outline: the document has no outline (bookmarks) to split by; "
            "use page_ranges, every_n_pages or by_separator instead",
            details={"errors": [{"path": "options.by_outline", "msg": "the document has no outline"}]},
        )
    entries = [(title, page) for lvl, title, page in outline if lvl == level]
    if not entries:
        levels = sorted({lvl for lvl, _, _ in outline})
        raise InputValidationError(
            f"options.by_outline.level: the outline has no level-{level} entries "
            f"(its levels are {', '.join(str(lvl) for lvl in levels)})",
            details={
                "errors": [{"path": "options.by_outline.level", "msg": f"no level-{level} outline entries"}]
            },
        )
    # A part ends where the next entry of this level or above starts.
    boundaries = sorted({page for lvl, _, page in outline if lvl <= level})
    by_start: dict[int, list[str]] = {}
    for title, page in entries:
        by_start.setdefault(page, []).append(title or f"page {page}")
    segments: list[Segment] = []
    for start in sorted(by_start):
        later = [b for b in boundaries if b > start]
        end = later[0] - 1 if later else pages
        titles = by_start[start]
        segments.append(
            Segment(
                name=titles[0],
                first=start,
                last=end,
                confidence=1.0,
                evidence=[f"outline level {level} entry '{t}' on page {start}" for t in titles],
            )
        )
    return segments


def _is_white(color: Any) -> bool:
    return color is not None and len(color) in (1, 3, 4) and all(c >= 0.99 for c in color[:3])


def is_blank_page(page: pymupdf.Page) -> bool:
    """No text, no images, no drawings. A white fill with no outline (the page background
    some producers paint) is not a drawing: nothing shows on paper."""
    if page.get_text("text").strip():
        return False
    if page.get_image_info(hashes=False, xrefs=False):
        return False
    for path in page.get_cdrawings():
        stroked = path.get("color") is not None and path.get("type") in ("s", "fs")
        filled = path.get("fill") is not None and path.get("type") in ("f", "fs")
        if stroked or (filled and not _is_white(path.get("fill"))):
            return False
    return True


def _by_blank_pages(doc: pymupdf.Document, progress: Progress | None) -> tuple[list[Segment], list[int]]:
    import pymupdf

    pages = doc.page_count
    segments: list[Segment] = []
    blanks: list[int] = []
    start: int | None = None
    separator_before: int | None = None

    def close(last: int) -> None:
        assert start is not None
        evidence = [f"blank page {separator_before} before it"] if separator_before else ["start of document"]
        segments.append(
            Segment(name=_pages_name(start, last), first=start, last=last, confidence=1.0, evidence=evidence)
        )

    for index in range(pages):
        number = index + 1
        if is_blank_page(doc.load_page(index)):
            blanks.append(number)
            if start is not None:
                close(number - 1)
                start = None
            separator_before = number
        elif start is None:
            start = number
        if number % _SHRINK_EVERY == 0:
            pymupdf.TOOLS.store_shrink(100)
            if progress is not None:
                progress(number / pages)
    if start is not None:
        close(pages)
    return segments, blanks
