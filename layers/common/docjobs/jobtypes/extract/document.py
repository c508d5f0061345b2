"""What the extractors read from a PDF: words with positions per page, and AcroForm fields.

Words come from the page's text layer, or for a page the shared OCR stage read (a scan), from
the words it kept with their positions (``ParsedPage.words``): nothing is OCR'd twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docjobs.engines.pdf.pages import OcrWord


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def yc(self) -> float:
        return (self.y0 + self.y1) / 2


def union_bbox(words: Iterable[Word]) -> list[float]:
    items = list(words)
    return [
        round(min(w.x0 for w in items), 2),
        round(min(w.y0 for w in items), 2),
        round(max(w.x1 for w in items), 2),
        round(max(w.y1 for w in items), 2),
    ]


@dataclass
class Row:
    """Words on one visual line (vertically overlapping), left to right."""

    words: list[Word]

    @property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)

    def segments(self, gap: float) -> list[list[Word]]:
        """Runs of words separated by less than ``gap`` points (the cells / phrases of the line)."""
        runs: list[list[Word]] = []
        for word in self.words:
            if runs and word.x0 - runs[-1][-1].x1 < gap:
                runs[-1].append(word)
            else:
                runs.append([word])
        return runs


@dataclass
class PageWords:
    number: int  # 1-based
    width: float
    height: float
    words: list[Word]
    ocr: bool = False
    #: Vertical ruling lines (x, y0, y1) drawn on the page: table column borders.
    rules: list[tuple[float, float, float]] = field(default_factory=list)
    _rows: list[Row] | None = field(default=None, repr=False)

    @property
    def rows(self) -> list[Row]:
        if self._rows is None:
            self._rows = group_rows(self.words)
        return self._rows

    def vertical_rules(self, y0: float, y1: float) -> list[float]:
        """x of the vertical lines crossing the band y0..y1 (deduplicated)."""
        xs = sorted(x for x, top, bottom in self.rules if top <= (y0 + y1) / 2 <= bottom)
        merged: list[float] = []
        for x in xs:
            if not merged or x - merged[-1] > 2:
                merged.append(x)
        return merged

    def reading_words(self) -> list[Word]:
        return [word for row in self.rows for word in row.words]

    @property
    def text(self) -> str:
        return "\n".join(" ".join(w.text for w in row.words) for row in self.rows)


def group_rows(words: Sequence[Word]) -> list[Row]:
    """Group words into visual lines: a word joins a row when its vertical middle is inside it."""
    rows: list[Row] = []
    for word in sorted(words, key=lambda w: (w.yc, w.x0)):
        for row in reversed(rows[-3:]):
            if row.y0 - 1 <= word.yc <= row.y1 + 1 and abs(word.height - row.words[0].height) < 0.8 * max(
                word.height, row.words[0].height
            ):
                row.words.append(word)
                break
        else:
            rows.append(Row([word]))
    for row in rows:
        row.words.sort(key=lambda w: w.x0)
    rows.sort(key=lambda r: (round(r.y0, 1), r.words[0].x0))
    return rows


@dataclass(frozen=True)
class FormField:
    name: str
    label: str  # the field's tooltip / alternate name, when it has one
    value: Any
    kind: str  # text, checkbox, radio, combobox, listbox
    page: int
    bbox: list[float]


def page_words(page: Any, ocr_words: Sequence[OcrWord] | None = None) -> PageWords:
    """The words of one PyMuPDF page: those the OCR stage read when it OCR'd the page (their
    boxes are fractions of the page), else the page's text layer."""
    width, height = float(page.rect.width), float(page.rect.height)
    if ocr_words is not None:
        words = [
            Word(str(w[4]), w[0] * width, w[1] * height, w[2] * width, w[3] * height)
            for w in ocr_words
            if str(w[4]).strip()
        ]
    else:
        words = [
            Word(str(w[4]), float(w[0]), float(w[1]), float(w[2]), float(w[3]))
            for w in page.get_text("words", sort=True)
            if str(w[4]).strip()
        ]
    return PageWords(
        page.number + 1, width, height, words, ocr=ocr_words is not None, rules=_vertical_lines(page)
    )


def _vertical_lines(page: Any) -> list[tuple[float, float, float]]:
    """Vertical strokes (lines and thin rectangles) of the page's vector graphics."""
    found: list[tuple[float, float, float]] = []
    try:
        drawings = page.get_drawings()
    except Exception:  # noqa: BLE001 - a damaged content stream: no ruling lines, words still work
        return found
    for drawing in drawings:
        for item in drawing.get("items", []):
            if item[0] == "l":
                a, b = item[1], item[2]
                if abs(a.x - b.x) < 1 and abs(a.y - b.y) > 8:
                    found.append((float(a.x), float(min(a.y, b.y)), float(max(a.y, b.y))))
            elif item[0] == "re":
                rect = item[1]
                if rect.width < 2 and rect.height > 8:
                    found.append((float((rect.x0 + rect.x1) / 2), float(rect.y0), float(rect.y1)))
    return found


def read_pages(
    doc: Any, pages: Sequence[int], ocr_words: Mapping[int, Sequence[OcrWord]] | None = None
) -> list[PageWords]:
    """The words of the given 1-based pages; ``ocr_words`` holds the OCR'd pages' words by page."""
    found = ocr_words or {}
    return [page_words(doc.load_page(number - 1), found.get(number)) for number in pages]


_KINDS = {2: "checkbox", 5: "radio", 3: "combobox", 4: "listbox", 7: "text"}


def form_fields(doc: Any, pages: Sequence[int]) -> list[FormField]:
    """AcroForm widgets with a value on the given pages (checkboxes as booleans)."""
    found: list[FormField] = []
    for number in pages:
        page = doc.load_page(number - 1)
        for widget in page.widgets() or []:
            kind = _KINDS.get(int(widget.field_type), "other")
            value: Any = widget.field_value
            if kind in {"checkbox", "radio"}:
                on = widget.on_state() if hasattr(widget, "on_state") else "Yes"
                value = value not in (None, "", "Off", False) and (
                    value is True or value == on or value == "Yes"
                )
            elif value is None or (isinstance(value, str) and not value.strip()):
                continue
            rect = widget.rect
            found.append(
                FormField(
                    name=str(widget.field_name or ""),
                    label=str(widget.field_label or ""),
                    value=value,
                    kind=kind,
                    page=number,
                    bbox=[round(rect.x0, 2), round(rect.y0, 2), round(rect.x1, 2), round(rect.y1, 2)],
                )
            )
    return found
