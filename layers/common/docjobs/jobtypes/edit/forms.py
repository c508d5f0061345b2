"""``fill_form``: AcroForm fields by name, values checked against each field's type and options."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pymupdf

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.edit.options import FillFormOp, operation_path

TEXT = pymupdf.PDF_WIDGET_TYPE_TEXT
CHECKBOX = pymupdf.PDF_WIDGET_TYPE_CHECKBOX
RADIO = pymupdf.PDF_WIDGET_TYPE_RADIOBUTTON
COMBO = pymupdf.PDF_WIDGET_TYPE_COMBOBOX
LISTBOX = pymupdf.PDF_WIDGET_TYPE_LISTBOX
_MULTI_SELECT = 1 << 21  # Ff bit 22 of choice fields
_EDITABLE_COMBO = 1 << 18  # Ff bit 19

_PDF_STRING = re.compile(r"\(((?:\\.|[^\\)])*)\)")

FieldValue = str | bool | int | float | list[str]


@dataclass(frozen=True)
class FilledField:
    """What was written, for the read-back: ``expected`` as PyMuPDF reports the field's value."""

    name: str
    field_type: int
    expected: str | list[str]
    #: The (0-based) page of the field's first widget when it was filled.
    page: int = 0


def widgets_by_name(doc: pymupdf.Document) -> dict[str, list[tuple[int, int]]]:
    """Field name -> [(page index, widget xref)] over the whole document."""
    fields: dict[str, list[tuple[int, int]]] = {}
    for page in doc:
        for widget in page.widgets():
            if widget.field_name:
                fields.setdefault(widget.field_name, []).append((page.number, widget.xref))
    return fields


def _load_widgets(
    doc: pymupdf.Document, places: list[tuple[int, int]]
) -> tuple[list[pymupdf.Page], list[Any]]:
    """The widgets at ``places``, and their pages (a widget is only usable while its page object
    lives, so the caller keeps both)."""
    pages = {page_no: doc[page_no] for page_no, _ in places}
    return list(pages.values()), [pages[page_no].load_widget(xref) for page_no, xref in places]


def _choices(widget: pymupdf.Widget) -> list[str]:
    """Export values (and display texts) a choice field accepts."""
    allowed: list[str] = []
    for item in widget.choice_values or ():
        if isinstance(item, list | tuple):
            allowed.extend(str(x) for x in item)
        else:
            allowed.append(str(item))
    return allowed


def _export(widget: pymupdf.Widget, value: str) -> str:
    for item in widget.choice_values or ():
        if isinstance(item, list | tuple) and value in (str(x) for x in item):
            return str(item[0])
    return value


def _listing(values: Sequence[str]) -> str:
    shown = ", ".join(f"'{v}'" for v in values[:30])
    return shown + (f" and {len(values) - 30} more" if len(values) > 30 else "")


def fill_form(doc: pymupdf.Document, op: FillFormOp, index: int) -> tuple[dict[str, Any], list[FilledField]]:
    """Fill the fields; the report entry and what the verification must read back."""
    fields = widgets_by_name(doc)
    path = operation_path(index, "values")
    if not fields:
        raise InputValidationError(f"{path}: the document has no form fields to fill")
    unknown = [name for name in op.values if name not in fields]
    if unknown:
        raise InputValidationError(
            f"{path}: the form has no field named {_listing(unknown)}; "
            f"its fields are {_listing(sorted(fields))}"
        )
    filled: list[FilledField] = []
    for name, value in op.values.items():
        filled.append(_fill_field(doc, name, value, fields[name], f"{path}.{name}"))
    report: dict[str, Any] = {"op": "fill_form", "applied": True, "fields": len(filled), "flattened": False}
    if op.flatten:
        doc.bake(annots=False, widgets=True)
        report["flattened"] = True
    return report, filled


