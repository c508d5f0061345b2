"""Open documents with PyMuPDF and stream them page by page as markdown-ish text.

PyMuPDF is imported lazily (inside functions) so that importing this module costs nothing
for API functions; ``docjobs/__init__.py`` never imports it. Only stage functions (with the
pipeline layer) call into it.

Reading order comes from ``page.get_text("dict", sort=True)``. Headings come from the
document outline when it has one, else from font sizes relative to the body font size
(estimated from a bounded sample of pages). Ruled tables are found with
``page.find_tables()`` (only on pages that have vector drawings) and emitted as markdown
tables; their area is excluded from the paragraph text.
"""

from __future__ import annotations

import io
import os
import re
import threading
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from docjobs.core.errors import InputValidationError, ParseError

#: PyMuPDF is not thread-safe (its table finder and MuPDF's Tesseract glue keep process-global
#: state). Lambda runs one invocation per process, so this lock is never contended there; the
#: local runtime runs several executions' stages in one process and needs it. Every stage that
#: touches PyMuPDF holds it around that work.
MUPDF_LOCK = threading.RLock()

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf

__all__ = [
    "DocumentMetadata",
    "Heading",
    "ParsedPage",
    "detect_file_type",
    "document_metadata",
    "iter_pages",
    "open_document",
]

# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------


class Heading(BaseModel):
    level: int = Field(ge=1, le=6)
    text: str


class DocumentMetadata(BaseModel):
    filename: str
    file_type: str
    pages: int
    title: str | None = None
    author: str | None = None


class ParsedPage(BaseModel):
    """One page's text as markdown: ``#`` headings, markdown tables, paragraphs."""

    page: int = Field(ge=1, description="1-based page number")
    text: str
    headings: list[Heading] = Field(default_factory=list)
    needs_ocr: bool = False
    char_count: int = 0


# --------------------------------------------------------------------------------------
# File type detection
# --------------------------------------------------------------------------------------

#: Types PyMuPDF opens natively (the value is PyMuPDF's ``filetype`` hint).
_DOCUMENT_TYPES: dict[str, str] = {
    "pdf": "pdf",
    "xps": "xps",
    "epub": "epub",
    "cbz": "cbz",
    "mobi": "mobi",
    "fb2": "fb2",
    "svg": "svg",
    "txt": "txt",
}
#: Extensions under which plain text is accepted (as MuPDF's text documents); plain text
#: under any other name (e.g. ``notes.pdf``) is refused as a mislabelled upload.
_TEXT_EXTENSIONS = frozenset({"txt", "text", "md", "markdown"})
#: Raster images: opened, then converted to PDF (their pages need OCR).
_IMAGE_TYPES: dict[str, str] = {
    "png": "png",
    "jpg": "jpg",
    "tiff": "tiff",
    "gif": "gif",
    "bmp": "bmp",
    "jpx": "jpx",
    "psd": "psd",
    "jxr": "jxr",
}
#: The file types that are raster images (``DocumentMetadata.file_type``).
IMAGE_FILE_TYPES = frozenset(_IMAGE_TYPES)
_EXTENSION_TYPES: dict[str, str] = {
    "pdf": "pdf",
    "xps": "xps",
    "oxps": "xps",
    "epub": "epub",
    "cbz": "cbz",
    "mobi": "mobi",
    "fb2": "fb2",
    "svg": "svg",
    "png": "png",
    "jpg": "jpg",
    "jpeg": "jpg",
    "tif": "tiff",
    "tiff": "tiff",
    "gif": "gif",
    "bmp": "bmp",
    "jp2": "jpx",
    "jpx": "jpx",
    "psd": "psd",
    "jxr": "jxr",
}
_UNSUPPORTED_LABELS: dict[str, str] = {
    "zip": "a zip archive",
    "docx": "a Word document (docx)",
    "xlsx": "an Excel workbook (xlsx)",
    "pptx": "a PowerPoint presentation (pptx)",
    "html": "an HTML page",
    "xml": "an XML file",
    "text": "plain text",
    "gzip": "a gzip archive",
    "binary": "unrecognised binary data",
}
_HEAD_BYTES = 4096


