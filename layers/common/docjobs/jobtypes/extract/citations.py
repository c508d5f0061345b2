"""Locating a value in the document's own words: page, bbox, source text, ``verified``.

A value is *verified* when a run of consecutive words on a page (in reading order, at most the
value's own length plus a little) says the same thing after normalising whitespace, case, edge
punctuation, number formatting (``1,234.50`` = ``1234.5`` = ``$1,234.50``) and date formatting
(``March 5, 2026`` = ``2026-03-05``): :func:`docjobs.jobtypes.extract.values.same_value`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from docjobs.jobtypes.extract.document import PageWords, Word, union_bbox
from docjobs.jobtypes.extract.values import normalise_text, parse_number, same_value

MAX_RUN = 40
_MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}


@dataclass(frozen=True)
class Location:
    page: int
    bbox: list[float]
    text: str


def _run_lengths(value: Any) -> range:
    if isinstance(value, bool):
        return range(1, 2)
    if isinstance(value, int | float):
        return range(1, 4)  # "$ 1,234.50", "USD 12"
    words = len(str(value).split())
    if len(str(value)) == 10 and str(value)[4:5] == "-":  # ISO date: "March 5, 2026" is 3 words
        return range(1, 5)
    return range(max(1, words - 1), min(MAX_RUN, words + 3) + 1)


def _quick_reject(words: Sequence[Word], value: Any) -> bool:
    """Cheap filter before the full comparison: strings share their first word, numbers a digit."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return not any(ch.isdigit() for ch in words[0].text)
    return False


def locate(value: Any, pages: Sequence[PageWords]) -> Location | None:
    """Where ``value`` appears (first page first), or None when it is not in these pages."""
    if value is None or value == "":
        return None
    text = str(value)
    key = normalise_text(text) if not isinstance(value, bool | int | float) else ""
    first = key.split(" ")[0] if key else ""
    for page in pages:
        words = page.reading_words()
        for start, word in enumerate(words):
            if first and not _may_start(word.text, first, text):
                continue
            for length in _run_lengths(value):
                run = words[start : start + length]
                if len(run) < length:
                    break
                if _quick_reject(run, value):
                    break
                joined = " ".join(w.text for w in run)
                if same_value(joined, value) or (key and normalise_text(joined) == key):
                    return Location(page.number, union_bbox(run), joined)
    return None


def _may_start(word: str, first: str, value: str) -> bool:
    norm = normalise_text(word)
    if not norm:
        return False
    if norm == first or norm.startswith(first) or first.startswith(norm):
        return True
    # dates and numbers can be written differently from their first word
    return any(ch.isdigit() for ch in value) and (any(ch.isdigit() for ch in word) or norm[:3] in _MONTHS)


def number_on_page(value: float, page: PageWords) -> bool:
    return any((n := parse_number(w.text)) is not None and abs(n - value) < 0.005 for w in page.words)
