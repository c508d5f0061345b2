"""The ``categories`` strategy: classify pages (rules or a model engine) and cut into documents.

Pages arrive as a stream (the parsing stage's ``pages.jsonl``, OCR merged), so a 2,000-page
packet is classified holding one page (rules) or one prompt window (models) at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from docjobs.core.errors import ParseError
from docjobs.jobtypes.split.classify_model import JsonModel, segment_by_model
from docjobs.jobtypes.split.classify_rules import segment_by_rules
from docjobs.jobtypes.split.cues import PageText
from docjobs.jobtypes.split.options import SplitOptions
from docjobs.jobtypes.split.plan import SplitPlan, Usage
from docjobs.jobtypes.split.segments import refuse_uncategorized

__all__ = ["plan_by_categories"]


def plan_by_categories(
    pages: Iterable[PageText],
    page_count: int,
    options: SplitOptions,
    *,
    engine: JsonModel | None = None,
    label_resets: Mapping[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> SplitPlan:
    """The plan for ``options.categories``; ``engine`` None means the rules engine."""
    assert options.categories is not None
    seen = 0

    def counted() -> Iterable[PageText]:
        nonlocal seen
        for page in pages:
            seen += 1
            if page.page != seen:
                raise ParseError(f"the parsed pages are out of order: page {page.page} came as page {seen}")
            yield page

    if engine is None:
        segments, unassigned = segment_by_rules(
            counted(), options.categories, label_resets=label_resets, progress=progress
        )
        name, model, usage = "rules", None, Usage()
    else:
        segments, unassigned, usage = segment_by_model(
            counted(),
            options.categories,
            engine,
            allow_uncategorized=options.allow_uncategorized,
            label_resets=label_resets,
            progress=progress,
        )
        name, model = engine.name, engine.model
    if seen != page_count:
        raise ParseError(f"the parsed text has {seen} page(s) but the document has {page_count}")
    if not options.allow_uncategorized:
        refuse_uncategorized(segments)
    return SplitPlan(
        strategy="categories",
        pages=page_count,
        segments=segments,
        unassigned_pages=unassigned,
        engine=name,
        model=model,
        usage=usage,
    )
