"""The ``rules`` engine for ``categories``: keyword scoring plus document-boundary cues.

Each page is scored against each category: its name and keywords (phrases) count 1 in the
body and 3 more in a heading; the content words of its description count 0.25 in the body
and 1 in a heading. Repeats add less and less (1 + ln n). Words are compared after folding
case and plurals ("parties" matches "party"), phrases as consecutive words.

A page starts a new document when (strongest first): its "Page 1 of N" footer says so; the
page before ended with "Page N of N"; the PDF's page labels restart; its top is a title-like
heading that names a category, follows a blank page, or tops a page that clearly belongs to
another category; or its category clearly changes. A "Page 2 of N" footer always continues the
document. Pages that match nothing continue the document they are in.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from docjobs.jobtypes.split.cues import PageCues, PageText, page_cues
from docjobs.jobtypes.split.options import Category
from docjobs.jobtypes.split.plan import Segment
from docjobs.jobtypes.split.segments import PageVerdict, SegmentBuilder

__all__ = ["RulesClassifier", "segment_by_rules"]

HEADING_BONUS = 3.0
BODY_WEIGHT = 1.0
DESCRIPTION_BODY_WEIGHT = 0.25
DESCRIPTION_HEADING_BONUS = 1.0
#: A page "clearly" belongs to another category: at least this score and twice the current one's.
CHANGE_MIN_SCORE = 2.0
CHANGE_RATIO = 2.0
_MAX_PHRASE_WORDS = 6
#: A document needs this much (one keyword on its first page, which counts double, or two
#: elsewhere) to be named after a category; less is a stray mention: uncategorized.
MIN_SEGMENT_SCORE = 2.0

# How sure a cut is, by what made it.
FOOTER_START = 0.95
LABEL_RESET = 0.9
TITLE_START = 0.85
CATEGORY_CHANGE = 0.7

_WORD = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset(
    """a an and are as at be by for from has have in is it its of on or that the this to was were
    which with will would can may shall such these those their there they them than then also any
    each other into about over under between document documents page pages""".split()
)


def _stem(word: str) -> str:
    """Fold plurals: parties → party, boxes → box, invoices → invoice (not 'glass' or 'status')."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.casefold())]


def _ngrams(words: list[str], longest: int) -> Counter[tuple[str, ...]]:
    grams: Counter[tuple[str, ...]] = Counter()
    for size in range(1, longest + 1):
        for i in range(len(words) - size + 1):
            grams[tuple(words[i : i + size])] += 1
    return grams


def _repeat(count: int) -> float:
    return 0.0 if count <= 0 else 1.0 + math.log(count)


@dataclass(frozen=True)
class _Term:
    category: str
    words: tuple[str, ...]
    display: str
    body: float
    heading: float


class RulesClassifier:
    """Scores pages against categories; holds only the compiled terms."""

    def __init__(self, categories: Iterable[Category]) -> None:
        self.categories = [c.name for c in categories]
        terms: list[_Term] = []
        for category in categories:
            seen: set[tuple[str, ...]] = set()
            for phrase in [category.name, *category.keywords]:
                words = tuple(_words(phrase))[:_MAX_PHRASE_WORDS]
                if words and words not in seen:
                    seen.add(words)
                    terms.append(_Term(category.name, words, phrase.strip(), BODY_WEIGHT, HEADING_BONUS))
            for word in _WORD.findall(category.description.casefold()):
                stem = _stem(word)
                if len(word) >= 4 and word not in _STOPWORDS and (stem,) not in seen:
                    seen.add((stem,))
                    terms.append(
                        _Term(
                            category.name, (stem,), word, DESCRIPTION_BODY_WEIGHT, DESCRIPTION_HEADING_BONUS
                        )
                    )
        self._terms = terms
        self._longest = max((len(t.words) for t in terms), default=1)

    def score(
        self, text: str, headings: Iterable[str] = ()
    ) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
        """(category → score, (category, evidence) → weight) for one page's text and headings."""
        body = _ngrams(_words(text), self._longest)
        heads = _ngrams([w for h in headings for w in (*_words(h), "\x00")], self._longest)
        scores: dict[str, float] = dict.fromkeys(self.categories, 0.0)
        hits: dict[tuple[str, str], float] = {}
        for term in self._terms:
            in_body = _repeat(body.get(term.words, 0)) * term.body
            in_heading = _repeat(heads.get(term.words, 0)) * term.heading
            if in_body or in_heading:
                scores[term.category] += in_body + in_heading
                label = f"'{term.display}'" + (" (heading)" if in_heading else "")
                hits[(term.category, label)] = in_body + in_heading
        return scores, hits


