"""The leaves a JSON Schema asks for: where they go in ``data`` and how to recognise them.

A *leaf* is a scalar property (string, number, integer, boolean, possibly nullable) reached through
nested objects; a *table* is an array whose items are objects (each item's scalar properties are
its columns). Arrays of scalars are leaves too (``many=True``). Local ``$ref`` are followed.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_ABBREVIATIONS = {
    "no": "number",
    "nr": "number",
    "num": "number",
    "#": "number",
    "qty": "quantity",
    "amt": "amount",
    "dt": "date",
    "addr": "address",
    "tel": "phone",
    "ph": "phone",
    "desc": "description",
    "ref": "reference",
    "acct": "account",
    "inv": "invoice",
    "po": "purchase order",
    "dob": "date of birth",
    "vat": "tax",
    "id": "identifier",
}


#: Words business documents use for the same field, so a schema need not list them (a property's
#: comparable name -> other labels that mean it). Applied to names and titles, never to values.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "invoice number": ("invoice", "invoice identifier", "bill number"),
    "invoice date": ("date of issue", "issue date", "issued on", "billing date", "date issued"),
    "due date": ("payment due", "due by", "pay by", "payment date"),
    "total": ("amount due", "total due", "balance due", "grand total", "total amount", "amount payable"),
    "subtotal": ("sub total", "net amount", "net total", "total before tax"),
    "tax": ("sales tax", "tax amount", "gst"),
    "purchase order": ("purchase order number", "order number"),
    "email": ("e mail", "email address"),
    "quantity": ("units", "hours"),
    "unit price": ("price", "rate", "unit", "unit cost", "price per unit"),
    "amount": ("line total", "total", "line amount"),
    "description": ("item", "details", "service", "product"),
    "phone": ("telephone", "phone number"),
}


def label_key(text: str) -> str:
    """A label or property name in comparable form: ``"Invoice No.:"`` and ``invoice_number`` meet."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    text = text.replace("_", " ").replace("-", " ").replace("#", " # ")
    words = []
    for word in re.split(r"[^\w#]+", text.lower()):
        if word:
            words.append(_ABBREVIATIONS.get(word, word))
    return " ".join(words)


def resolve(root: Mapping[str, Any], node: Any) -> dict[str, Any]:
    """``node`` with local ``$ref`` followed and ``allOf`` merged (shallowly)."""
    seen = 0
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and seen < 16:
        target: Any = root
        ref = node["$ref"]
        for part in ref[2:].split("/") if ref.startswith("#/") else []:
            target = (
                target.get(part.replace("~1", "/").replace("~0", "~"), {})
                if isinstance(target, Mapping)
                else {}
            )
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
    if not isinstance(node, Mapping):
        return {}
    result = dict(node)
    for part in node.get("allOf", []) or []:
        part = resolve(root, part)
        for key, value in part.items():
            if key == "properties":
                result["properties"] = {**result.get("properties", {}), **value}
            else:
                result.setdefault(key, value)
    for key in ("anyOf", "oneOf"):
        options = [resolve(root, o) for o in node.get(key, []) or []]
        non_null = [o for o in options if o.get("type") != "null"]
        if len(non_null) == 1 and "type" not in result:
            result = {**non_null[0], **{k: v for k, v in result.items() if k != key}}
    return result


