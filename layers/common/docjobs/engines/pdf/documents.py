"""Open documents with PyMuPDF: file-type detection, corrupt/encrypted/unsupported inputs, metadata.

PyMuPDF is imported lazily (inside functions) so that importing this module costs nothing for
API functions.
"""

from __future__ import annotations

import io
import os
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docjobs.core.errors import InputValidationError, ParseError
from docjobs.core.models import DocumentMetadata

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf

__all__ = ["MUPDF_LOCK", "detect_file_type", "document_metadata", "document_properties", "open_document"]

#: PyMuPDF is not thread-safe (its table finder and MuPDF's Tesseract glue keep process-global
#: state). Lambda runs one invocation per process, so this lock is never contended there; the
#: local runtime runs several executions' stages in one process and needs it. Every stage that
#: touches PyMuPDF holds it around that work.
MUPDF_LOCK = threading.RLock()

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
    """The job's ``metadata``: filename, detected file type and page count."""
    file_type = getattr(doc, _FILE_TYPE_ATTR, None)
    if not isinstance(file_type, str):
        ext = Path(filename).suffix.lower().lstrip(".")
        file_type = _EXTENSION_TYPES.get(ext) or ("pdf" if doc.is_pdf else ext or "unknown")
    return DocumentMetadata(filename=filename, file_type=file_type, pages=doc.page_count)


def document_properties(doc: pymupdf.Document) -> dict[str, str | None]:
    """Title and author from the document's own metadata (``None`` when absent or blank);
    they go into the result's ``metadata`` beside the job's."""
    meta: dict[str, Any] = doc.metadata or {}

    def clean(value: object) -> str | None:
        if not isinstance(value, str):
            return None
        value = value.strip()
        return value or None

    return {"title": clean(meta.get("title")), "author": clean(meta.get("author"))}


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
