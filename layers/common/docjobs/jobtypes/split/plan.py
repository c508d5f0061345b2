"""What a strategy decides: the segments (parts) of a document and the pages left out.

A :class:`SplitPlan` is small (a few numbers and strings per part, never page text), so it
travels between stages as a work file and is what ``materialize`` writes parts from.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Self

from pydantic import BaseModel, Field, model_validator

__all__ = ["Segment", "SplitPlan", "Usage", "part_filename", "slug"]


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0

    def add(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
        )


class Segment(BaseModel):
    """One part: pages ``first``..``last`` (1-based, inclusive)."""

    name: str
    first: int = Field(ge=1)
    last: int = Field(ge=1)
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.last < self.first:
            raise ValueError(f"segment '{self.name}' ends (page {self.last}) before it starts ({self.first})")
        return self

    @property
    def page_count(self) -> int:
        return self.last - self.first + 1

    @property
    def pages(self) -> list[int]:
        return [self.first, self.last]


class SplitPlan(BaseModel):
    """The parts of a ``pages``-page document. Parts never overlap; every page is in a part or
    in ``unassigned_pages``."""

    strategy: str
    pages: int = Field(ge=1)
    segments: list[Segment]
    unassigned_pages: list[int] = Field(default_factory=list)
    engine: str = "rules"
    model: str | None = None
    usage: Usage = Field(default_factory=Usage)

    @model_validator(mode="after")
    def _partition(self) -> Self:
        covered = [0] * (self.pages + 1)
        for segment in self.segments:
            if segment.last > self.pages:
                raise ValueError(f"segment '{segment.name}' ends after the last page ({self.pages})")
            for page in range(segment.first, segment.last + 1):
                covered[page] += 1
        for page in self.unassigned_pages:
            if not 1 <= page <= self.pages:
                raise ValueError(f"unassigned page {page} is not a page of the document")
            covered[page] += 1
        wrong = [p for p in range(1, self.pages + 1) if covered[p] != 1]
        if wrong:
            raise ValueError(f"pages {wrong[:10]} are in no part or in more than one")
        return self


_NON_WORD = re.compile(r"[^A-Za-z0-9._-]+")


def slug(name: str, *, max_length: int = 48) -> str:
    """A filename-safe form of a part's name: ASCII letters, digits, ``.``, ``_`` and ``-``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = _NON_WORD.sub("-", ascii_name).strip("-._")
    return cleaned[:max_length].rstrip("-._") or "part"


def part_filename(stem: str, number: int, name: str) -> str:
    """``<stem>_part<N>_<name>.pdf`` with the stem and name made filename-safe."""
    return f"{slug(stem, max_length=80)}_part{number}_{slug(name)}.pdf"
