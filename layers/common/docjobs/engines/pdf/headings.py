"""Headings: from the document outline when it has one, else from font sizes.

The body font size is estimated from a bounded sample of pages; sizes at least
``HEADING_RATIO`` larger are heading sizes, the largest being level 1.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf

#: A span at least this much larger than the body size is heading-sized.
_HEADING_RATIO = 1.15
#: Heading lines are short.
MAX_HEADING_CHARS = 200


@dataclass
class FontProfile:
    """Body font size and the heading-sized font sizes seen in a sample of pages."""

    body_size: float
    heading_sizes: list[float] = field(default_factory=list)

    @property
    def min_heading_size(self) -> float:
        """Sizes (rounded to 0.1) below this are body text."""
        return self.body_size * _HEADING_RATIO

    def heading_level(self, size: float) -> int | None:
        """Level 1 for the largest heading size, 2 for the next... ``None`` for body text."""
        size = round(size, 1)
        if size < self.min_heading_size:
            return None
        larger = sum(1 for s in self.heading_sizes if s > size + 0.05)
        return min(larger + 1, 6)


def font_profile_from_blocks(pages_blocks: Iterable[Sequence[dict[str, Any]]]) -> FontProfile:
    """Compute a :class:`FontProfile` from pages' ``get_text("dict")`` blocks.

    ``pages_blocks`` may be a generator: only one page's blocks need to be in memory.
    """
    weights: Counter[float] = Counter()
    for blocks in pages_blocks:
        for block in blocks:
            for line in block.get("lines", ()):
                for span in line["spans"]:
                    chars = len(span["text"].strip())
                    if chars:
                        weights[round(span["size"], 1)] += chars
    if not weights:
        return FontProfile(body_size=0.0)
    body = max(weights.items(), key=lambda item: (item[1], -item[0]))[0]
    total = sum(weights.values())
    # Heading sizes are larger than body and comparatively rare (< 30 % of the characters).
    headings = sorted(
        (s for s, w in weights.items() if s >= body * _HEADING_RATIO and w < 0.3 * total),
        reverse=True,
    )
    return FontProfile(body_size=body, heading_sizes=headings[:6])


#: What may precede an outline title on its heading line: a section number or label
#: ("2.1", "A.1", "IV.", "Chapter 2:", "Appendix B", "§ 3"), already case-folded.
_SECTION_LABEL = re.compile(
    r"^(?:(?:chapter|section|part|appendix|annex|§)\s*)?(?:\d+|[a-z]|[ivxlcdm]+)?(?:[.\-]\d+)*[.:)]?$"
)


def toc_matches(line_key: str, title_key: str) -> bool:
    """A line matches an outline title when equal, or when it is the title after a section
    label ("2.1 Scope", "Chapter 2: Copyright"). A sentence that merely ends with the title
    ("... but the EAX") does not match."""
    if not line_key or not title_key:
        return False
    if line_key == title_key:
        return True
    if len(line_key) <= len(title_key) or not line_key.endswith(" " + title_key):
        return False
    label = line_key[: len(line_key) - len(title_key)].strip()
    return bool(label) and _SECTION_LABEL.match(label) is not None


def outline_by_page(doc: pymupdf.Document) -> dict[int, list[tuple[int, str]]]:
    """The outline's (level, title) entries by 1-based target page; empty without an outline."""
    by_page: dict[int, list[tuple[int, str]]] = {}
    try:
        toc = doc.get_toc(simple=True)
    except Exception:  # noqa: BLE001 - a broken outline just means "no outline"
        return by_page
    for entry in toc:
        level, title, page = int(entry[0]), str(entry[1]), int(entry[2])
        if page >= 1 and title.strip():
            by_page.setdefault(page, []).append((level, title))
    return by_page
