"""Text of a page: lines, reading order across columns, markdown escaping, running headers and
footers, table-of-contents pages, and whether the page needs OCR."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf

#: Fewer meaningful (alphanumeric) characters than this means "no text layer".
MIN_TEXT_CHARS = 16
#: An image covering at least this fraction of the page makes an empty page an OCR candidate.
_MIN_IMAGE_COVERAGE = 0.05
#: Vector paths on an otherwise empty page (e.g. outlined text) that make it an OCR candidate.
_MIN_DRAWINGS_FOR_OCR = 50


def dict_flags() -> int:
    import pymupdf

    # Text and its fonts; no images (they would be decoded into memory for nothing).
    flags: int = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES
    return flags


def norm_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def has_meaningful_text(text: str, minimum: int) -> bool:
    """At least ``minimum`` letters or digits (stops counting as soon as there are enough)."""
    found = 0
    for ch in text:
        if ch.isalnum():
            found += 1
            if found >= minimum:
                return True
    return False


def line_text(line: dict[str, Any]) -> str:
    # str.split() and the regex \s agree on what whitespace is; split is the faster.
    return " ".join("".join([span["text"] for span in line["spans"]]).split())


def line_size(line: dict[str, Any]) -> float:
    weights: Counter[float] = Counter()
    for span in line["spans"]:
        chars = len(span["text"].strip())
        if chars:
            weights[round(span["size"], 1)] += chars
    if not weights:
        return 0.0
    return max(weights.items(), key=lambda item: (item[1], item[0]))[0]


def overlaps(bbox: Sequence[float], rects: Sequence[tuple[float, float, float, float]]) -> bool:
    cx = (bbox[0] + bbox[2]) / 2
    cy = (bbox[1] + bbox[3]) / 2
    return any(r[0] <= cx <= r[2] and r[1] <= cy <= r[3] for r in rects)


def needs_ocr(page: pymupdf.Page, text: str) -> bool:
    if has_meaningful_text(text, MIN_TEXT_CHARS):
        return False
    area = abs(page.rect) or 1.0
    covered = 0.0
    for info in page.get_image_info(hashes=False, xrefs=False):
        x0, y0, x1, y1 = info["bbox"]
        covered += max(0.0, x1 - x0) * max(0.0, y1 - y0)
    if covered / area >= _MIN_IMAGE_COVERAGE:
        return True
    return len(page.get_cdrawings()) >= _MIN_DRAWINGS_FOR_OCR


def _block_chars(block: dict[str, Any]) -> int:
    return sum(len(span["text"].strip()) for ln in block.get("lines", ()) for span in ln["spans"])


def column_order(blocks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reorder ``sort=True`` blocks so a two-column run reads left column, then right column.

    ``sort=True`` orders blocks top-to-bottom, which interleaves columns. Blocks that span
    the page's middle split the page into bands; inside a band, when both halves hold
    substantial multi-line text, the left half's blocks come before the right half's.
    """
    text_blocks = [b for b in blocks if b.get("lines")]
    if len(text_blocks) < 2:
        return list(blocks)
    left = min(b["bbox"][0] for b in text_blocks)
    right = max(b["bbox"][2] for b in text_blocks)
    mid = (left + right) / 2
    ordered: list[dict[str, Any]] = []
    band: list[dict[str, Any]] = []

    def side(block: dict[str, Any]) -> int:
        x0, _, x1, _ = block["bbox"]
        if x1 <= mid + 2:
            return 0
        if x0 >= mid - 2:
            return 1
        return -1  # spans the middle

    def flush() -> None:
        halves = [[b for b in band if side(b) == 0], [b for b in band if side(b) == 1]]
        substantial = all(
            sum(_block_chars(b) for b in half) >= 60 and any(len(b.get("lines", ())) >= 2 for b in half)
            for half in halves
        )
        ordered.extend(halves[0] + halves[1] if substantial else band)
        band.clear()

    for block in blocks:
        if block.get("lines") and side(block) == -1:
            flush()
            ordered.append(block)
        else:
            band.append(block)
    flush()
    return ordered


# --------------------------------------------------------------------------------------
# Markdown escaping
# --------------------------------------------------------------------------------------

_INLINE_SPECIALS = re.compile(r"\\(?=[!-/:-@\[-`{-~])|[`*\[\]<|]|(?<!\w)_|_(?!\w)")
_LEADING_SPECIALS = re.compile(r"^(#|>|=+\s*$)")