def _best(scores: Mapping[str, float]) -> tuple[str | None, float]:
    name, score = max(scores.items(), key=lambda item: item[1], default=(None, 0.0))
    return (name, score) if score > 0 else (None, 0.0)


def segment_by_rules(
    pages: Iterable[PageText],
    categories: list[Category],
    *,
    label_resets: Mapping[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Segment], list[int]]:
    """Segments and unassigned (blank boundary) pages, reading ``pages`` one at a time."""
    classifier = RulesClassifier(categories)
    builder = SegmentBuilder(confidence="scores", min_category_weight=MIN_SEGMENT_SCORE)
    resets = label_resets or {}
    previous: PageCues | None = None
    segment_title: str | None = None
    after_blank = False
    for page in pages:
        cues = page_cues(page, label_reset=resets.get(page.page))
        if progress is not None:
            progress(page.page)
        if cues.blank:
            builder.add_blank(page.page)
            after_blank = True
            continue
        scores, hits = classifier.score(page.text, page.headings)
        current = builder.current_category()
        reason, strength = _cut(cues, previous, scores, current, segment_title, classifier, after_blank)
        after_blank = False
        starts = reason is not None or not builder.is_open
        if starts:
            segment_title = cues.title
        builder.add(
            PageVerdict(
                page=page.page,
                starts=starts,
                reason=reason,
                strength=strength,
                votes={name: score for name, score in scores.items() if score > 0},
                hits=hits,
            )
        )
        previous = cues
    return builder.finish()


def _cut(
    cues: PageCues,
    previous: PageCues | None,
    scores: Mapping[str, float],
    current: str | None,
    segment_title: str | None,
    classifier: RulesClassifier,
    after_blank: bool,
) -> tuple[str | None, float]:
    """(evidence, strength) when this page starts a new document, else (None, 1.0)."""
    n = cues.page
    if previous is None:
        hints = cues.hints()
        return f"page {n}: start of the document" + (f" ({'; '.join(hints)})" if hints else ""), 1.0
    if cues.continues_by_footer:
        return None, 1.0
    if cues.starts_by_footer:
        return f"page {n}: '{cues.page_of_text}' footer", FOOTER_START
    if previous.ends_by_footer:
        return f"page {n}: page {previous.page} ended its document ('{previous.page_of_text}')", FOOTER_START
    if cues.label_reset:
        return f"page {n}: page label restarts at '{cues.label_reset}'", LABEL_RESET
    best, best_score = _best(scores)
    changes = (
        best is not None
        and best != current
        and best_score >= CHANGE_MIN_SCORE
        and best_score >= CHANGE_RATIO * scores.get(current or "", 0.0)
    )
    if cues.title and cues.title != segment_title:
        title_names, _ = _best(classifier.score(cues.title, (cues.title,))[0])
        if title_names is not None or changes or after_blank:
            after = " after a blank page" if after_blank else ""
            return f"page {n}: title heading '{cues.title}' at the top{after}", TITLE_START
    if changes:
        return f"page {n}: the page reads as {best}, not {current or 'the pages before'}", CATEGORY_CHANGE
    return None, 1.0
