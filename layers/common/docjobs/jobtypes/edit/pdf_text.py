"""A page's text with one box per character, as the redaction and its verification read it.

Both read more than a viewer shows: text outside the crop box (``clip`` = infinite, no mediabox
clipping) and text in optional-content layers that are switched off (every layer is switched on
while reading). A naive redaction misses exactly that text, and any other PDF tool still finds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pymupdf

#: rawdict with ligatures expanded (so "office" matches "o\ufb03ce") and no mediabox clip.
_FLAGS = (pymupdf.TEXTFLAGS_RAWDICT & ~pymupdf.TEXT_MEDIABOX_CLIP & ~pymupdf.TEXT_PRESERVE_LIGATURES) | (
    pymupdf.TEXT_PRESERVE_WHITESPACE
)


Box = tuple[float, float, float, float]


@dataclass
class PageText:
    """``text``: lines joined by newlines; ``boxes[i]`` is the box of ``text[i]`` (None for the
    newlines between lines)."""

    text: str
    boxes: list[Box | None]

    def rects(self, start: int, end: int) -> list[pymupdf.Rect]:
        """One rectangle per line piece of ``text[start:end]``."""
        rects: list[pymupdf.Rect] = []
        current: list[float] | None = None
        for box in self.boxes[start:end]:
            if box is None:
                if current is not None:
                    rects.append(pymupdf.Rect(current))
                current = None
            elif current is None:
                current = list(box)
            else:
                current = [
                    min(current[0], box[0]),
                    min(current[1], box[1]),
                    max(current[2], box[2]),
                    max(current[3], box[3]),
                ]
        if current is not None:
            rects.append(pymupdf.Rect(current))
        return [r for r in rects if not r.is_empty]


def text_page(page: pymupdf.Page) -> pymupdf.TextPage:
    """MuPDF's text of the page, read once and shared by :func:`plain_text` and :func:`page_text`."""
    return page.get_textpage(flags=_FLAGS, clip=pymupdf.INFINITE_RECT())


def plain_text(page: pymupdf.Page, textpage: pymupdf.TextPage | None = None) -> str:
    """The page's text as :func:`page_text` spells it, without the boxes (MuPDF builds the string,
    so this is several times faster): the pre-check on every page and the verification's read."""
    text: str = (textpage or text_page(page)).extractText()
    return text[:-1] if text.endswith("\n") else text


def page_text(page: pymupdf.Page, textpage: pymupdf.TextPage | None = None) -> PageText:
    chars: list[str] = []
    boxes: list[Box | None] = []
    data = (textpage or text_page(page)).extractRAWDICT()
    for block in data["blocks"]:
        for line in block.get("lines", ()):
            if chars:
                chars.append("\n")
                boxes.append(None)
            for span in line["spans"]:
                for char in span["chars"]:
                    chars.append(char["c"])
                    boxes.append(char["bbox"])
    return PageText("".join(chars), boxes)


@contextmanager
def all_layers_visible(doc: pymupdf.Document) -> Iterator[None]:
    """Switch every optional-content layer on while the block runs (MuPDF's text extraction
    skips hidden layers), then switch back the ones that were off, so the output opens with the
    layers its author chose."""
    configs = doc.layer_ui_configs() if doc.is_pdf else ()
    hidden = [c["number"] for c in configs if not c.get("on")]
    for number in hidden:
        doc.set_layer_ui_config(number, action=0)
    try:
        yield
    finally:
        for number in hidden:
            doc.set_layer_ui_config(number, action=2)


def looks_scanned(page: pymupdf.Page, text: str) -> bool:
    """Images but (almost) no text layer: text in the images cannot be searched or removed."""
    return len(text.strip()) < 20 and bool(page.get_images(full=False))
