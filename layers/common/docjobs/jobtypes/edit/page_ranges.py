"""Page selections as clients write them: ``"1-3,7,10-"`` (1-based, inclusive, ``N-`` = to the end)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from docjobs.core.errors import InputValidationError

_ITEM = re.compile(r"^\s*(\d+)\s*(?:(-)\s*(\d*)\s*)?$")


@dataclass(frozen=True)
class PageSelection:
    """A parsed page selection: ``(first, last)`` 1-based spans, ``last`` None for "to the end"."""

    text: str
    spans: tuple[tuple[int, int | None], ...]

    def resolve(self, page_count: int, *, path: str) -> list[int]:
        """The selected pages as sorted, distinct 0-based indexes of a document of ``page_count``
        pages; a page beyond the end is an :class:`InputValidationError` naming ``path``."""
        pages: set[int] = set()
        for first, last in self.spans:
            end = page_count if last is None else last
            if first > page_count or end > page_count:
                raise InputValidationError(
                    f"{path}: page {max(first, end)} is out of range: the document has {page_count} "
                    f"page{'s' if page_count != 1 else ''} at this point of the operations"
                )
            pages.update(range(first - 1, end))
        return sorted(pages)


def parse_page_selection(text: str) -> PageSelection:
    """Parse ``"1-3,7,10-"``; raises ValueError saying which item is malformed (pydantic turns it
    into an error at the option's path)."""
    if not text.strip():
        raise ValueError("empty page selection: give pages like '1-3,7,10-'")
    spans: list[tuple[int, int | None]] = []
    for item in text.split(","):
        match = _ITEM.match(item)
        if not match:
            raise ValueError(f"'{item.strip()}' is not a page or range: use pages like '1-3,7,10-' (1-based)")
        first = int(match.group(1))
        if match.group(2) is None:
            last: int | None = first
        else:
            last = int(match.group(3)) if match.group(3) else None
        if first < 1:
            raise ValueError(f"'{item.strip()}': pages are numbered from 1")
        if last is not None and last < first:
            raise ValueError(f"'{item.strip()}': a range must not end before it starts")
        spans.append((first, last))
    return PageSelection(text=text.strip(), spans=tuple(spans))
