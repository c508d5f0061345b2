"""Submission-time validation of split options: errors name the option path."""

from __future__ import annotations

import pytest

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.split.options import PageRange, parse_page_range, validate_split_options


def _paths(options: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InputValidationError) as caught:
        validate_split_options(options)
    assert caught.value.error_code == "VALIDATION_ERROR"
    assert caught.value.details is not None
    return {e["path"]: e["msg"] for e in caught.value.details["errors"]}  # type: ignore[index,union-attr]


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [("3", 3, 3), ("1-2", 1, 2), (" 6 - ", 6, None), ("6-", 6, None), ("10 - 12", 10, 12)],
)
def test_page_range_syntax(text: str, first: int, last: int | None) -> None:
    parsed = parse_page_range(text)
    assert (parsed.first, parsed.last) == (first, last)


def test_defaults_fill_in() -> None:
    options = validate_split_options({"page_ranges": ["1-2", "3-5", "6-"]})
    assert options.strategy == "page_ranges"
    assert options.materialize is True and options.allow_uncategorized is True and options.engine == "auto"
    assert [(r.first, r.last) for r in options.parsed_ranges()] == [(1, 2), (3, 5), (6, None)]


def test_each_malformed_range_is_named_by_its_index() -> None:
    errors = _paths({"page_ranges": ["1-2", "x", "5-3", "0", "-4", "2-"]})
    assert set(errors) == {
        "options.page_ranges[1]",
        "options.page_ranges[2]",
        "options.page_ranges[3]",
        "options.page_ranges[4]",
    }
    assert "'x' is not a page range" in errors["options.page_ranges[1]"]
    assert "ends before it starts" in errors["options.page_ranges[2]"]
    assert "numbered from 1" in errors["options.page_ranges[3]"]


def test_overlapping_ranges_name_both() -> None:
    errors = _paths({"page_ranges": ["1-3", "4-5", "6-", "9"]})
    assert errors == {"options.page_ranges[3]": "'9' overlaps '6-' (options.page_ranges[2])"}


@pytest.mark.parametrize(
    ("options", "got"),
    [
        ({}, "got none"),
        ({"every_n_pages": 2, "by_separator": "blank_page"}, "every_n_pages and by_separator"),
    ],
)
def test_exactly_one_strategy(options: dict[str, object], got: str) -> None:
    errors = _paths(options)
    assert list(errors) == ["options"]
    assert "exactly one strategy" in errors["options"] and got in errors["options"]


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"every_n_pages": 0}, "options.every_n_pages"),
        ({"every_n_pages": True}, "options.every_n_pages"),
        ({"every_n_pages": "10"}, "options.every_n_pages"),
        ({"by_outline": {"level": 0}}, "options.by_outline.level"),
        ({"by_outline": {"depth": 1}}, "options.by_outline.depth"),
        ({"by_separator": "hr"}, "options.by_separator"),
        ({"categories": []}, "options.categories"),
        ({"categories": [{"name": "  "}]}, "options.categories[0].name"),
        (
            {"categories": [{"name": "a"}, {"name": "b", "keywords": [""]}]},
            "options.categories[1].keywords[0]",
        ),
        ({"categories": [{"name": "Invoice"}, {"name": "invoice"}]}, "options.categories[1].name"),
        ({"categories": [{"name": "Uncategorized"}]}, "options.categories[0].name"),
        ({"every_n_pages": 5, "engine": "openai"}, "options.engine"),
        ({"every_n_pages": 5, "engine": "gpt"}, "options.engine"),
        ({"every_n_pages": 5, "model": "llama3"}, "options.model"),
        ({"every_n_pages": 5, "pages": [1]}, "options.pages"),
    ],
)
def test_bad_option_is_named(options: dict[str, object], path: str) -> None:
    assert path in _paths(options)


def test_runtime_range_check_names_the_range() -> None:
    assert PageRange("6-", 6, None).resolve(7) == (6, 7)
    with pytest.raises(ValueError, match="'8-' starts after the last page: the document has 7"):
        PageRange("8-", 8, None).resolve(7)
    with pytest.raises(ValueError, match="'5-9' ends after the last page"):
        PageRange("5-9", 5, 9).resolve(7)
