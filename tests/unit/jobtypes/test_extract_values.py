"""Reading text as schema types, and the normalisation ``verified`` rests on."""

from __future__ import annotations

from typing import Any

import pytest

from docjobs.jobtypes.extract.values import coerce, parse_number, same_value


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("$1,234.50", 1234.5),
        ("1.234,50 €", 1234.5),
        ("EUR 99", 99.0),
        ("(12.00)", -12.0),
        ("12,5", 12.5),
        ("1,234", 1234.0),
        ("1 234 567", 1234567.0),
        ("-3.5", -3.5),
        ("15%", 15.0),
        ("INV-0042", None),
        ("", None),
        ("12 apples", None),
    ],
)
def test_numbers_with_separators_and_currency(text: str, number: float | None) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize(
    ("text", "schema", "value"),
    [
        ("March 5, 2026", {"type": "string", "format": "date"}, "2026-03-05"),
        ("05.03.2026", {"type": "string", "format": "date"}, "2026-03-05"),
        ("5 Mar 2026", {"type": "string", "format": "date"}, "2026-03-05"),
        ("soon", {"type": "string", "format": "date"}, None),
        ("Yes", {"type": "boolean"}, True),
        ("no", {"type": "boolean"}, False),
        ("maybe", {"type": "boolean"}, None),
        ("10", {"type": "integer"}, 10),
        ("10.5", {"type": "integer"}, None),
        ("mail: a.b@example.org.", {"type": "string", "format": "email"}, "a.b@example.org"),
        ("ACME Ltd.", {"type": ["string", "null"]}, "ACME Ltd."),
        ("Paid in full", {"type": "string", "enum": ["paid in full", "due"]}, "paid in full"),
        ("Overdue", {"type": "string", "enum": ["paid in full", "due"]}, None),
    ],
)
def test_coercion_to_type_and_format(text: str, schema: dict[str, Any], value: Any) -> None:
    assert coerce(text, schema) == value


@pytest.mark.parametrize(
    ("found", "value", "same"),
    [
        ("$1,234.50", 1234.5, True),
        ("1,234.5", 1234.51, False),
        ("March 5, 2026", "2026-03-05", True),
        ("March 6, 2026", "2026-03-05", False),
        ("ACME   supplies LTD.", "Acme Supplies Ltd", True),
        ("Acme Supplies", "Acme Supplies Ltd", False),
        ("Yes", True, True),
    ],
)
def test_same_value_normalises_whitespace_case_numbers_and_dates(found: str, value: Any, same: bool) -> None:
    assert same_value(found, value) is same
