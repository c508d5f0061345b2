"""Submission-time validation of split options: errors name the option path."""

from __future__ import annotations

import pytest

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.registry import option_path
from docjobs.jobtypes.split.options import PageRange, SplitOptions, parse_page_range
from docjobs.jobtypes.split.spec import SPEC


def validate_split_options(options: dict[str, object]) -> SplitOptions:
    parsed = SPEC.validate_options(options)
    assert isinstance(parsed, SplitOptions)
    return parsed


def _paths(options: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InputValidationError) as caught:
        validate_split_options(options)
    assert caught.value.error_code == "VALIDATION_ERROR"
    assert caught.value.details is not None
    errors = caught.value.details["errors"]
    return {option_path(e["loc"]): e["msg"].removeprefix("Value error, ") for e in errors}  # type: ignore[attr-defined]


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
    assert errors == {
        "options.page_ranges": "options.page_ranges[3] '9' overlaps options.page_ranges[2] '6-': "
        "parts never share a page"
    }


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
        ({"categories": [{"name": "Invoice"}, {"name": "invoice"}]}, "options.categories"),
        ({"categories": [{"name": "Uncategorized"}]}, "options.categories[0].name"),
        ({"every_n_pages": 5, "engine": "openai"}, "options"),
        ({"every_n_pages": 5, "engine": "gpt"}, "options.engine"),
        ({"every_n_pages": 5, "model": "llama3"}, "options"),
        ({"every_n_pages": 5, "ocr": "force"}, "options"),
        ({"categories": [{"name": "a"}], "ocr_language": "english"}, "options.ocr_language"),
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


def test_text_options_follow_the_strategy() -> None:
    rules = validate_split_options({"every_n_pages": 5})
    assert (rules.ocr, rules.detect_tables) == ("off", False)  # the parsing stage OCRs nothing
    categories = validate_split_options({"categories": [{"name": "a"}], "ocr_language": "deu"})
    assert (categories.ocr, categories.ocr_language) == ("auto", "deu")
    again = validate_split_options(rules.model_dump(mode="json"))  # stored options validate again
    assert again == rules


def _check(options: dict[str, object]) -> None:
    assert SPEC.check_submission is not None
    SPEC.check_submission("tenant", validate_split_options(options))


def test_unconfigured_model_engines_are_refused_naming_the_configured_ones() -> None:
    with pytest.raises(
        InputValidationError,
        match="'bedrock' is not configured in this deployment; configured engines: rules",
    ):
        _check({"categories": [{"name": "a"}], "engine": "bedrock"})
    with pytest.raises(InputValidationError, match="the rules engine takes no model"):
        _check({"categories": [{"name": "a"}], "model": "llama3"})
    _check({"categories": [{"name": "a"}]})
    _check({"every_n_pages": 2})  # rule strategies take no engine


def test_a_configured_model_engine_and_its_allowed_models_are_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_MODEL", "llama3.2:3b")
    _check({"categories": [{"name": "a"}], "engine": "openai"})
    _check({"categories": [{"name": "a"}], "engine": "openai", "model": "llama3.2:3b"})
    with pytest.raises(InputValidationError, match="'qwen3' is not allowed for the openai engine"):
        _check({"categories": [{"name": "a"}], "engine": "openai", "model": "qwen3"})
