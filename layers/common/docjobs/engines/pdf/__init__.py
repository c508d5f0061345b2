"""PDF (and other PyMuPDF formats) to markdown pages.

- ``documents``: file-type detection, opening (corrupt, encrypted, unsupported inputs), metadata;
- ``text``: lines, reading order, markdown escaping, running headers/footers, contents pages;
- ``headings``: headings from the outline or from font sizes;
- ``tables``: ruled tables, with the table finder run only where a table can be;
- ``pages``: one :class:`ParsedPage` per page, streamed (``iter_pages``), for a page range too.

PyMuPDF is imported lazily inside functions: importing this package costs no PyMuPDF import.
"""

from docjobs.engines.pdf.documents import (
    IMAGE_FILE_TYPES,
    MUPDF_LOCK,
    detect_file_type,
    document_metadata,
    document_properties,
    document_warnings,
    open_document,
)
from docjobs.engines.pdf.headings import FontProfile, font_profile_from_blocks
from docjobs.engines.pdf.pages import (
    DocumentProfile,
    Heading,
    ParsedPage,
    build_page,
    document_profile,
    iter_pages,
)
from docjobs.engines.pdf.tables import table_to_markdown

__all__ = [
    "IMAGE_FILE_TYPES",
    "MUPDF_LOCK",
    "DocumentProfile",
    "FontProfile",
    "Heading",
    "ParsedPage",
    "build_page",
    "detect_file_type",
    "document_metadata",
    "document_profile",
    "document_properties",
    "document_warnings",
    "font_profile_from_blocks",
    "iter_pages",
    "open_document",
    "table_to_markdown",
]