def _fill_field(
    doc: pymupdf.Document, name: str, value: FieldValue, places: list[tuple[int, int]], path: str
) -> FilledField:
    _pages, widgets = _load_widgets(doc, places)
    first = widgets[0]
    kind = first.field_type
    if kind == TEXT:
        if isinstance(value, bool | list):
            raise InputValidationError(f"{path}: '{name}' is a text field: give a string or a number")
        text = value if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)
        if first.text_maxlen and len(text) > first.text_maxlen:
            raise InputValidationError(
                f"{path}: '{name}' holds at most {first.text_maxlen} characters, the value has {len(text)}"
            )
        for w in widgets:
            w.field_value = text
            w.update()
        return FilledField(name, kind, text, places[0][0])
    if kind == CHECKBOX:
        on_states = {w.on_state() for w in widgets}
        if isinstance(value, bool):
            checked = value
        elif isinstance(value, str) and (value in on_states or value == "Off"):
            checked = value != "Off"
        else:
            raise InputValidationError(
                f"{path}: '{name}' is a checkbox: give true or false "
                f"(or its on-state {_listing(sorted(on_states))})"
            )
        for w in widgets:
            w.field_value = w.on_state() if checked else "Off"
            w.update()
        return FilledField(name, kind, first.on_state() if checked else "Off", places[0][0])
    if kind == RADIO:
        states = [w.on_state() for w in widgets]
        if value is False or value == "Off":
            choice = "Off"
        elif isinstance(value, str) and value in states:
            choice = value
        else:
            raise InputValidationError(
                f"{path}: '{name}' is a radio group: give one of {_listing(sorted(set(states)))} (or \"Off\")"
            )
        for w in widgets:  # off first, then on: each update rewrites the group's /V
            if w.on_state() != choice:
                w.field_value = "Off"
                w.update()
        for w in widgets:
            if w.on_state() == choice:
                w.field_value = choice
                w.update()
        return FilledField(name, kind, choice, places[0][0])
    if kind in (COMBO, LISTBOX):
        allowed = _choices(first)
        multi = kind == LISTBOX and bool(first.field_flags & _MULTI_SELECT)
        editable = kind == COMBO and bool(first.field_flags & _EDITABLE_COMBO)
        label = "combo box" if kind == COMBO else "list box"
        if isinstance(value, list):
            if not multi:
                raise InputValidationError(f"{path}: '{name}' is a single-choice {label}: give one string")
            picked = value
        elif isinstance(value, str):
            picked = [value]
        else:
            raise InputValidationError(f"{path}: '{name}' is a {label}: give one of {_listing(allowed)}")
        bad = [v for v in picked if v not in allowed]
        if bad and not editable:
            raise InputValidationError(
                f"{path}: {_listing(bad)} is not an option of '{name}'; its options are {_listing(allowed)}"
            )
        exported = [_export(first, v) for v in picked]
        for w in widgets:
            w.field_value = exported[0] if exported else ""
            w.update()
        if multi:
            _set_multi_select(doc, widgets[0], exported)
            return FilledField(name, kind, exported, places[0][0])
        return FilledField(name, kind, exported[0], places[0][0])
    kind_name = first.field_type_string or "this kind of"
    raise InputValidationError(
        f"{path}: '{name}' is a {kind_name} field, which cannot be filled with a value"
    )


def _set_multi_select(doc: pymupdf.Document, widget: Any, values: list[str]) -> None:
    """PyMuPDF writes one value per field; a multi-select list box takes /V as an array (and /I,
    the selected indexes). Viewers are asked to redraw the widget (NeedAppearances)."""
    options = [
        str(item[0] if isinstance(item, list | tuple) else item) for item in widget.choice_values or ()
    ]
    holder = widget.xref
    if doc.xref_get_key(holder, "T")[0] == "null" and doc.xref_get_key(holder, "Parent")[0] == "xref":
        holder = int(doc.xref_get_key(holder, "Parent")[1].split()[0])
    doc.xref_set_key(holder, "V", "[" + "".join(pymupdf.get_pdf_str(v) for v in values) + "]")
    doc.xref_set_key(holder, "I", "[" + " ".join(str(options.index(v)) for v in values if v in options) + "]")
    doc.xref_set_key(doc.pdf_catalog(), "AcroForm/NeedAppearances", "true")


def _multi_values(doc: pymupdf.Document, widget: Any) -> list[str]:
    kind, value = doc.xref_get_key(widget.xref, "V")
    if kind == "null" and doc.xref_get_key(widget.xref, "Parent")[0] == "xref":
        kind, value = doc.xref_get_key(widget.xref, "Parent/V")
    if kind == "array":
        return _PDF_STRING.findall(value)
    return [value] if kind == "string" and value else []


def read_back(
    doc: pymupdf.Document,
    filled: Sequence[FilledField],
    *,
    flattened: bool,
    pages: Mapping[str, int | None] | None = None,
) -> list[dict[str, Any]]:
    """Residuals: fields whose value in ``doc`` differs from what was written (or, when the form
    was flattened, fields whose widgets are still there or whose text did not reach their page).
    ``pages``: field name -> its page in ``doc`` now (None: a later operation deleted it)."""
    residual: list[dict[str, Any]] = []
    fields = widgets_by_name(doc)
    for field in filled:
        places = fields.get(field.name)
        if flattened:
            if places:
                residual.append(
                    {"check": "form", "field": field.name, "problem": "widget still present after flatten"}
                )
            elif field.field_type == TEXT and isinstance(field.expected, str) and field.expected.strip():
                page_no = (pages or {}).get(field.name, field.page)
                if page_no is not None and not doc[page_no].search_for(field.expected.strip()[:60]):
                    residual.append(
                        {
                            "check": "form",
                            "field": field.name,
                            "problem": "flattened value not found on any page",
                        }
                    )
            continue
        if not places:
            continue  # its page was deleted by a later operation
        _pages, widgets = _load_widgets(doc, places)
        actual: Any = widgets[0].field_value
        if field.field_type == RADIO:
            on = [w.on_state() for w in widgets if w.field_value not in ("Off", False, None, "")]
            actual = on[0] if on else "Off"
        if field.field_type == LISTBOX and isinstance(field.expected, list):
            actual = _multi_values(doc, widgets[0])
        if actual != field.expected:
            residual.append(
                {
                    "check": "form",
                    "field": field.name,
                    "problem": f"reads back {actual!r}, expected {field.expected!r}",
                }
            )
    return residual
