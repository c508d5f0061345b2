"""Markdown to HTML with markdown-it-py (CommonMark, plus GitHub-style tables and strikethrough).

Raw HTML inside Markdown is not interpreted (``html: False``): it is shown as text. Markdown
templates take their values unescaped (Markdown is not HTML), so this is what keeps a data value
from injecting markup into the laid-out document; template authors who need HTML use an HTML
template. Link targets are checked by markdown-it (no ``javascript:``, ``vbscript:``, ``file:``
or non-image ``data:`` URLs).
"""

from __future__ import annotations

import html as html_lib
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from markdown_it import MarkdownIt

__all__ = ["html_document", "markdown_to_html"]


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def markdown_to_html(markdown: str) -> str:
    """The HTML body of ``markdown``."""
    rendered: str = _parser().render(markdown)
    return rendered


def html_document(body: str, *, title: str, style: str) -> str:
    """A complete UTF-8 HTML document around ``body`` (the HTML output of a Markdown template)."""
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html_lib.escape(title)}</title>\n<style>{style}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )
