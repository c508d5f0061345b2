"""Submission-time checks of extract options: each problem names its option path."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from docjobs.jobtypes.extract.options import ExtractOptions, parse_page_selection, schema_problems


def _messages(options: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        ExtractOptions.model_validate(options)
    return " | ".join(str(error["msg"]) for error in caught.value.errors())


def test_minimal_options_take_defaults() -> None:
    options = ExtractOptions.model_validate(
        {"schema": {"type": "object", "properties": {"a": {"type": "string"}}}}
    )
    assert (options.engine, options.model, options.citations, options.pages) == ("auto", None, True, None)
    assert options.model_dump(by_alias=True)["schema"]["properties"]["a"] == {"type": "string"}


def test_schema_is_required() -> None:
    with pytest.raises(ValidationError) as caught:
        ExtractOptions.model_validate({})
    assert caught.value.errors()[0]["loc"] == ("schema",)


def test_schema_failing_the_meta_schema_names_the_keyword_path() -> None:
    message = _messages({"schema": {"type": "object", "properties": {"total": {"type": "money"}}}})
    assert "options.schema.properties.total.type" in message


def test_root_must_be_an_object_schema() -> None:
    assert 'options.schema.type: must be "object"' in _messages({"schema": {"type": "array"}})


def test_remote_ref_is_refused() -> None:
    message = _messages(
        {"schema": {"type": "object", "properties": {"a": {"$ref": "https://example.com/s.json"}}}}
    )
    assert "options.schema.properties.a.$ref" in message and "#/" in message


def test_dangling_local_ref_is_refused() -> None:
    message = _messages({"schema": {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}})
    assert "options.schema.properties.a.$ref" in message and "points at nothing" in message


def test_local_refs_are_followed_for_depth_and_recursion() -> None:
    node = {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}
    message = _messages(
        {"schema": {"type": "object", "properties": {"n": {"$ref": "#/$defs/node"}}, "$defs": {"node": node}}}
    )
    assert "recursive" in message


def test_eight_levels_are_too_deep_seven_are_fine() -> None:
    def nested(levels: int) -> dict[str, Any]:
        node: dict[str, Any] = {"type": "string"}
        for _ in range(levels):
            node = {"type": "object", "properties": {"x": node}}
        return node

    assert schema_problems(nested(7)) == []
    problems = schema_problems(nested(8))
    assert problems and "deeper than 7 levels" in problems[0].message


def test_more_than_500_properties_is_refused() -> None:
    ok = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(500)}}
    assert schema_problems(ok) == []
    too_many = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(501)}}
    assert "more than 500 properties" in str(schema_problems(too_many)[0])


def test_unknown_dialect_is_named() -> None:
    message = _messages({"schema": {"$schema": "https://example.com/my-dialect", "type": "object"}})
    assert "options.schema.$schema" in message


def test_draft_07_schema_with_definitions_is_accepted() -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "definitions": {"money": {"type": "number"}},
        "properties": {"total": {"$ref": "#/definitions/money"}},
    }
    assert schema_problems(schema) == []


@pytest.mark.parametrize("pages", ["1-", "2,4-6", " 1 - 3 , 7 ", "10-"])
def test_page_selections_in_the_contract_syntax_are_accepted(pages: str) -> None:
    ExtractOptions.model_validate({"schema": {"type": "object"}, "pages": pages})


@pytest.mark.parametrize("pages", ["", "a-b", "0", "3-1", "1,,2", "-3"])
def test_malformed_page_selections_name_options_pages(pages: str) -> None:
    assert "options.pages" in _messages({"schema": {"type": "object"}, "pages": pages})


def test_page_selection_resolves_open_ranges_and_refuses_pages_beyond_the_end() -> None:
    assert parse_page_selection("1-3,7,10-", 12) == [1, 2, 3, 7, 10, 11, 12]
    assert parse_page_selection("2,2,1", 3) == [2, 1]
    with pytest.raises(ValueError, match="beyond the document's 5 page"):
        parse_page_selection("7", 5)


def test_unknown_option_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        ExtractOptions.model_validate({"schema": {"type": "object"}, "extra": 1})
    assert {error["loc"][0] for error in caught.value.errors()} == {"extra"}


def test_unknown_engine_is_refused_naming_the_configured_ones() -> None:
    from docjobs.core.errors import InputValidationError
    from docjobs.engines.models import check_engine_request

    options = ExtractOptions.model_validate({"schema": {"type": "object"}, "engine": "gpt"})
    with pytest.raises(InputValidationError) as caught:
        check_engine_request(options.engine, options.model)
    assert "options.engine: unknown engine 'gpt'" in caught.value.message
    assert "one of: rules" in caught.value.message


def test_instructions_are_limited_to_4000_characters() -> None:
    with pytest.raises(ValidationError):
        ExtractOptions.model_validate({"schema": {"type": "object"}, "instructions": "x" * 4001})
