"""Document-boundary cues that real packets carry, read from one page's parsed text.

- a "Page X of N" footer (or header): X = 1 starts a document, X > 1 continues one, and the
  page after "Page N of N" starts a new one;
- a title-like heading at the top of the page (short, not a numbered section);
- a page-label reset in the PDF (labels i, ii, iii, then 1 again; or a new label prefix).

The input is what the ``parsing`` stage writes per page (markdown text with ``#`` headings;
OCR'd pages merged in), so scanned packets get the same cues as born-digital ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf

__all__ = ["PageCues", "PageText", "label_resets", "page_cues"]

_PAGE_OF = re.compile(
    r"\b(?:page|pg\.?|p\.|seite|p[áa]gina|pag\.)\s*(\d{1,4})\s*(?:of|/|von|de|di|sur)\s*(\d{1,4})\b",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"^\s*(?:\(?\d+(?:\.\d+)*[.)]?|\(?[ivxlc]+[.)]|\(?[a-z][.)]|§\s*\d+)\s", re.IGNORECASE)
_HEADING_LINE = re.compile(r"^(#{1,6})\s+(.*)$")
#: Blocks above a title that do not stop it being "at the top" (a letterhead line, a logo caption).
_TOP_BLOCKS = 3
_SHORT_BLOCK = 80
_TITLE_MAX_CHARS = 80
_TITLE_MAX_WORDS = 10


@dataclass(frozen=True)
class PageText:
    """One page as the parsing stage delivers it."""

    page: int
    text: str
    headings: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PageText:
        """From a ``pages.jsonl`` row (``ParsedPage``: page, text, headings[{level, text}], and the
        running ``header``/``footer`` the parser keeps out of the text: "Page 1 of 2" footers are
        boundary cues, so they are read here with the page's text)."""
        headings = tuple(str(h.get("text", "")) for h in row.get("headings") or () if isinstance(h, dict))
        parts = (row.get("header"), row.get("text"), row.get("footer"))
        text = "\n".join(str(part) for part in parts if part)
        return cls(page=int(row["page"]), text=text, headings=headings)


@dataclass(frozen=True)
class PageCues:
    page: int
    blank: bool
    page_of: tuple[int, int] | None
    page_of_text: str | None
    title: str | None
    label_reset: str | None

    @property
    def starts_by_footer(self) -> bool:
        return self.page_of is not None and self.page_of[0] == 1

    @property
    def continues_by_footer(self) -> bool:
        return self.page_of is not None and self.page_of[0] > 1

    @property
    def ends_by_footer(self) -> bool:
        return self.page_of is not None and self.page_of[0] == self.page_of[1]

    def hints(self) -> list[str]:
        """The cues in words (evidence, and hints for model engines)."""
        found: list[str] = []
        if self.blank:
            found.append("blank page")
        if self.page_of_text:
            found.append(f"'{self.page_of_text}' footer")
        if self.title:
            found.append(f"title heading '{self.title}' at the top")
        if self.label_reset:
            found.append(f"page label restarts at '{self.label_reset}'")
        return found


def _is_title(text: str) -> bool:
    text = text.strip()
    if not text or len(text) > _TITLE_MAX_CHARS or len(text.split()) > _TITLE_MAX_WORDS:
        return False
    if _NUMBERED.match(text) or text.endswith((".", ":", ",", ";")):
        return False
    return sum(ch.isalpha() for ch in text) >= 3


def _caps_title(text: str) -> bool:
    """An all-capitals short line (how a title reads in OCR text, which has no heading marks)."""
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 4 and all(ch.isupper() for ch in letters) and len(text.split()) <= 6


def _top_title(text: str) -> str | None:
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    for block in blocks[:_TOP_BLOCKS]:
        first_line = block.splitlines()[0].strip()
        heading = _HEADING_LINE.match(first_line)
        if heading:
            title = heading.group(2).strip()
            return title if _is_title(title) else None
        if _caps_title(first_line) and _is_title(first_line):
            return first_line
        if len(block) > _SHORT_BLOCK or first_line.startswith("|"):
            return None
    return None


def page_cues(page: PageText, *, label_reset: str | None = None) -> PageCues:
    matches = list(_PAGE_OF.finditer(page.text))
    page_of: tuple[int, int] | None = None
    page_of_text: str | None = None
    for match in reversed(matches):  # a footer comes last in reading order
        x, n = int(match.group(1)), int(match.group(2))
        if 1 <= x <= n:
            page_of, page_of_text = (x, n), match.group(0)
            break
    return PageCues(
        page=page.page,
        blank=not any(ch.isalnum() for ch in page.text),
        page_of=page_of,
        page_of_text=page_of_text,
        title=_top_title(page.text),
        label_reset=label_reset,
    )


def label_resets(doc: pymupdf.Document) -> dict[int, str]:
    """1-based page → its label, for pages where the PDF's page labels restart (a rule that
    starts again at 1, or starts a new prefix). Read from the label rules, not page by page."""
    try:
        rules: list[dict[str, Any]] = doc.get_page_labels()
    except Exception:  # noqa: BLE001 - unreadable labels are no labels
        return {}
    resets: dict[int, str] = {}
    previous: dict[str, Any] | None = None
    for rule in sorted(rules, key=lambda r: int(r.get("startpage", 0))):
        start = int(rule.get("startpage", 0))
        prefix = str(rule.get("prefix") or "")
        restarts = _restarts(previous, rule)
        previous = rule
        if start > 0 and restarts and start < doc.page_count:
            try:
                resets[start + 1] = doc.load_page(start).get_label() or str(rule.get("firstpagenum") or 1)
            except Exception:  # noqa: BLE001
                resets[start + 1] = prefix + str(rule.get("firstpagenum") or 1)
    return resets


def _restarts(previous: dict[str, Any] | None, rule: dict[str, Any]) -> bool:
    """A new label prefix, or numbering that starts again at 1 — except a book's roman front
    matter (i, ii, iii) giving way to its arabic body (1, 2, 3), which is one document."""
    if previous is None:
        return False
    prefix, previous_prefix = str(rule.get("prefix") or ""), str(previous.get("prefix") or "")
    if prefix != previous_prefix:
        return True
    if int(rule.get("firstpagenum") or 1) != 1:
        return False
    front_matter = str(previous.get("style") or "") in {"r", "R"} and str(rule.get("style") or "") == "D"
    return not front_matter