def _sniff_zip(source: bytes | str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:64].strip()
                if mimetype == b"application/epub+zip":
                    return "epub"
    except (zipfile.BadZipFile, OSError, KeyError):
        return "zip"
    lowered = [n.lower() for n in names]
    if any(n.endswith(".fdseq") or n.endswith(".fpage") for n in lowered):
        return "xps"
    if "word/document.xml" in lowered:
        return "docx"
    if any(n.startswith("xl/") for n in lowered):
        return "xlsx"
    if any(n.startswith("ppt/") for n in lowered):
        return "pptx"
    image_ext = (".png", ".jpg", ".jpeg", ".gif", ".tif", ".tiff", ".bmp", ".webp")
    files = [n for n in lowered if not n.endswith("/")]
    if files and all(n.endswith(image_ext) for n in files):
        return "cbz"
    return "zip"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        sample = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte sequence may be cut at the end of the sample.
        try:
            sample = head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return False
    printable = sum(1 for ch in sample if ch.isprintable() or ch in "\r\n\t\f")
    return printable >= 0.95 * max(len(sample), 1)


def detect_file_type(head: bytes, *, source: bytes | str | None = None) -> str:
    """Detect a file's type from its first bytes (``source`` is needed to look into zips).

    Returns a supported type (keys of the document/image tables, e.g. ``"pdf"``, ``"png"``)
    or an unsupported label (``"zip"``, ``"docx"``, ``"text"``, ``"html"``, ``"binary"``...).
    """
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(source) if source is not None else "zip"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"BM") and len(head) >= 26 and head[6:10] == b"\x00\x00\x00\x00":
        return "bmp"
    if head.startswith((b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51")):
        return "jpx"
    if head.startswith(b"8BPS"):
        return "psd"
    if head.startswith(b"II\xbc"):
        return "jxr"
    if head[60:68] == b"BOOKMOBI":
        return "mobi"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if _looks_like_text(head):
        lowered = head[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if b"<svg" in lowered:
            return "svg"
        if b"<fictionbook" in lowered:
            return "fb2"
        if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered[:512]:
            return "html"
        if lowered.startswith(b"<?xml"):
            return "xml"
        return "text"
    return "binary"


def _declared_type(filename: str, content_type: str | None) -> str | None:
    ext = Path(filename).suffix.lower().lstrip(".")
    if ext in _EXTENSION_TYPES:
        return _EXTENSION_TYPES[ext]
    if content_type:
        subtype = content_type.split(";")[0].strip().lower().rsplit("/", 1)[-1]
        mapping = {"pdf": "pdf", "epub+zip": "epub", "oxps": "xps", "vnd.ms-xpsdocument": "xps"}
        if subtype in mapping:
            return mapping[subtype]
        if subtype in _EXTENSION_TYPES:
            return _EXTENSION_TYPES[subtype]
    return None


# --------------------------------------------------------------------------------------
# Opening
# --------------------------------------------------------------------------------------

_FILE_TYPE_ATTR = "_docjobs_file_type"


def _mupdf_warnings() -> str:
    import pymupdf

    text: str = pymupdf.TOOLS.mupdf_warnings(reset=True) or ""
    return text


def _first_warning(warnings: str) -> str:
    for line in warnings.splitlines():
        line = line.strip()
        if line and not line.startswith(("trying to repair", "repairing")):
            return line
    return ""


def _page_has_content(page: pymupdf.Page) -> bool:
    if page.get_text("text").strip():
        return True
    if page.get_image_info(hashes=False, xrefs=False):
        return True
    return bool(page.get_cdrawings())


@contextmanager
def open_document(
    data_or_path: bytes | str | os.PathLike[str],
    *,
    filename: str,
    content_type: str | None = None,
) -> Iterator[pymupdf.Document]:
    """Open a document from bytes or a path; yield a PyMuPDF ``Document``; close it on exit.

    Raster images are converted to a one-page-per-frame PDF (their pages then report
    ``needs_ocr``). Raises :class:`ParseError` for empty, encrypted, corrupt or truncated
    documents and :class:`InputValidationError` for formats PyMuPDF does not handle here.
    """
    import pymupdf

    if isinstance(data_or_path, bytes | bytearray | memoryview):
        raw = bytes(data_or_path)
        data: bytes | None = raw
        path: str | None = None
        size = len(raw)
        head = raw[:_HEAD_BYTES]
    else:
        data = None
        path = os.fspath(data_or_path)
        try:
            size = os.path.getsize(path)
            with open(path, "rb") as handle:
                head = handle.read(_HEAD_BYTES)
        except OSError as exc:
            raise ParseError(f"Cannot read '{filename}': {exc.strerror or exc}") from exc

    if size == 0:
        raise ParseError(f"'{filename}' is empty (0 bytes): there is no document to parse")

    detected = detect_file_type(head, source=data if data is not None else path)
    if detected == "text" and Path(filename).suffix.lower().lstrip(".") in _TEXT_EXTENSIONS:
        detected = "txt"
    if detected not in _DOCUMENT_TYPES and detected not in _IMAGE_TYPES:
        declared = _declared_type(filename, content_type)
        what = _UNSUPPORTED_LABELS.get(detected, detected)
        claim = f" although it is named/declared as {declared.upper()}" if declared else ""
        raise InputValidationError(
            f"Unsupported document format: '{filename}' contains {what}{claim}. "
            "Supported formats: PDF, XPS, EPUB, CBZ, MOBI, FB2, SVG, plain text (.txt, .md) and images "
            "(PNG, JPEG, TIFF, GIF, BMP, JPEG 2000, PSD, JXR).",
            details={"filename": filename, "detected_type": detected},
        )

    filetype = _DOCUMENT_TYPES.get(detected) or _IMAGE_TYPES[detected]
    _mupdf_warnings()  # drop warnings left over from earlier documents
    try:
        if data is not None:
            doc = pymupdf.open(stream=data, filetype=filetype)
        else:
            doc = pymupdf.open(path, filetype=filetype)
    except Exception as exc:
        why = _first_warning(_mupdf_warnings()) or str(exc)
        raise ParseError(
            f"'{filename}' is corrupt or truncated and could not be opened as {detected.upper()}: {why}",
            details={"filename": filename, "detected_type": detected},
        ) from exc

    try:
        if doc.needs_pass:
            raise ParseError(
                f"'{filename}' is encrypted (password-protected); remove the password and resubmit",
                details={"filename": filename, "detected_type": detected},
            )
        if detected in _IMAGE_TYPES:
            try:
                pdf_bytes = doc.convert_to_pdf()
            except Exception as exc:
                raise ParseError(f"The image '{filename}' could not be decoded: {exc}") from exc
            doc.close()
            doc = pymupdf.open(stream=pdf_bytes, filetype="pdf")
        _check_pages(doc, filename, detected)
        setattr(doc, _FILE_TYPE_ATTR, detected)
    except BaseException:
        doc.close()
        raise

    try:
        yield doc
    finally:
        doc.close()


def _check_pages(doc: pymupdf.Document, filename: str, detected: str) -> None:
    try:
        count = doc.page_count
    except Exception as exc:
        raise ParseError(f"'{filename}' is corrupt: its pages cannot be counted ({exc})") from exc
    if count <= 0:
        why = _first_warning(_mupdf_warnings())
        raise ParseError(
            f"'{filename}' is corrupt or truncated: it has no pages" + (f" ({why})" if why else ""),
            details={"filename": filename, "detected_type": detected},
        )
    repaired = bool(getattr(doc, "is_repaired", False))
    probe = range(count) if repaired else sorted({0, count - 1})
    any_content = False
    for index in probe:
        try:
            page = doc.load_page(index)
            if repaired and not any_content:
                any_content = _page_has_content(page)
        except Exception as exc:
            raise ParseError(
                f"'{filename}' is corrupt or truncated: page {index + 1} cannot be loaded ({exc})",
                details={"filename": filename, "detected_type": detected, "page": index + 1},
            ) from exc
        if repaired and (any_content or index >= 50):
            break
    if repaired and not any_content:
        why = _first_warning(_mupdf_warnings())
        raise ParseError(
            f"'{filename}' is corrupt or truncated: the file had to be repaired and no page content "
            "could be recovered" + (f" ({why})" if why else ""),
            details={"filename": filename, "detected_type": detected},
        )


# --------------------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------------------


def document_metadata(doc: pymupdf.Document, filename: str) -> DocumentMetadata:
    """Filename, detected file type, page count, and title/author when the document has them."""
    file_type = getattr(doc, _FILE_TYPE_ATTR, None)
    if not isinstance(file_type, str):
        ext = Path(filename).suffix.lower().lstrip(".")
        file_type = _EXTENSION_TYPES.get(ext) or ("pdf" if doc.is_pdf else ext or "unknown")
    meta: dict[str, Any] = doc.metadata or {}

    def clean(value: object) -> str | None:
        if not isinstance(value, str):
            return None
        value = value.strip()
        return value or None

    return DocumentMetadata(
        filename=filename,
        file_type=file_type,
        pages=doc.page_count,
        title=clean(meta.get("title")),
        author=clean(meta.get("author")),
    )


def document_warnings(doc: pymupdf.Document, filename: str) -> list[str]:
    """What a reader of the result should know about the file itself (the job's ``warnings``):
    a damaged file MuPDF repaired, an owner password that was not asked for, an extension that
    names another format."""
    warnings: list[str] = []
    if getattr(doc, "is_repaired", False):
        warnings.append(f"damaged file repaired; {doc.page_count} pages recovered")
    if (doc.metadata or {}).get("encryption"):
        warnings.append("owner password ignored: the text was extracted whatever the file's permissions say")
    detected = getattr(doc, _FILE_TYPE_ATTR, None)
    extension = Path(filename).suffix.lower().lstrip(".")
    if isinstance(detected, str) and extension:
        named = "txt" if extension in _TEXT_EXTENSIONS else _EXTENSION_TYPES.get(extension, extension)
        if named != detected:
            kind = "a text file" if detected == "txt" else f"a {detected.upper()}"
            warnings.append(f"file named .{extension} is {kind}")
    return warnings


# --------------------------------------------------------------------------------------
# Page parsing
# --------------------------------------------------------------------------------------

#: Fewer meaningful (alphanumeric) characters than this means "no text layer".
_MIN_TEXT_CHARS = 16
#: An image covering at least this fraction of the page makes an empty page an OCR candidate.
_MIN_IMAGE_COVERAGE = 0.05
#: Vector paths on an otherwise empty page (e.g. outlined text) that make it an OCR candidate.
_MIN_DRAWINGS_FOR_OCR = 50
#: A span at least this much larger than the body size is heading-sized.
_HEADING_RATIO = 1.15
#: Heading lines are short.
_MAX_HEADING_CHARS = 200
_BODY_SAMPLE_PAGES = 20
_STORE_SHRINK_EVERY = 50


def _dict_flags() -> int:
    import pymupdf

    # Text and its fonts; no images (they would be decoded into memory for nothing).
    flags: int = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES
    return flags


@dataclass
class FontProfile:
    """Body font size and the heading-sized font sizes seen in a sample of pages."""

    body_size: float
    heading_sizes: list[float] = field(default_factory=list)

    def heading_level(self, size: float) -> int | None:
        """Level 1 for the largest heading size, 2 for the next... ``None`` for body text."""
        size = round(size, 1)
        if size < self.body_size * _HEADING_RATIO:
            return None
        larger = sum(1 for s in self.heading_sizes if s > size + 0.05)
        return min(larger + 1, 6)


def font_profile_from_blocks(pages_blocks: Iterable[Sequence[dict[str, Any]]]) -> FontProfile:
    """Compute a :class:`FontProfile` from pages' ``get_text("dict")`` blocks.

    ``pages_blocks`` may be a generator: only one page's blocks need to be in memory.
    """
    weights: Counter[float] = Counter()
    for blocks in pages_blocks:
        for block in blocks:
            for line in block.get("lines", ()):
                for span in line["spans"]:
                    chars = len(span["text"].strip())
                    if chars:
                        weights[round(span["size"], 1)] += chars
    if not weights:
        return FontProfile(body_size=0.0)
    body = max(weights.items(), key=lambda item: (item[1], -item[0]))[0]
    total = sum(weights.values())
    # Heading sizes are larger than body and comparatively rare (< 30 % of the characters).
    headings = sorted(
        (s for s, w in weights.items() if s >= body * _HEADING_RATIO and w < 0.3 * total),
        reverse=True,
    )
    return FontProfile(body_size=body, heading_sizes=headings[:6])


def _sample_font_profile(doc: pymupdf.Document) -> FontProfile:
    count = doc.page_count
    if count <= _BODY_SAMPLE_PAGES:
        indexes = list(range(count))
    else:
        step = count / _BODY_SAMPLE_PAGES
        indexes = sorted({int(i * step) for i in range(_BODY_SAMPLE_PAGES)})

    def sampled_blocks() -> Iterator[list[dict[str, Any]]]:
        for index in indexes:
            try:
                page = doc.load_page(index)
                blocks = page.get_text("dict", flags=_dict_flags())["blocks"]
            except Exception:  # noqa: BLE001,S112 - a bad page must not break the estimate
                continue
            yield blocks

    return font_profile_from_blocks(sampled_blocks())


_WS = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip().casefold()


def _has_meaningful_text(text: str, minimum: int) -> bool:
    """At least ``minimum`` letters or digits (stops counting as soon as there are enough)."""
    found = 0
    for ch in text:
        if ch.isalnum():
            found += 1
            if found >= minimum:
                return True
    return False


def _line_text(line: dict[str, Any]) -> str:
    return _WS.sub(" ", "".join(span["text"] for span in line["spans"])).strip()


def _line_size(line: dict[str, Any]) -> float:
    weights: Counter[float] = Counter()
    for span in line["spans"]:
        chars = len(span["text"].strip())
        if chars:
            weights[round(span["size"], 1)] += chars
    if not weights:
        return 0.0
    return max(weights.items(), key=lambda item: (item[1], item[0]))[0]


def _overlaps(bbox: Sequence[float], rects: Sequence[tuple[float, float, float, float]]) -> bool:
    cx = (bbox[0] + bbox[2]) / 2
    cy = (bbox[1] + bbox[3]) / 2
    return any(r[0] <= cx <= r[2] and r[1] <= cy <= r[3] for r in rects)


def _cell(value: object) -> str:
    text = "" if value is None else _WS.sub(" ", str(value)).strip()
    return text.replace("|", "\\|")


def table_to_markdown(rows: Sequence[Sequence[object]]) -> str:
    """Rows (first row is the header) → a markdown table, one line per row."""
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    lines: list[str] = []
    for i, row in enumerate(rows):
        cells = [_cell(c) for c in row] + [""] * (width - len(row))
        lines.append("| " + " | ".join(cells) + " |")
        if i == 0:
            lines.append("|" + "|".join(["---"] * width) + "|")
    return "\n".join(lines)


@dataclass
class _Table:
    bbox: tuple[float, float, float, float]
    markdown: str


def _find_tables(page: pymupdf.Page) -> list[_Table]:
    # find_tables() is slow; its "lines" strategy needs vector lines anyway.
    try:
        if not page.get_cdrawings():
            return []
        found = page.find_tables()
    except Exception:  # noqa: BLE001 - table detection is best-effort
        return []
    tables: list[_Table] = []
    for table in found.tables:
        try:
            rows = table.extract()
        except Exception:  # noqa: BLE001,S112
            continue
        if len(rows) < 2 or max((len(r) for r in rows), default=0) < 2:
            continue
        if not any(_cell(c) for row in rows for c in row):
            continue
        x0, y0, x1, y1 = table.bbox
        tables.append(_Table(bbox=(x0, y0, x1, y1), markdown=table_to_markdown(rows)))
    return tables


def _needs_ocr(page: pymupdf.Page, text: str) -> bool:
    if _has_meaningful_text(text, _MIN_TEXT_CHARS):
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


def _toc_matches(line_key: str, title_key: str) -> bool:
    """A line matches an outline title when equal, or when it ends with it ("2.1 Scope")."""
    if not line_key or not title_key:
        return False
    return line_key == title_key or (len(title_key) >= 3 and line_key.endswith(" " + title_key))


def build_page(
    page_number: int,
    blocks: Sequence[dict[str, Any]],
    *,
    profile: FontProfile,
    toc_entries: Sequence[tuple[int, str]] = (),
    use_toc: bool = False,
    tables: Sequence[_Table] = (),
    needs_ocr: bool = False,
) -> ParsedPage:
    """Assemble a :class:`ParsedPage` from ``get_text("dict", sort=True)`` blocks.

    With ``use_toc`` the headings are the page's outline entries (matched to its lines; an
    entry that matches no line is put at the top of the page); otherwise lines whose font
    is heading-sized per ``profile`` are headings.
    """
    parts: list[str] = []
    headings: list[Heading] = []
    pending_tables = sorted(tables, key=lambda t: (t.bbox[1], t.bbox[0]))
    table_rects = [t.bbox for t in tables]
    unmatched_toc = list(toc_entries)

    if use_toc:
        # Outline entries whose title matches no line go first (they start the page's section).
        line_keys = [_norm(_line_text(ln)) for block in blocks for ln in block.get("lines", ())]
        for entry in list(unmatched_toc):
            if any(_toc_matches(key, _norm(entry[1])) for key in line_keys):
                continue
            top_level = min(max(entry[0], 1), 6)
            headings.append(Heading(level=top_level, text=entry[1].strip()))
            parts.append("#" * top_level + " " + entry[1].strip())
            unmatched_toc.remove(entry)

    paragraph: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            parts.append(" ".join(paragraph))
            paragraph.clear()

    def emit_heading(level: int, text: str) -> None:
        flush_paragraph()
        headings.append(Heading(level=level, text=text))
        parts.append("#" * level + " " + text)

    def toc_level(text: str) -> int | None:
        key = _norm(text)
        for entry in unmatched_toc:
            if _toc_matches(key, _norm(entry[1])):
                unmatched_toc.remove(entry)
                return min(max(entry[0], 1), 6)
        return None

    for block in column_order(blocks):
        lines = [ln for ln in block.get("lines", ()) if _line_text(ln)]
        if not lines:
            continue
        if table_rects and _overlaps(block["bbox"], table_rects):
            # Tables are emitted as markdown where they start (in reading order).
            while pending_tables and pending_tables[0].bbox[1] <= block["bbox"][3]:
                flush_paragraph()
                parts.append(pending_tables.pop(0).markdown)
            continue
        while pending_tables and pending_tables[0].bbox[1] <= block["bbox"][1]:
            flush_paragraph()
            parts.append(pending_tables.pop(0).markdown)
        heading_lines: list[str] = []
        heading_level = 0
        level: int | None
        for line in lines:
            text = _line_text(line)
            size_level = profile.heading_level(_line_size(line)) if len(text) <= _MAX_HEADING_CHARS else None
            if use_toc:
                level = toc_level(text)
                if level is None and size_level is not None:
                    # Heading-sized but not in the outline: keep it as its own paragraph.
                    if heading_lines:
                        emit_heading(heading_level, " ".join(heading_lines))
                        heading_lines = []
                    flush_paragraph()
                    paragraph.append(text)
                    flush_paragraph()
                    continue
            else:
                level = size_level
            if level is not None:
                if heading_lines and level != heading_level:
                    emit_heading(heading_level, " ".join(heading_lines))
                    heading_lines = []
                flush_paragraph()
                heading_lines.append(text)
                heading_level = level
                continue
            if heading_lines:
                emit_heading(heading_level, " ".join(heading_lines))
                heading_lines = []
            if paragraph and paragraph[-1].endswith("-") and text[:1].islower():
                paragraph[-1] = paragraph[-1][:-1] + text  # re-join a hyphenated word
            else:
                paragraph.append(text)
        if heading_lines:
            emit_heading(heading_level, " ".join(heading_lines))
        flush_paragraph()
    for table in pending_tables:
        parts.append(table.markdown)

    text = "\n\n".join(p for p in parts if p)
    return ParsedPage(
        page=page_number,
        text=text,
        headings=headings,
        needs_ocr=needs_ocr,
        char_count=len(text),
    )


def _toc_by_page(doc: pymupdf.Document) -> dict[int, list[tuple[int, str]]]:
    by_page: dict[int, list[tuple[int, str]]] = {}
    try:
        toc = doc.get_toc(simple=True)
    except Exception:  # noqa: BLE001 - a broken outline just means "no outline"
        return by_page
    for entry in toc:
        level, title, page = int(entry[0]), str(entry[1]), int(entry[2])
        if page >= 1 and title.strip():
            by_page.setdefault(page, []).append((level, title))
    return by_page


def iter_pages(doc: pymupdf.Document, *, detect_tables: bool = True) -> Iterator[ParsedPage]:
    """Yield one :class:`ParsedPage` per page, in page order, holding one page at a time.

    A page that cannot be read raises :class:`ParseError` naming the page.
    """
    import pymupdf

    toc = _toc_by_page(doc)
    use_toc = bool(toc)
    profile = _sample_font_profile(doc)
    flags = _dict_flags()
    for index in range(doc.page_count):
        try:
            page = doc.load_page(index)
            blocks = page.get_text("dict", flags=flags, sort=True)["blocks"]
            tables = _find_tables(page) if detect_tables else []
            plain = "".join(span["text"] for b in blocks for ln in b.get("lines", ()) for span in ln["spans"])
            needs_ocr = _needs_ocr(page, plain)
        except Exception as exc:
            raise ParseError(
                f"Page {index + 1} could not be read: {exc}", details={"page": index + 1}
            ) from exc
        yield build_page(
            index + 1,
            blocks,
            profile=profile,
            toc_entries=toc.get(index + 1, ()),
            use_toc=use_toc,
            tables=tables,
            needs_ocr=needs_ocr,
        )
        del page, blocks
        if (index + 1) % _STORE_SHRINK_EVERY == 0:
            pymupdf.TOOLS.store_shrink(100)  # MuPDF's object cache would otherwise grow
