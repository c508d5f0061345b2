"""Options of an ``extract`` job, checked at submission (no document, no network).

``options.schema`` must be a JSON Schema object (checked against the meta-schema of its
``$schema`` dialect, 2020-12 by default) with ``type: object`` at the root, local ``$ref`` only,
at most :data:`MAX_DEPTH` levels of nested properties and :data:`MAX_PROPERTIES` properties in
all. Each problem is reported with its path, e.g. ``options.schema.properties.total.type``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

MAX_DEPTH = 7
MAX_PROPERTIES = 500
MAX_SCHEMA_BYTES = 256 * 1024
MAX_INSTRUCTIONS = 4000

_PAGE_RANGES = re.compile(r"^\s*\d+\s*(-\s*\d*\s*)?(,\s*\d+\s*(-\s*\d*\s*)?)*$")

#: Keywords whose value is one subschema / a map of subschemas / a list of subschemas.
_ONE = (
    "items",
    "additionalProperties",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
)
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")


def _path(parts: Iterator[Any] | list[Any] | tuple[Any, ...]) -> str:
    text = "options.schema"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


class SchemaProblem(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _resolve_local(root: Mapping[str, Any], ref: str, where: list[Any]) -> Any:
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        raise SchemaProblem(
            _path([*where, "$ref"]),
            f"only JSON Pointer references into this schema (#/...) are allowed, not {ref!r}",
        )
    node: Any = root
    for raw in ref[2:].split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise SchemaProblem(_path([*where, "$ref"]), f"{ref!r} points at nothing in this schema")
    return node


def _walk_shape(
    root: Mapping[str, Any],
    node: Any,
    where: list[Any],
    depth: int,
    refs: tuple[str, ...],
    counter: list[int],
) -> None:
    """Follow the data shape (properties, items, combinators, local $refs): depth and property count."""
    if not isinstance(node, Mapping):
        return
    for key in ("$ref", "$dynamicRef"):
        ref = node.get(key)
        if isinstance(ref, str):
            if ref in refs:
                raise SchemaProblem(
                    _path([*where, key]),
                    f"{ref!r} refers to itself: recursive schemas are "
                    f"not allowed (at most {MAX_DEPTH} levels)",
                )
            target = _resolve_local(root, ref, where)
            _walk_shape(root, target, where, depth, (*refs, ref), counter)
    properties = node.get("properties")
    if isinstance(properties, Mapping) and properties:
        if depth + 1 > MAX_DEPTH:
            raise SchemaProblem(_path([*where, "properties"]), f"nested deeper than {MAX_DEPTH} levels")
        counter[0] += len(properties)
        if counter[0] > MAX_PROPERTIES:
            raise SchemaProblem(
                _path([*where, "properties"]), f"more than {MAX_PROPERTIES} properties in all"
            )
        for name, sub in properties.items():
            _walk_shape(root, sub, [*where, "properties", name], depth + 1, refs, counter)
    for key in ("items", "additionalProperties", "contains"):
        if isinstance(node.get(key), Mapping):
            _walk_shape(root, node[key], [*where, key], depth, refs, counter)
    for key in _LIST:
        if isinstance(node.get(key), list):
            for index, sub in enumerate(node[key]):
                _walk_shape(root, sub, [*where, key, index], depth, refs, counter)


def _all_refs(node: Any, where: list[Any]) -> Iterator[tuple[list[Any], str]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                yield where, value
            elif key in ("$id", "$anchor") and isinstance(value, str) and where:
                continue
            elif key in _MAP and isinstance(value, Mapping):
                for name, sub in value.items():
                    yield from _all_refs(sub, [*where, key, name])
            elif key in _ONE or key in _LIST:
                yield from _all_refs(value, [*where, key])
    elif isinstance(node, list):
        for index, sub in enumerate(node):
            yield from _all_refs(sub, [*where, index])


def schema_problems(schema: Any) -> list[SchemaProblem]:
    """Every reason ``schema`` is not acceptable as ``options.schema`` (empty when it is)."""
    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import SchemaError

    if not isinstance(schema, Mapping):
        return [SchemaProblem("options.schema", "must be a JSON Schema object")]
    if len(json.dumps(schema, ensure_ascii=False)) > MAX_SCHEMA_BYTES:
        return [SchemaProblem("options.schema", f"is larger than {MAX_SCHEMA_BYTES // 1024} KB")]
    dialect = schema.get("$schema")
    cls = validators.validator_for(dict(schema), default=None) if dialect else Draft202012Validator
    if cls is None:
        return [SchemaProblem("options.schema.$schema", f"unknown JSON Schema dialect {dialect!r}")]
    problems: list[SchemaProblem] = []
    meta = cls(cls.META_SCHEMA)
    for error in sorted(meta.iter_errors(dict(schema)), key=lambda e: list(map(str, e.absolute_path)))[:10]:
        problems.append(SchemaProblem(_path(list(error.absolute_path)), error.message))
    if problems:
        return problems
    try:
        cls.check_schema(dict(schema))
    except SchemaError as exc:  # pragma: no cover - iter_errors above reports the same
        return [SchemaProblem(_path(list(exc.absolute_path)), exc.message)]
    if schema.get("type") != "object":
        problems.append(SchemaProblem("options.schema.type", 'must be "object" at the root'))
    for where, ref in _all_refs(schema, []):
        try:
            _resolve_local(schema, ref, where)
        except SchemaProblem as problem:
            problems.append(problem)
    if problems:
        return problems
    try:
        _walk_shape(schema, schema, [], 0, (), [0])
    except SchemaProblem as problem:
        problems.append(problem)
    return problems


def parse_page_selection(text: str, page_count: int) -> list[int]:
    """``"1-3,7,10-"`` -> 1-based pages of a ``page_count``-page document, in order, no repeats.

    Raises ValueError naming what does not fit (a page beyond the end, an empty selection).
    """
    selected: list[int] = []
    for part in text.split(","):
        part = part.strip()
        first_text, dash, last_text = part.partition("-")
        first = int(first_text)
        last = (int(last_text) if last_text.strip() else page_count) if dash else first
        if first < 1 or last < first:
            raise ValueError(f"{part!r} is not a range of 1-based pages")
        if first > page_count:
            raise ValueError(f"page {first} is beyond the document's {page_count} page(s)")
        selected.extend(range(first, min(last, page_count) + 1))
    return list(dict.fromkeys(selected))


class ExtractOptions(BaseModel):
    """Options of an ``extract`` job."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: dict[str, Any] = Field(alias="schema", description="JSON Schema of the data to extract")
    instructions: str | None = Field(
        default=None, max_length=MAX_INSTRUCTIONS, description="guidance for models"
    )
    pages: str | None = Field(
        default=None, description='1-based page selection, e.g. "1-3,7,10-"; all when omitted'
    )
    citations: bool = Field(default=True, description="locate each value in the document")
    engine: str = Field(
        default="auto",
        min_length=1,
        max_length=32,
        description="auto, bedrock, openai or rules (a 400 names the configured ones)",
    )
    model: str | None = Field(default=None, min_length=1, max_length=256)
    ocr_language: str = Field(
        default="eng", pattern=r"^[a-z]{3}(\+[a-z]{3})*$", description="Tesseract languages for scanned pages"
    )

    @field_validator("schema_")
    @classmethod
    def _schema_is_acceptable(cls, value: dict[str, Any]) -> dict[str, Any]:
        problems = schema_problems(value)
        if problems:
            raise PydanticCustomError(
                "json_schema", "{problems}", {"problems": "; ".join(map(str, problems))}
            )
        return value

    @field_validator("pages")
    @classmethod
    def _pages_syntax(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _PAGE_RANGES.match(value):
            raise PydanticCustomError(
                "page_ranges",
                'options.pages: "{value}" is not a page selection like "1-3,7,10-"',
                {"value": value},
            )
        for part in value.split(","):
            first, dash, last = part.strip().partition("-")
            if int(first) < 1 or (dash and last.strip() and int(last) < int(first)):
                raise PydanticCustomError(
                    "page_ranges",
                    'options.pages: "{part}" is not a range of 1-based pages',
                    {"part": part.strip()},
                )
        return value.replace(" ", "")

    @property
    def json_schema(self) -> dict[str, Any]:
        return self.schema_
