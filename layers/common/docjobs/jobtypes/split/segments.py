"""Turn per-page verdicts (category votes, "this page starts a document") into segments.

Shared by the rules engine and the model engines. The builder is fed one page at a time and
keeps only the open segment's tallies (a few numbers per category), never page text, so its
memory does not grow with the page count.

Blank pages (no text even after OCR) never decide anything: between two pages of the same
document they stay inside the part (a blank back of a duplex scan); at a boundary, at the start
or at the end they are left out, in ``unassigned_pages``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.split.options import UNCATEGORIZED
from docjobs.jobtypes.split.plan import Segment

__all__ = ["PageVerdict", "SegmentBuilder", "compress_pages"]

#: How sure a cut is, by what made it.
START_OF_DOCUMENT = 1.0
#: The confidence that pages matching no category are uncategorized.
_UNCATEGORIZED_CONFIDENCE = 0.5
_EVIDENCE_TERMS = 5


@dataclass
class PageVerdict:
    """What an engine decided about one non-blank page."""

    page: int
    starts: bool
    #: Evidence for the cut when ``starts`` (e.g. "page 5: title heading 'AGREEMENT' at the top").
    reason: str | None = None
    #: How sure the cut is (0..1); only read when ``starts``.
    strength: float = START_OF_DOCUMENT
    #: Category → weight of this page's vote (scores for rules, confidence for models).
    votes: dict[str, float] = field(default_factory=dict)
    #: (category, evidence text) → weight: the keywords or reasons behind the votes.
    hits: dict[tuple[str, str], float] = field(default_factory=dict)


@dataclass
class _Open:
    first: int
    last: int
    reason: str
    strength: float
    votes: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    hits: defaultdict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))
    pages: int = 0


class SegmentBuilder:
    """Feed pages in order (:meth:`add` or :meth:`add_blank`), then :meth:`finish`.

    ``confidence``: ``scores`` (rules: the leading category's share of the tallies, smoothed)
    or ``votes`` (models: the mean confidence of the pages for the chosen category).
    """

    def __init__(
        self,
        *,
        confidence: Literal["scores", "votes"],
        first_page_weight: float = 2.0,
        min_category_weight: float = 0.0,
    ) -> None:
        self._mode = confidence
        self._min_weight = min_category_weight
        self._first_weight = first_page_weight
        self._open: _Open | None = None
        self._pending_blanks: list[int] = []
        self.segments: list[Segment] = []
        self.unassigned: list[int] = []

    @property
    def is_open(self) -> bool:
        return self._open is not None

    def current_category(self) -> str | None:
        """The category the open segment leans to so far (None: nothing matched yet)."""
        if self._open is None or not self._open.votes:
            return None
        name, weight = _ranked(self._open.votes)[0]
        return name if weight > 0 else None

    def add_blank(self, page: int) -> None:
        self._pending_blanks.append(page)

    def add(self, verdict: PageVerdict) -> None:
        if self._open is None or verdict.starts:
            self._close()
            self.unassigned.extend(self._pending_blanks)
            reason = verdict.reason or f"page {verdict.page}: start of a document"
            self._open = _Open(
                first=verdict.page, last=verdict.page, reason=reason, strength=verdict.strength
            )
            weight = self._first_weight
        else:
            weight = 1.0
        self._pending_blanks.clear()
        current = self._open
        current.last = verdict.page
        current.pages += 1
        for name, vote in verdict.votes.items():
            current.votes[name] += vote * weight
        for key, vote in verdict.hits.items():
            current.hits[key] += vote * weight

    def finish(self) -> tuple[list[Segment], list[int]]:
        self._close()
        self.unassigned.extend(self._pending_blanks)
        self._pending_blanks.clear()
        self.unassigned.sort()
        return self.segments, self.unassigned

    def _close(self) -> None:
        current = self._open
        if current is None:
            return
        self._open = None
        ranked = [(name, weight) for name, weight in _ranked(current.votes) if weight > 0]
        why_not = "no category's name, description or keywords matched"
        if ranked and ranked[0][1] < self._min_weight:
            # a stray mention does not name a document
            why_not = (
                f"no category matched enough (best: {ranked[0][0]}, {ranked[0][1]:.2f} < {self._min_weight})"
            )
            ranked = []
        if not ranked:
            name, class_confidence = UNCATEGORIZED, _UNCATEGORIZED_CONFIDENCE
            evidence = [current.reason, why_not]
        else:
            name, top = ranked[0]
            second = ranked[1][1] if len(ranked) > 1 else 0.0
            if self._mode == "scores":
                class_confidence = top / (top + second + 1.0)
            else:
                total_weight = self._first_weight + (current.pages - 1)
                class_confidence = min(1.0, top / total_weight)
            terms = [
                (text, weight) for (category, text), weight in _ranked(current.hits) if category == name
            ][:_EVIDENCE_TERMS]
            evidence = [current.reason]
            if terms:
                evidence.append("keywords: " + ", ".join(text for text, _ in terms))
        confidence = round(math.sqrt(max(class_confidence, 0.0) * current.strength), 2)
        self.segments.append(
            Segment(
                name=name, first=current.first, last=current.last, confidence=confidence, evidence=evidence
            )
        )


def _ranked[K](tally: dict[K, float]) -> list[tuple[K, float]]:
    """Heaviest first; ties keep the order they were first seen in."""
    return sorted(tally.items(), key=lambda item: -item[1])


def compress_pages(pages: list[int]) -> str:
    """[3, 4, 5, 9] → '3-5, 9'."""
    runs: list[str] = []
    start = prev = None
    for page in sorted(pages):
        if start is None:
            start = prev = page
        elif prev is not None and page == prev + 1:
            prev = page
        else:
            runs.append(f"{start}-{prev}" if start != prev else f"{start}")
            start = prev = page
    if start is not None:
        runs.append(f"{start}-{prev}" if start != prev else f"{start}")
    return ", ".join(runs)


def refuse_uncategorized(segments: list[Segment]) -> None:
    """``allow_uncategorized: false``: pages in uncategorized parts fail the job, named."""
    pages = [p for s in segments if s.name == UNCATEGORIZED for p in range(s.first, s.last + 1)]
    if pages:
        raise InputValidationError(
            f"pages {compress_pages(pages)} match no category and options.allow_uncategorized is false",
            details={
                "errors": [{"path": "options.allow_uncategorized", "msg": "pages match no category"}],
                "pages": pages[:1000],
            },
        )