def escape_markdown(text: str) -> str:
    """Escape body text so it cannot turn into markup: no heading from a leading ``#``
    (a shell comment in a code listing), no table row from a ``|``, no emphasis, link or
    HTML. ``_`` inside a word (``MAX_SIZE``) and other punctuation stay as they are.
    """
    text = _INLINE_SPECIALS.sub(lambda m: "\\" + m.group(), text)
    return _LEADING_SPECIALS.sub(lambda m: "\\" + m.group(), text)


# --------------------------------------------------------------------------------------
# Running headers and footers
# --------------------------------------------------------------------------------------

#: Lines whose centre is in the top or bottom this-much of the page can be running text.
_BAND = 0.12
#: A line repeated (digits aside) on at least this share of the sampled pages is running text.
_RUNNING_SHARE = 0.3
_RUNNING_MIN_PAGES = 3
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?(?:\d{1,5}|[ivxlcdm]{1,7})(?:\s*(?:of|/)\s*\d{1,5})?$|^[-\u2013\u2014]\s*\d{1,5}\s*[-\u2013\u2014]$",
    re.IGNORECASE,
)


def band_of(bbox: Sequence[float], page_height: float) -> int | None:
    """0 for the top band of the page, 1 for the bottom band, ``None`` for the body."""
    if page_height <= 0:
        return None
    centre = (bbox[1] + bbox[3]) / 2
    if centre <= page_height * _BAND:
        return 0
    if centre >= page_height * (1 - _BAND):
        return 1
    return None


def running_key(text: str) -> str:
    return _DIGITS.sub("#", norm_key(text))


@dataclass(frozen=True)
class RunningLines:
    """Running headers and footers of a document: (band, text with digits as ``#``)."""

    keys: frozenset[tuple[int, str]] = frozenset()

    def band(self, line_bbox: Sequence[float], text: str, page_height: float) -> int | None:
        """The band (0 header, 1 footer) when the line is running text, else ``None``."""
        band = band_of(line_bbox, page_height)
        if band is None:
            return None
        if _PAGE_NUMBER.match(text.strip()) or (band, running_key(text)) in self.keys:
            return band
        return None


def running_lines_from_pages(pages: Iterable[tuple[float, Sequence[dict[str, Any]]]]) -> RunningLines:
    """Find running headers and footers in a sample of pages (page height, ``dict`` blocks)."""
    seen: Counter[tuple[int, str]] = Counter()
    count = 0
    for height, blocks in pages:
        count += 1
        keys: set[tuple[int, str]] = set()
        for block in blocks:
            for line in block.get("lines", ()):
                text = line_text(line)
                band = band_of(line["bbox"], height) if text else None
                if band is not None:
                    keys.add((band, running_key(text)))
        seen.update(keys)
    needed = max(_RUNNING_MIN_PAGES, _RUNNING_SHARE * count)
    return RunningLines(frozenset(key for key, pages_seen in seen.items() if pages_seen >= needed))


# --------------------------------------------------------------------------------------
# Table-of-contents pages
# --------------------------------------------------------------------------------------

_LEADERS = re.compile(r"(?:\.\s?){4,}\s*(?:\d{1,5}|[ivxlcdm]{1,7})?$", re.IGNORECASE)
_NUMBERED_ENTRY = re.compile(
    r"^(?:\d+(?:\.\d+)*\.?|[A-Z](?:\.\d+)+\.?|chapter\s+\d+|appendix\s+[A-Z])\s+\S.*\s(?:\d{1,5}|[ivxlcdm]{1,7})$",
    re.IGNORECASE,
)
_TOC_TITLE = re.compile(r"^(?:table\s+of\s+)?contents$", re.IGNORECASE)
_NUMBER_ONLY = re.compile(r"^(?:\d{1,5}|[ivxlcdm]{1,7})$", re.IGNORECASE)


def is_toc_page(lines: Sequence[str]) -> bool:
    """A table of contents: most lines are entries (dot leaders, or numbered titles ending
    in a page number), or a "Contents" title over several entries."""
    texts = [t for t in (ln.strip() for ln in lines) if t and not _NUMBER_ONLY.match(t)]
    if not texts:
        return False
    entries = sum(1 for t in texts if _LEADERS.search(t) or _NUMBERED_ENTRY.match(t))
    titled = any(_TOC_TITLE.match(t) for t in texts[:3])
    return (entries >= 5 and entries >= 0.4 * len(texts)) or (titled and entries >= 3)
