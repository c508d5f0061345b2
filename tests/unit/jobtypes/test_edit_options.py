"""Submission-time validation of edit options: every error names its option path."""

from __future__ import annotations

import pytest

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.edit.options import EditOptions, RedactOp, option_path, parse_edit_options
from docjobs.jobtypes.edit.page_ranges import parse_page_selection


def _error(options: dict[str, object]) -> str:
    with pytest.raises(InputValidationError) as caught:
        parse_edit_options(options)
    return caught.value.message


def test_unknown_operation_is_named_with_its_index() -> None:
    message = _error({"operations": [{"op": "scrub_metadata"}, {"op": "shred"}]})
    assert "options.operations[1].op: unknown operation 'shred'" in message
    assert "fill_form" in message


def test_operation_without_op_is_refused() -> None:
    assert "options.operations[0].op: missing" in _error({"operations": [{"pages": "1"}]})


def test_missing_required_field_is_named() -> None:
    message = _error({"operations": [{"op": "delete_pages"}]})
    assert "options.operations[0].pages: missing" in message


def test_malformed_page_range_is_named() -> None:
    message = _error(
        {"operations": [{"op": "scrub_metadata"}, {"op": "redact", "text": ["x"], "pages": "1-x"}]}
    )
    assert "options.operations[1].pages: '1-x' is not a page or range" in message


@pytest.mark.parametrize("pages", ["0", "3-1", "", "1,,2", "a"])
def test_bad_page_selections_are_refused(pages: str) -> None:
    assert "options.operations[0].pages" in _error({"operations": [{"op": "delete_pages", "pages": pages}]})


def test_degrees_must_be_a_right_angle() -> None:
    message = _error({"operations": [{"op": "rotate_pages", "degrees": 45}]})
    assert "options.operations[0].degrees" in message and "90, 180 or 270" in message


@pytest.mark.parametrize(
    ("order", "problem"), [([1, 1, 2], "appears twice"), ([1, 4, 2], "does not fit a permutation"), ([], "")]
)
def test_reorder_must_be_a_permutation(order: list[int], problem: str) -> None:
    message = _error({"operations": [{"op": "reorder_pages", "order": order}]})
    assert "options.operations[0].order" in message and problem in message


def test_each_bad_pattern_is_named_by_its_index() -> None:
    message = _error({"operations": [{"op": "redact", "patterns": ["ok", "(unclosed", "x*"]}]})
    assert "options.operations[0].patterns[1]: not a valid regular expression" in message
    assert "options.operations[0].patterns[2]: the pattern matches the empty string" in message
    assert "patterns[0]" not in message


def test_redact_needs_something_to_look_for() -> None:
    assert "give at least one of text, patterns, pii" in _error({"operations": [{"op": "redact"}]})


def test_unknown_pii_preset_and_unknown_fields_are_named() -> None:
    message = _error(
        {"operations": [{"op": "redact", "pii": ["passport"]}, {"op": "stamp", "text": "X", "size": 3}]}
    )
    assert "options.operations[0].pii[0]" in message
    assert "options.operations[1].size: unknown field" in message


def test_all_errors_are_listed_in_details() -> None:
    with pytest.raises(InputValidationError) as caught:
        parse_edit_options({"operations": [{"op": "rotate_pages", "degrees": 1}, {"op": "delete_pages"}]})
    paths = [e["path"] for e in caught.value.details["errors"]]  # type: ignore[index,union-attr]
    assert paths == ["options.operations[0].degrees", "options.operations[1].pages"]


def test_empty_and_unknown_top_level_options_are_refused() -> None:
    assert "options.operations" in _error({"operations": []})
    assert "options.output: unknown field" in _error(
        {"operations": [{"op": "scrub_metadata"}], "output": "x"}
    )
    assert "options.output_filename" in _error(
        {"operations": [{"op": "scrub_metadata"}], "output_filename": "a/b"}
    )


def test_valid_options_keep_their_order_and_defaults() -> None:
    options = parse_edit_options(
        {
            "operations": [
                {"op": "redact", "pii": ["email"], "pages": "1-3,7,10-"},
                {"op": "stamp", "text": "DRAFT"},
                {"op": "reorder_pages", "order": [2, 1]},
            ],
            "output_filename": "contract_edited.pdf",
        }
    )
    assert [op.op for op in options.operations] == ["redact", "stamp", "reorder_pages"]
    redact = options.operations[0]
    assert isinstance(redact, RedactOp) and redact.fill == "black" and not redact.case_sensitive
    assert isinstance(options, EditOptions) and not options.uses_comprehend()


def test_page_selection_resolves_against_the_page_count() -> None:
    selection = parse_page_selection("1-3, 7,10-")
    assert selection.resolve(12, path="p") == [0, 1, 2, 6, 9, 10, 11]
    with pytest.raises(InputValidationError, match="p: page 7 is out of range"):
        selection.resolve(5, path="p")


def test_option_path_drops_the_union_tag() -> None:
    assert option_path(("operations", 2, "redact", "pages")) == "options.operations[2].pages"
    assert (
        option_path(("operations", 0, "fill_form", "values", "name")) == "options.operations[0].values.name"
    )
