"""The offline ``rules`` engine: values from form fields, labels and tables - never guessed.

1. **Form fields**: an AcroForm widget whose name or tooltip matches a leaf gives its value
   (confidence 1.0, source ``form_field``).
2. **Labels** (source ``text``): on each visual line, words are grouped into phrases by the gaps
   between them. A phrase is a label for a leaf when it matches the leaf's name, title or short
   description (rapidfuzz, after expanding abbreviations such as "No." -> number); its value is
   the rest of the phrase after a colon, the next phrase to the right, or the phrase just below
   (label-above-value layouts), or the rest of the phrase after the label words
   ("Total 1,234.50"). The value must read as the leaf's type/format.
3. **Tables** (source ``table``): a line whose phrases match at least two of an array-of-objects'
   item properties (half of them, at least) is a header; the lines below it, cut into the
   header's columns, are the items, until a line no longer fits (a "Subtotal:" line, a gap).

Each leaf takes its best-scoring candidate; a candidate's words serve one leaf only. A leaf with
no candidate stays ``null``. Every value comes with the words it was read from (page, bbox), so it
is verified by construction.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from docjobs.jobtypes.extract.document import FormField, PageWords, Row, Word, union_bbox
from docjobs.jobtypes.extract.fields import FieldValue, pointer
from docjobs.jobtypes.extract.targets import Leaf, Table, collect, empty_data, label_key, set_at
from docjobs.jobtypes.extract.values import coerce

LABEL_THRESHOLD = 85.0
HEADER_THRESHOLD = 80.0
_HOW_WEIGHT = {"colon": 0.97, "beside": 0.93, "below": 0.9, "prefix": 0.85}
_HOW_RANK = {"colon": 4, "beside": 3, "below": 2, "prefix": 1}


def label_score(label: str, keys: Sequence[str]) -> float:
    from rapidfuzz import fuzz

    # "Tax (10%)", "VAT 19%": the qualifier is not part of the label
    bare = re.sub(r"\([^)]*\)|\d+([.,]\d+)?\s*%", " ", label)
    texts = {label_key(label), label_key(bare)} - {""}
    return max(
        (max(fuzz.ratio(text, key), fuzz.token_sort_ratio(text, key)) for text in texts for key in keys),
        default=0.0,
    )


@dataclass
class Candidate:
    label: list[Word]
    value: list[Word]
    page: int
    how: str

    @property
    def label_text(self) -> str:
        return " ".join(w.text for w in self.label).rstrip(":").strip()

    @property
    def value_text(self) -> str:
        return " ".join(w.text for w in self.value).strip()


def _gap(page: PageWords) -> float:
    heights = [w.height for w in page.words if w.height > 0]
    return max(6.0, 0.9 * statistics.median(heights)) if heights else 8.0


def _is_colon_word(word: Word) -> bool:
    return word.text.endswith(":") or word.text == ":"


def _cut_before_next_label(words: list[Word]) -> list[Word]:
    """A value ends where the next "Label:" on the same phrase starts."""
    for index, word in enumerate(words):
        if _is_colon_word(word) and index > 0:
            start = index
            while (
                start > 1
                and index - start < 2
                and words[start - 1].text[:1].isupper()
                and not any(ch.isdigit() for ch in words[start - 1].text)
            ):
                start -= 1
            return words[:start] if start > 0 else words[:index]
        if _is_colon_word(word) and index == 0:
            return []
    return words


def _below(rows: list[Row], row_index: int, segment: list[Word], gap: float) -> list[Word] | None:
    """The phrase right under ``segment`` (horizontally overlapping, within two line heights)."""
    row = rows[row_index]
    limit = row.y1 + 2.5 * max(w.height for w in segment)
    x0, x1 = segment[0].x0, segment[-1].x1
    for lower in rows[row_index + 1 : row_index + 4]:
        if lower.y0 > limit:
            return None
        for run in lower.segments(gap):
            if run[0].x0 <= x1 and run[-1].x1 >= x0 and abs(run[0].x0 - x0) < max(40.0, (x1 - x0)):
                return run
    return None


def _aligned(rows: list[Row], upper: int, gap: float) -> bool:
    """Row ``upper + 1`` sits right under row ``upper`` with as many phrases, each starting at the same x."""
    if upper < 0 or upper + 1 >= len(rows):
        return False
    row, lower = rows[upper], rows[upper + 1]
    upper_segments, lower_segments = row.segments(gap), lower.segments(gap)
    if len(upper_segments) < 3 or len(lower_segments) != len(upper_segments):
        return False
    if lower.y0 - row.y1 > 1.5 * max(w.height for w in row.words):
        return False
    return all(abs(a[0].x0 - b[0].x0) < 6 for a, b in zip(upper_segments, lower_segments, strict=True))


def _is_label_row(rows: list[Row], index: int, gap: float) -> bool:
    """A row of three or more labels (no colons) over one row of their values, alone.

    A longer stack of aligned rows is a grid of label/value pairs or a table, not this.
    """
    if any(_is_colon_word(w) for w in rows[index].words):
        return False
    return (
        _aligned(rows, index, gap)
        and not _aligned(rows, index - 1, gap)
        and not _aligned(rows, index + 1, gap)
    )


def label_candidates(page: PageWords) -> list[Candidate]:
    found: list[Candidate] = []
    gap = _gap(page)
    rows = page.rows
    for row_index, row in enumerate(rows):
        segments = row.segments(gap)
        if _is_label_row(rows, row_index, gap):
            # a row of labels with a row of values under it: each label's value is below it
            for segment in segments:
                below = _below(rows, row_index, segment, gap)
                if below:
                    found.append(Candidate(segment, below, page.number, "below"))
            continue
        for seg_index, segment in enumerate(segments):
            right = segments[seg_index + 1] if seg_index + 1 < len(segments) else None
            below = _below(rows, row_index, segment, gap)
            colon_at = next((i for i, w in enumerate(segment) if _is_colon_word(w)), None)
            if colon_at is not None:
                label = segment[: colon_at + 1]
                rest = _cut_before_next_label(segment[colon_at + 1 :])
                if rest:
                    found.append(Candidate(label, rest, page.number, "colon"))
                else:
                    if right:
                        found.append(
                            Candidate(label, _cut_before_next_label(right) or right, page.number, "colon")
                        )
                    if below:
                        found.append(Candidate(label, below, page.number, "below"))
                # a second "Label: value" later in the same phrase
                tail = segment[colon_at + 1 :]
                for later in range(1, len(tail)):
                    if _is_colon_word(tail[later]):
                        start = later
                        while (
                            start > 0
                            and later - start < 2
                            and tail[start - 1].text[:1].isupper()
                            and not any(ch.isdigit() for ch in tail[start - 1].text)
                        ):
                            start -= 1
                        value = _cut_before_next_label(tail[later + 1 :])
                        if value and start < later + 1:
                            found.append(Candidate(tail[start : later + 1], value, page.number, "colon"))
                continue
            if right:
                found.append(Candidate(segment, right, page.number, "beside"))
            if below and len(segments) <= 2:  # a header of three or more columns is a table's
                found.append(Candidate(segment, below, page.number, "below"))
            for split in range(1, min(5, len(segment))):
                found.append(Candidate(segment[:split], segment[split:], page.number, "prefix"))
    return found


@dataclass
class _Choice:
    score: float
    leaf: Leaf
    candidate: Candidate
    value: Any


def _assign_labels(leaves: list[Leaf], pages: list[PageWords], taken: set[str]) -> list[FieldValue]:
    candidates = [c for page in pages for c in label_candidates(page)]
    label_keys = {id(c): c.label_text for c in candidates}
    choices: list[_Choice] = []
    all_keys = [k for leaf in leaves for k in leaf.keys]
    for candidate in candidates:
        label = label_keys[id(candidate)]
        if not label or len(label) > 60:
            continue
        # A value that is itself a label of some leaf (a header row of labels) is not a value.
        if (
            candidate.how in {"beside", "below"}
            and label_score(candidate.value_text, all_keys) >= LABEL_THRESHOLD
        ):
            continue
        for leaf in leaves:
            if leaf.path in taken:
                continue
            score = label_score(label, leaf.keys)
            if score < LABEL_THRESHOLD:
                continue
            value = coerce(candidate.value_text, leaf.schema)
            if value is None or value == "":
                continue
            choices.append(_Choice(score, leaf, candidate, value))
    choices.sort(
        key=lambda c: (
            -round(c.score),
            -_HOW_RANK[c.candidate.how],
            c.candidate.page,
            c.candidate.label[0].y0,
            c.candidate.label[0].x0,
        )
    )
    used_words: set[tuple[int, int]] = set()
    results: dict[str, list[FieldValue]] = {}
    for choice in choices:
        leaf, candidate = choice.leaf, choice.candidate
        if leaf.path in results and not leaf.many:
            continue
        words = {(candidate.page, id(w)) for w in candidate.label + candidate.value}
        if words & used_words:
            continue
        if leaf.many and any(existing.value == choice.value for existing in results.get(leaf.path, [])):
            continue
        used_words |= words
        results.setdefault(leaf.path, []).append(
            FieldValue(
                path=leaf.path,
                value=choice.value,
                text=" ".join(w.text for w in candidate.label + candidate.value),
                page=candidate.page,
                bbox=union_bbox(candidate.value),
                confidence=choice.score / 100 * _HOW_WEIGHT[candidate.how],
                source="text",
                verified=True,
            )
        )
    flat: list[FieldValue] = []
    for leaf in leaves:
        for index, found in enumerate(results.get(leaf.path, [])):
            if leaf.many:
                found.path = pointer((*leaf.pointer, index))
            flat.append(found)
    return flat


def _assign_forms(leaves: list[Leaf], forms: list[FormField]) -> list[FieldValue]:
    found: list[FieldValue] = []
    used: set[int] = set()
    for leaf in leaves:
        if leaf.many:
            continue
        best: tuple[float, int, FormField] | None = None
        for index, form in enumerate(forms):
            if index in used:
                continue
            score = max(
                label_score(form.name, leaf.keys), label_score(form.label, leaf.keys) if form.label else 0
            )
            if score >= LABEL_THRESHOLD and (best is None or score > best[0]):
                best = (score, index, form)
        if best is None:
            continue
        _, index, form = best
        if isinstance(form.value, bool):
            value = coerce("yes" if form.value else "no", leaf.schema)
        else:
            value = coerce(str(form.value), leaf.schema)
        if value is None:
            continue
        used.add(index)
        found.append(
            FieldValue(leaf.path, value, str(form.value), form.page, form.bbox, 1.0, "form_field", True)
        )
    return found


# --------------------------------------------------------------------------- tables


def _header(row: Row, table: Table, gap: float) -> tuple[list[list[Word]], dict[int, Leaf], float] | None:
    segments = row.segments(gap)
    if len(segments) < 2:
        return None
    matched: dict[int, Leaf] = {}
    scores: list[float] = []
    pairs = []
    for seg_index, segment in enumerate(segments):
        text = " ".join(w.text for w in segment)
        for column in table.columns:
            score = label_score(text, column.keys)
            if score >= HEADER_THRESHOLD:
                pairs.append((score, seg_index, column))
    pairs.sort(key=lambda p: -p[0])
    used_columns: set[str] = set()
    for score, seg_index, column in pairs:
        if seg_index in matched or column.name in used_columns:
            continue
        matched[seg_index] = column
        used_columns.add(column.name)
        scores.append(score)
    needed = max(2, math.ceil(len(table.columns) / 2))
    if len(matched) < min(needed, len(table.columns)):
        return None
    return segments, matched, sum(scores) / len(scores)


def _looks_numeric(words: list[Word]) -> bool:
    text = "".join(w.text for w in words)
    return sum(ch.isdigit() for ch in text) >= max(1, len(text) // 2)


def _cells(row: Row, header: list[list[Word]], gap: float, rules: list[float]) -> list[list[Word]]:
    """The row's words under each header phrase.

    With vertical ruling lines the cells are exact; otherwise each phrase of the row goes to the
    header it overlaps most, or, when it overlaps none, to the header whose edge it is aligned
    with (right edge for numbers, left edge for text).
    """
    cells: list[list[Word]] = [[] for _ in header]
    spans = [(h[0].x0, h[-1].x1) for h in header]
    if len(rules) >= 2:
        edges = sorted(rules)
        for word in row.words:
            center = (word.x0 + word.x1) / 2
            slot = next((i for i in range(len(edges) - 1) if edges[i] <= center < edges[i + 1]), None)
            if slot is None:
                continue
            left, right = edges[slot], edges[slot + 1]
            for index, (x0, x1) in enumerate(spans):
                if left <= (x0 + x1) / 2 < right:
                    cells[index].append(word)
                    break
        return cells
    for segment in row.segments(gap):
        x0, x1 = segment[0].x0, segment[-1].x1
        overlaps = [max(0.0, min(x1, hx1) - max(x0, hx0)) for hx0, hx1 in spans]
        if max(overlaps) > 0:
            best = overlaps.index(max(overlaps))
        elif _looks_numeric(segment):
            best = min(range(len(spans)), key=lambda i: abs(spans[i][1] - x1))
        else:
            best = min(range(len(spans)), key=lambda i: abs(spans[i][0] - x0))
        cells[best].extend(segment)
    return cells


def _table_rows(page: PageWords, table: Table) -> list[tuple[dict[str, tuple[Any, list[Word]]], float]]:
    gap = _gap(page)
    rows = page.rows
    items: list[tuple[dict[str, tuple[Any, list[Word]]], float]] = []
    index = 0
    while index < len(rows):
        header = _header(rows[index], table, gap)
        if header is None:
            index += 1
            continue
        segments, matched, header_score = header
        rules = page.vertical_rules(rows[index].y0, rows[index].y1)
        previous_bottom = rows[index].y1
        line_height = max(w.height for w in rows[index].words)
        index += 1
        while index < len(rows):
            row = rows[index]
            if row.y0 - previous_bottom > 3 * line_height or any(_is_colon_word(w) for w in row.words):
                break
            cells = _cells(row, segments, gap, rules)
            values: dict[str, tuple[Any, list[Word]]] = {}
            bad = False
            for seg_index, column in matched.items():
                words = cells[seg_index]
                if not words:
                    continue
                text = " ".join(w.text for w in words)
                value = coerce(text, column.schema)
                if value is None:
                    bad = True
                    break
                values[column.name] = (value, words)
            filled = len(values)
            string_only = filled == 1 and all(isinstance(v[0], str) for v in values.values())
            if bad or filled == 0:
                break
            if string_only and items and filled < max(2, len(matched) // 2):
                # a wrapped description: continue the previous item's text
                ((name, (value, words)),) = values.items()
                last, _ = items[-1]
                if name in last and isinstance(last[name][0], str):
                    last[name] = (f"{last[name][0]} {value}", last[name][1] + words)
                    previous_bottom = row.y1
                    index += 1
                    continue
                break
            if filled < max(1, math.ceil(len(matched) / 2)):
                break
            items.append((values, header_score))
            previous_bottom = row.y1
            index += 1
    return items


def _assign_tables(
    tables: list[Table], pages: list[PageWords]
) -> tuple[dict[tuple[str, ...], list[Any]], list[FieldValue]]:
    arrays: dict[tuple[str, ...], list[Any]] = {}
    fields: list[FieldValue] = []
    for table in tables:
        out: list[dict[str, Any]] = []
        for page in pages:
            for values, header_score in _table_rows(page, table):
                item_index = len(out)
                item = {column.name: None for column in table.columns}
                for name, (value, words) in values.items():
                    item[name] = value
                    fields.append(
                        FieldValue(
                            path=pointer((*table.pointer, item_index, name)),
                            value=value,
                            text=" ".join(w.text for w in words),
                            page=page.number,
                            bbox=union_bbox(words),
                            confidence=header_score / 100 * 0.9,
                            source="table",
                            verified=True,
                        )
                    )
                out.append(item)
        arrays[table.pointer] = out
    return arrays, fields


def extract_with_rules(
    schema: dict[str, Any], pages: list[PageWords], forms: list[FormField]
) -> tuple[dict[str, Any], list[FieldValue]]:
    """``(data, fields)`` for ``schema`` from the pages' words and the form fields."""
    targets = collect(schema)
    data = empty_data(schema)
    fields = _assign_forms([leaf for leaf in targets.leaves], forms)
    taken = {f.path for f in fields}
    taken |= {f.path.rsplit("/", 1)[0] for f in fields if f.path.rsplit("/", 1)[-1].isdigit()}
    fields += _assign_labels(targets.leaves, pages, taken)
    arrays, table_fields = _assign_tables(targets.tables, pages)
    for table_pointer, items in arrays.items():
        set_at(data, table_pointer, items)
    by_leaf: dict[str, list[Any]] = {}
    for found in fields:
        by_leaf.setdefault(found.path, []).append(found.value)
    for leaf in targets.leaves:
        if leaf.many:
            values = [f.value for f in fields if f.path.startswith(leaf.path + "/")]
            set_at(data, leaf.pointer, values)
        elif leaf.path in by_leaf:
            set_at(data, leaf.pointer, by_leaf[leaf.path][0])
    fields += table_fields
    fields.sort(key=lambda f: (f.page or 0, f.path))
    return data, fields
