"""Options of a ``split`` job, validated when the job is submitted.

Exactly one strategy: ``page_ranges``, ``every_n_pages``, ``by_outline``, ``by_separator`` or
``categories``. Everything that can be checked without the document is checked here (range
syntax, overlapping ranges, duplicate category names), so a bad request is a 400 naming the
option path (``options.page_ranges[2]``) rather than a queued job that fails later. What needs
the document (a range past the last page, a missing outline) is checked when the job runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    field_validator,
    model_validator,
)

__all__ = [
    "STRATEGIES",
    "UNCATEGORIZED",
    "Category",
    "OutlineOption",
    "PageRange",
    "SplitOptions",
    "parse_page_range",
]

STRATEGIES = ("page_ranges", "every_n_pages", "by_outline", "by_separator", "categories")
#: The name of a part whose pages match no category (``allow_uncategorized``).
UNCATEGORIZED = "uncategorized"
MAX_PAGE_RANGES = 1000
MAX_CATEGORIES = 50

_RANGE = re.compile(r"^\s*(\d+)\s*(?:(-)\s*(\d+)?)?\s*$")


@dataclass(frozen=True)
class PageRange:
    """A 1-based inclusive page range; ``last`` is None for an open-ended range (``"6-"``)."""

    text: str
    first: int
    last: int | None

    def overlaps(self, other: PageRange) -> bool:
        self_last = self.last if self.last is not None else float("inf")
        other_last = other.last if other.last is not None else float("inf")
        return self.first <= other_last and other.first <= self_last

    def resolve(self, page_count: int) -> tuple[int, int]:
        """(first, last) within a document of ``page_count`` pages; ValueError when it does not fit."""
        if self.first > page_count:
            raise ValueError(
                f"'{self.text}' starts after the last page: the document has {page_count} page(s)"
            )
        last = page_count if self.last is None else self.last
        if last > page_count:
            raise ValueError(f"'{self.text}' ends after the last page: the document has {page_count} page(s)")
        return self.first, last


def parse_page_range(text: str) -> PageRange:
    """``"3"``, ``"1-2"`` or ``"6-"`` (open-ended) → :class:`PageRange`; ValueError saying why not."""
    match = _RANGE.match(text)
    if match is None:
        raise ValueError(
            f"'{text}' is not a page range: use 'N' (one page), 'N-M' (pages N to M) or 'N-' "
            "(page N to the end), with 1-based page numbers"
        )
    first = int(match.group(1))
    open_ended = match.group(2) is not None and match.group(3) is None
    last = None if open_ended else int(match.group(3) or first)
    if first < 1:
        raise ValueError(f"'{text}' starts at page {first}: pages are numbered from 1")
    if last is not None and last < first:
        raise ValueError(f"'{text}' ends before it starts ({last} < {first})")
    return PageRange(text=text.strip(), first=first, last=last)


def _check_range(text: str) -> str:
    parse_page_range(text)
    return text.strip()


class OutlineOption(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: StrictInt = Field(default=1, ge=1, le=9, description="outline (bookmark) level: 1 = top level")


_CategoryName = Annotated[str, Field(min_length=1, max_length=64)]
_Keyword = Annotated[str, Field(min_length=1, max_length=100)]


class Category(BaseModel):
    """A kind of document the packet may hold; pages are scored against these words."""

    model_config = ConfigDict(extra="forbid")

    name: _CategoryName = Field(description="the part's name (also used in its filename)")
    description: str = Field(default="", max_length=1000, description="what such a document is")
    keywords: list[_Keyword] = Field(
        default_factory=list, max_length=50, description="words or phrases that mark this kind of document"
    )

    @field_validator("name")
    @classmethod
    def _name_has_text(cls, value: str) -> str:
        value = value.strip()
        if not any(ch.isalnum() for ch in value):
            raise ValueError("a category name needs at least one letter or digit")
        if value.casefold() == UNCATEGORIZED:
            raise ValueError(f"'{UNCATEGORIZED}' is reserved for pages that match no category")
        return value


class SplitOptions(BaseModel):
    """Options of a ``split`` job (exactly one strategy)."""

    model_config = ConfigDict(extra="forbid")

    page_ranges: list[Annotated[str, AfterValidator(_check_range)]] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_PAGE_RANGES,
        description="explicit parts: 'N', 'N-M' or 'N-' (to the end), 1-based and inclusive",
    )
    every_n_pages: StrictInt | None = Field(default=None, ge=1, le=100_000, description="fixed-size parts")
    by_outline: OutlineOption | None = Field(
        default=None, description="one part per outline (bookmark) entry of this level"
    )
    by_separator: Literal["blank_page"] | None = Field(
        default=None, description="a blank page (no text, images or drawings) separates parts and is dropped"
    )
    categories: list[Category] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_CATEGORIES,
        description="classify pages and cut where the document (or its category) changes",
    )
    engine: Literal["auto", "bedrock", "openai", "rules"] = Field(
        default="auto", description="who classifies pages for `categories`; auto = first configured"
    )
    model: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the model for `categories` with a model engine (one the deployment allows)",
    )
    ocr: Literal["auto", "off", "force"] | None = Field(
        default=None,
        description="for `categories`: auto (default) OCRs pages without a text layer; force: every page; "
        "off: never. Rule strategies read no text and never OCR.",
    )
    ocr_language: str = Field(
        default="eng", pattern=r"^[a-z]{3}(\+[a-z]{3})*$", description="Tesseract language codes for OCR"
    )
    detect_tables: bool = Field(
        default=False, description="render tables as markdown in the text `categories` reads (slower)"
    )
    materialize: bool = Field(default=True, description="write each part as a PDF output document")
    allow_uncategorized: bool = Field(
        default=True, description="with false, pages that match no category fail the job"
    )

    @field_validator("page_ranges")
    @classmethod
    def _ranges_do_not_overlap(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        parsed = [parse_page_range(text) for text in value]
        for i, current in enumerate(parsed):
            for j in range(i):
                if current.overlaps(parsed[j]):
                    raise ValueError(
                        f"options.page_ranges[{i}] '{current.text}' overlaps "
                        f"options.page_ranges[{j}] '{parsed[j].text}': parts never share a page"
                    )
        return value

    @field_validator("categories")
    @classmethod
    def _unique_names(cls, value: list[Category] | None) -> list[Category] | None:
        if value is None:
            return value
        seen: dict[str, int] = {}
        for i, category in enumerate(value):
            key = category.name.casefold()
            if key in seen:
                raise ValueError(
                    f"options.categories[{i}].name '{category.name}' is already the name of "
                    f"options.categories[{seen[key]}]"
                )
            seen[key] = i
        return value

    @model_validator(mode="after")
    def _exactly_one_strategy(self) -> SplitOptions:
        chosen = [name for name in STRATEGIES if getattr(self, name) is not None]
        if len(chosen) != 1:
            got = "none" if not chosen else " and ".join(chosen)
            raise ValueError(f"exactly one strategy is needed ({', '.join(STRATEGIES)}); got {got}")
        if self.strategy != "categories":
            for name, unset in (("engine", "auto"), ("model", None), ("ocr", "off")):
                if getattr(self, name) not in (unset, None):
                    raise ValueError(
                        f"options.{name} applies only to the categories strategy (this job uses "
                        f"{self.strategy}, which reads no text)"
                    )
            # The shared parsing stage reads these (TextOptions): rule strategies need no OCR.
            self.ocr = "off"
        elif self.ocr is None:
            self.ocr = "auto"
        return self

    @property
    def strategy(self) -> str:
        return next(name for name in STRATEGIES if getattr(self, name) is not None)

    def parsed_ranges(self) -> list[PageRange]:
        return [parse_page_range(text) for text in self.page_ranges or []]
