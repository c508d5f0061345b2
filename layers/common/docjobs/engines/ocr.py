"""OCR engines behind one protocol: Tesseract (through PyMuPDF) and Textract (lazily).

Tesseract runs in-process through PyMuPDF's built-in OCR; it needs only the language data
directory ("tessdata"). That directory is found, in order, from the engine's ``tessdata``
argument, the ``TESSDATA_PREFIX`` environment variable, then well-known locations
(``/opt/share/tessdata`` and ``/opt/tessdata`` for a Lambda layer,
``/usr/share/tesseract-ocr/*/tessdata`` for Debian's ``tesseract-ocr`` package, ...). It is
passed to PyMuPDF explicitly for each call; the process environment is never modified.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
from typing import Protocol, runtime_checkable

from docjobs.core.errors import OcrError
from docjobs.engines.pdf import ParsedPage, build_page, font_profile_from_blocks

__all__ = ["OcrEngine", "TesseractEngine", "find_tessdata", "get_ocr_engine"]


@runtime_checkable
class OcrEngine(Protocol):
    """Recognises text on pages of a PDF. Pages are 1-based; one result per requested page."""

    name: str

    def ocr_pages(
        self,
        pdf_bytes: bytes,
        pages: list[int],
        *,
        language: str = "eng",
        detect_tables: bool = False,
    ) -> list[ParsedPage]: ...


_TESSDATA_CANDIDATES = (
    "/opt/share/tessdata",
    "/opt/tessdata",
    "/opt/share/tesseract-ocr/*/tessdata",
    "/usr/share/tesseract-ocr/*/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/usr/local/share/tesseract-ocr/*/tessdata",
)
_LANGUAGE = re.compile(r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$")


def _has_traineddata(directory: str) -> bool:
    return os.path.isdir(directory) and bool(glob.glob(os.path.join(directory, "*.traineddata")))


def find_tessdata(explicit: str | None = None) -> str | None:
    """The Tesseract language-data directory, or ``None`` when there is none."""
    if explicit:
        return explicit if _has_traineddata(explicit) else None
    env = os.environ.get("TESSDATA_PREFIX")
    if env and _has_traineddata(env):
        return env
    for pattern in _TESSDATA_CANDIDATES:
        # Highest version first (e.g. tesseract-ocr/5 before tesseract-ocr/4).
        for candidate in sorted(glob.glob(pattern), reverse=True):
            if _has_traineddata(candidate):
                return candidate
    return None


class TesseractEngine:
    """OCR with Tesseract through ``page.get_textpage_ocr(full=True)``.

    ``dpi`` is the rendering resolution fed to Tesseract (300 is Tesseract's sweet spot;
    lower is faster but loses small print).
    """

    name = "tesseract"

    def __init__(self, *, tessdata: str | None = None, dpi: int = 300) -> None:
        self._explicit_tessdata = tessdata
        self.dpi = dpi

    @property
    def tessdata(self) -> str | None:
        return find_tessdata(self._explicit_tessdata)

    def unavailable_reason(self) -> str | None:
        """Why the engine cannot run here, or ``None`` when it can."""
        try:
            import pymupdf
        except ImportError:
            return "PyMuPDF is not installed (it comes with the pipeline layer)"
        if not hasattr(pymupdf.Page, "get_textpage_ocr"):
            return "this PyMuPDF build has no OCR support"
        tessdata = self.tessdata
        if tessdata is None:
            where = self._explicit_tessdata or os.environ.get("TESSDATA_PREFIX")
            hint = f" (looked in {where})" if where else ""
            binary = " the tesseract binary is installed but" if shutil.which("tesseract") else ""
            return (
                f"no Tesseract language data (tessdata) found{hint};{binary} install tesseract-ocr "
                "or set TESSDATA_PREFIX to the tessdata directory"
            )
        return None

    def is_available(self) -> bool:
        return self.unavailable_reason() is None

    def _check_language(self, tessdata: str, language: str) -> None:
        if not _LANGUAGE.match(language):
            raise OcrError(
                f"Invalid Tesseract language '{language}' (expected codes like 'eng' or 'eng+deu')"
            )
        missing = [
            code
            for code in language.split("+")
            if not os.path.isfile(os.path.join(tessdata, f"{code}.traineddata"))
        ]
        if missing:
            raise OcrError(
                f"Tesseract language data for {', '.join(missing)} is not installed in {tessdata}",
                details={"language": language},
            )

    def ocr_pages(
        self,
        pdf_bytes: bytes,
        pages: list[int],
        *,
        language: str = "eng",
        detect_tables: bool = False,
    ) -> list[ParsedPage]:
        """OCR the given 1-based pages; returns one :class:`ParsedPage` per page, in order.

        ``detect_tables`` is accepted for protocol compatibility; Tesseract output has no
        ruling lines, so tables come back as text lines.
        """
        reason = self.unavailable_reason()
        if reason is not None:
            raise OcrError(f"OCR engine 'tesseract' is not available: {reason}")
        tessdata = self.tessdata
        assert tessdata is not None
        self._check_language(tessdata, language)

        import pymupdf

        try:
            doc = pymupdf.open(stream=pdf_bytes, filetype="pdf")
        except Exception as exc:
            raise OcrError(f"Cannot open the PDF for OCR: {exc}") from exc
        results: list[ParsedPage] = []
        with doc:
            for number in pages:
                if not 1 <= number <= doc.page_count:
                    raise OcrError(f"Page {number} is out of range (the document has {doc.page_count} pages)")
                try:
                    page = doc.load_page(number - 1)
                    textpage = page.get_textpage_ocr(
                        flags=pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES,
                        language=language,
                        dpi=self.dpi,
                        full=True,
                        tessdata=tessdata,
                    )
                    blocks = page.get_text("dict", textpage=textpage, sort=True)["blocks"]
                except Exception as exc:
                    raise OcrError(
                        f"Tesseract failed on page {number}: {exc}", details={"page": number}
                    ) from exc
                profile = font_profile_from_blocks([blocks])
                parsed = build_page(number, blocks, profile=profile)
                results.append(parsed.model_copy(update={"needs_ocr": False}))
        return results


def get_ocr_engine(name: str) -> OcrEngine:
    """The engine called ``name`` ("tesseract" or "textract"); OcrError when it cannot run."""
    key = name.strip().lower()
    if key == "tesseract":
        engine = TesseractEngine()
        reason = engine.unavailable_reason()
        if reason is not None:
            raise OcrError(f"OCR engine '{name}' is not available: {reason}")
        return engine
    if key == "textract":
        try:
            from docjobs.engines.textract_ocr import TextractEngine
        except ImportError as exc:
            raise OcrError(f"OCR engine '{name}' is not available: {exc}") from exc
        textract: OcrEngine = TextractEngine()
        return textract
    if key == "none":
        raise OcrError(f"OCR engine '{name}' is not available: OCR is disabled (OCR_ENGINE=none)")
    raise OcrError(f"OCR engine '{name}' is not available: unknown engine (use tesseract or textract)")
