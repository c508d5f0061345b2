"""What the extractors read from a PDF: words with positions per page, and AcroForm fields.

Words come from the page's text layer; a page without one (a scan) is OCR'd with Tesseract
through PyMuPDF (``Page.get_textpage_ocr``), so its words have positions too and ``ocr`` is set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Fewer meaningful characters than this on a page with images means "scanned": OCR it.
MIN_TEXT_CHARS = 20


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


def _meaningful(text: str) -> int:
    return sum(1 for char in text if char.isalnum())


def page_words(
    page: Any, *, ocr: str = "auto", language: str = "eng", tessdata: str | None = None
) -> PageWords:
    """The words of one PyMuPDF page (OCR'd when it has no text layer and ``ocr`` allows it)."""
    raw = page.get_text("words", sort=True)
    text_chars = sum(_meaningful(item[4]) for item in raw)
    used_ocr = False
    if ocr == "force" or (ocr == "auto" and text_chars < MIN_TEXT_CHARS and page.get_images(full=False)):
        from docjobs.core.errors import OcrError
        from docjobs.engines.ocr import find_tessdata

        directory = find_tessdata(tessdata)
        if directory is None:
            raise OcrError(f"page {page.number + 1} needs OCR and no Tesseract language data is installed")
        try:
            raw = ocr_words(page, language=language, tessdata=directory)
        except Exception as exc:
            raise OcrError(
                f"Tesseract failed on page {page.number + 1}: {exc}", details={"page": page.number + 1}
            ) from exc
        used_ocr = True
    words = [
        Word(str(w[4]), float(w[0]), float(w[1]), float(w[2]), float(w[3])) for w in raw if str(w[4]).strip()
    ]
    return PageWords(
        page.number + 1,
        float(page.rect.width),
        float(page.rect.height),
        words,
        ocr=used_ocr,
        rules=_vertical_lines(page),
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


OCR_DPI = 300
_DARK = bytes(1 if value < 128 else 0 for value in range(256))


def _dark_runs(pix: Any, fraction: float) -> Iterable[tuple[int, int, int]]:
    """(x0, x1, y) of horizontal runs of dark pixels at least ``fraction`` of the width long."""
    import re

    width = pix.width
    binary = pix.samples.translate(_DARK)
    pattern = re.compile(rb"\x01{%d,}" % max(20, int(width * fraction)))
    for y in range(pix.height):
        for match in pattern.finditer(binary, y * width, (y + 1) * width):
            yield match.start() - y * width, match.end() - y * width, y


def ocr_words(page: Any, *, language: str, tessdata: str) -> list[tuple[float, float, float, float, str]]:
    """Tesseract's words of a scanned page, with table rulings erased first.

    Tesseract reads text inside ruled cells badly (a grid line becomes "|" or swallows a row), so
    long horizontal and vertical dark runs are painted white on a 300 dpi rendering before OCR.
    """
    import pymupdf

    zoom = OCR_DPI / 72
    matrix = pymupdf.Matrix(zoom, zoom)
    gray = page.get_pixmap(matrix=matrix, colorspace=pymupdf.csGRAY, alpha=False)
    erase: list[Any] = [pymupdf.IRect(x0, y - 1, x1, y + 2) for x0, x1, y in _dark_runs(gray, 0.08)]
    rotation = pymupdf.Matrix(zoom, zoom).prerotate(90)
    turned = page.get_pixmap(matrix=rotation, colorspace=pymupdf.csGRAY, alpha=False)
    origin = (page.rect * rotation).irect.top_left
    back = ~rotation * matrix
    for x0, x1, y in _dark_runs(turned, 0.03):
        rect = pymupdf.Rect(
            (pymupdf.Point(x0, y) + origin) * back, (pymupdf.Point(x1, y + 1) + origin) * back
        )
        box = rect.normalize().irect
        erase.append(pymupdf.IRect(box.x0 - 1, box.y0, box.x1 + 2, box.y1))
    pix = pymupdf.Pixmap(pymupdf.csRGB, gray)
    for box in erase:
        pix.set_rect(box, (255, 255, 255))
    pix.set_dpi(OCR_DPI, OCR_DPI)
    scanned = pymupdf.open("pdf", pix.pdfocr_tobytes(language=language, tessdata=tessdata))
    with scanned:
        target = scanned[0]
        sx = page.rect.width / target.rect.width
        sy = page.rect.height / target.rect.height
        return [
            (w[0] * sx, w[1] * sy, w[2] * sx, w[3] * sy, str(w[4]))
            for w in target.get_text("words", sort=True)
        ]


def read_pages(
    doc: Any, pages: Sequence[int], *, ocr: str = "auto", language: str = "eng"
) -> list[PageWords]:
    return [page_words(doc.load_page(number - 1), ocr=ocr, language=language) for number in pages]


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
