"""Reading text as a schema's type/format, and normalising values so they can be compared.

``coerce(text, leaf)`` turns the text found in a document into the JSON value the schema asks
for (``None`` when it cannot be read as that type): numbers with thousands separators, currency
signs and accounting negatives, integers, booleans (yes/no, checked boxes), dates and date-times
(ISO ``YYYY-MM-DD`` out), emails, enums (closest member). ``same_value`` decides whether a text
on the page says the same thing as a value, after normalising whitespace, case, number and
date formatting - what ``verified`` rests on.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from typing import Any

_CURRENCY = re.compile(r"(?i)\b(usd|eur|gbp|chf|jpy|cad|aud|inr|cny|sek|nok|dkk)\b|[$€£¥₹¢₩₽]|\bus\$")
_NUMBER_BODY = re.compile(r"^[+-]?(\d{1,3}([ ,.'\u00a0\u202f]\d{3})+|\d+)([.,]\d+)?$")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_HAS_YEAR = re.compile(r"\b\d{4}\b|\b\d{1,2}[./-]\d{1,2}[./-]\d{2}\b")
_DAY_FIRST = re.compile(r"^\s*\d{1,2}\.\d{1,2}\.\d{2,4}\s*$")
_TRUE = {"yes", "y", "true", "x", "✓", "✔", "☑", "checked", "on", "1"}
_FALSE = {"no", "n", "false", "☐", "unchecked", "off", "0", "none"}
_PUNCT_EDGES = ".,;:!?\"'()[]{}<>\u00ab\u00bb\u201c\u201d\u2018\u2019"


def normalise_text(text: str) -> str:
    """Case-, whitespace- and edge-punctuation-insensitive form of a text."""
    text = unicodedata.normalize("NFKC", text).casefold()
    words = [word.strip(_PUNCT_EDGES) for word in text.split()]
    return " ".join(word for word in words if word)


def parse_number(text: str) -> float | None:
    """``"$1,234.50"`` -> 1234.5, ``"1.234,50 €"`` -> 1234.5, ``"(12.00)"`` -> -12.0; else None."""
    raw = unicodedata.normalize("NFKC", text).strip()
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1]
    raw = _CURRENCY.sub("", raw).strip().rstrip("%").strip()
    if raw.endswith("-") and raw[:-1].strip():
        negative, raw = True, raw[:-1].strip()
    if raw.startswith(("-", "\u2212")):
        negative, raw = True, raw[1:].strip()
    elif raw.startswith("+"):
        raw = raw[1:].strip()
    raw = raw.replace("\u00a0", " ").replace("\u202f", " ")
    if not raw or not _NUMBER_BODY.match(raw):
        return None
    last_dot, last_comma = raw.rfind("."), raw.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal = "." if last_dot > last_comma else ","
    elif last_comma >= 0:
        # "12,5" and "1,50" are decimal commas; "1,234" and "1,234,567" are thousands.
        tail = raw[last_comma + 1 :]
        decimal = "," if raw.count(",") == 1 and len(tail) != 3 else ""
    elif last_dot >= 0:
        # One dot is a decimal point ("1.500" reads 1.5, as most invoices mean); several group thousands.
        decimal = "." if raw.count(".") == 1 else ""
    else:
        decimal = ""
    digits = []
    for index, char in enumerate(raw):
        if char.isdigit():
            digits.append(char)
        elif char == decimal and index == (last_dot if decimal == "." else last_comma):
            digits.append(".")
    try:
        value = float("".join(digits))
    except ValueError:
        return None
    return -value if negative else value


def parse_date(text: str) -> date | None:
    """A calendar date written any common way (``2026-03-05``, ``March 5, 2026``, ``05.03.2026``)."""
    raw = text.strip().strip(_PUNCT_EDGES)
    if not raw or not _HAS_YEAR.search(raw) or len(raw) > 40:
        return None
    if parse_number(raw) is not None and not re.search(r"[./-]", raw):
        return None
    from dateutil import parser

    try:
        parsed = parser.parse(raw, dayfirst=bool(_DAY_FIRST.match(raw)), fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None
    result: date = parsed.date()
    return result


def parse_datetime(text: str) -> datetime | None:
    raw = text.strip()
    if not raw or not _HAS_YEAR.search(raw) or len(raw) > 60:
        return None
    from dateutil import parser

    try:
        moment: datetime = parser.parse(raw, dayfirst=bool(_DAY_FIRST.match(raw.split()[0])), fuzzy=False)
        return moment
    except (ValueError, OverflowError, TypeError):
        return None


def parse_bool(text: str) -> bool | None:
    key = normalise_text(text)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None


def leaf_types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return [k for k in kind if k != "null"] or ["null"]
    if isinstance(kind, str):
        return [kind]
    if "enum" in schema or "const" in schema:
        return ["string"]
    return ["string"]


def coerce(text: str, schema: dict[str, Any]) -> Any:
    """``text`` read as the JSON value ``schema`` (a leaf) asks for, or ``None`` when it cannot be."""
    text = text.strip()
    if not text:
        return None
    fmt = schema.get("format")
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return _closest_enum(text, enum)
    for kind in leaf_types(schema):
        value = _coerce_one(text, kind, fmt)
        if value is not None:
            return value
    return None


def _coerce_one(text: str, kind: str, fmt: Any) -> Any:
    if kind == "number":
        number = parse_number(text)
        return None if number is None or math.isinf(number) else number
    if kind == "integer":
        number = parse_number(text)
        return int(number) if number is not None and number == int(number) else None
    if kind == "boolean":
        return parse_bool(text)
    if kind == "string":
        if fmt == "date":
            parsed = parse_date(text)
            return parsed.isoformat() if parsed else None
        if fmt == "date-time":
            moment = parse_datetime(text)
            return moment.isoformat() if moment else None
        if fmt in {"email", "idn-email"}:
            found = _EMAIL.search(text)
            return found.group(0) if found else None
        return text.strip(" :;,")
    return None


def _closest_enum(text: str, enum: list[Any]) -> Any:
    from rapidfuzz import fuzz

    key = normalise_text(text)
    best, best_score = None, 0.0
    for member in enum:
        score = fuzz.ratio(key, normalise_text(str(member)))
        if score > best_score:
            best, best_score = member, score
    return best if best_score >= 85 else None


def same_value(found_text: str, value: Any) -> bool:
    """Does ``found_text`` (from the page) say ``value``, after normalising formats?"""
    if value is None:
        return False
    if isinstance(value, bool):
        return parse_bool(found_text) is value
    if isinstance(value, int | float):
        number = parse_number(found_text)
        return number is not None and abs(number - float(value)) <= max(0.005, abs(float(value)) * 1e-9)
    text = str(value)
    if normalise_text(found_text) == normalise_text(text):
        return True
    as_date = parse_date(text) if re.match(r"^\d{4}-\d{2}-\d{2}$", text.strip()) else None
    if as_date is not None:
        return parse_date(found_text) == as_date
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d", text.strip()):
        return parse_datetime(found_text) == parse_datetime(text)
    return False