def kind_of(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if kinds else "null"
    if kind is None:
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        return "string"
    return str(kind)


@dataclass
class Leaf:
    pointer: tuple[str, ...]  # property names from the root (no array indices)
    name: str
    schema: dict[str, Any]
    keys: list[str] = field(default_factory=list)  # comparable labels: name, title, short description
    many: bool = False  # an array of scalars

    @property
    def path(self) -> str:
        return "".join(f"/{part}" for part in self.pointer)


@dataclass
class Table:
    pointer: tuple[str, ...]
    columns: list[Leaf]


def _with_synonyms(keys: list[str]) -> list[str]:
    out = list(keys)
    for key in keys:
        for base, others in SYNONYMS.items():
            if key == base or (key.endswith(" " + base) and len(key.split()) <= len(base.split()) + 1):
                out.extend(others)
    return out


def _keys(name: str, schema: Mapping[str, Any]) -> list[str]:
    keys = [label_key(name)]
    title = schema.get("title")
    if isinstance(title, str) and title.strip():
        keys.append(label_key(title))
    description = schema.get("description")
    if isinstance(description, str) and 0 < len(description.split()) <= 6:
        keys.append(label_key(description))
    return list(dict.fromkeys(k for k in _with_synonyms(keys) if k))


@dataclass
class Targets:
    leaves: list[Leaf]
    tables: list[Table]


def collect(schema: Mapping[str, Any]) -> Targets:
    leaves: list[Leaf] = []
    tables: list[Table] = []

    def walk(node: Any, pointer: tuple[str, ...]) -> None:
        node = resolve(schema, node)
        for name, sub in (node.get("properties") or {}).items():
            sub = resolve(schema, sub)
            kind = kind_of(sub)
            here = (*pointer, name)
            if kind == "object":
                walk(sub, here)
            elif kind == "array":
                items = resolve(schema, sub.get("items") or {})
                if kind_of(items) == "object":
                    columns = [
                        Leaf((*here, col), col, resolve(schema, cs), _keys(col, resolve(schema, cs)))
                        for col, cs in (items.get("properties") or {}).items()
                        if kind_of(resolve(schema, cs)) not in {"object", "array"}
                    ]
                    if columns:
                        tables.append(Table(here, columns))
                else:
                    leaves.append(Leaf(here, name, items, _keys(name, sub), many=True))
            else:
                leaves.append(Leaf(here, name, sub, _keys(name, sub)))

    walk(schema, ())
    return Targets(leaves, tables)


def empty_data(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The data skeleton: every object present, every leaf ``None``, every array empty."""

    def build(node: Any) -> Any:
        node = resolve(schema, node)
        kind = kind_of(node)
        if kind == "object":
            return {name: build(sub) for name, sub in (node.get("properties") or {}).items()}
        if kind == "array":
            return []
        return None

    return build(schema)  # type: ignore[no-any-return]


def set_at(data: dict[str, Any], pointer: tuple[str, ...], value: Any) -> None:
    node = data
    for part in pointer[:-1]:
        node = node.setdefault(part, {})
    node[pointer[-1]] = value


def prune_for_schema(data: Any, schema: Mapping[str, Any], node: Any = None) -> Any:
    """Drop ``None`` values of properties that are not required (absent rather than null)."""
    node = resolve(schema, schema if node is None else node)
    if isinstance(data, dict):
        required = set(node.get("required") or [])
        properties = node.get("properties") or {}
        out = {}
        for key, value in data.items():
            if (
                value is None
                and key not in required
                and not _nullable(resolve(schema, properties.get(key, {})))
            ):
                continue
            out[key] = prune_for_schema(value, schema, properties.get(key, {}))
        return out
    if isinstance(data, list):
        return [prune_for_schema(item, schema, node.get("items") or {}) for item in data]
    return data


def _nullable(node: Mapping[str, Any]) -> bool:
    kind = node.get("type")
    return kind == "null" or (isinstance(kind, list) and "null" in kind)


def nullable_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy where every typed value may also be ``null`` and nothing is required.

    What one page window of a long document is asked for: a window may hold only part of the data.
    """
    relaxed = copy.deepcopy(dict(schema))

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("required", None)
            node.pop("minItems", None)
            kind = node.get("type")
            if isinstance(kind, str) and kind != "null":
                node["type"] = [kind, "null"]
            elif isinstance(kind, list) and "null" not in kind:
                node["type"] = [*kind, "null"]
            if isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(relaxed)
    return relaxed
