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
from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from docjobs.core.errors import OcrError
from docjobs.engines.pdf import ParsedPage, build_page, font_profile_from_blocks
from docjobs.engines.pdf.pages import OcrWord

__all__ = ["OcrEngine", "TesseractEngine", "find_tessdata", "get_ocr_engine", "read_page"]


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
    """OCR with Tesseract through PyMuPDF (``Pixmap.pdfocr_tobytes`` of a rendering without
    table rulings, :func:`read_page`), keeping each word's position.

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
        if not hasattr(pymupdf.Pixmap, "pdfocr_tobytes"):
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
                    blocks, words = read_page(
                        doc.load_page(number - 1), language=language, tessdata=tessdata, dpi=self.dpi
                    )
                except Exception as exc:
                    raise OcrError(
                        f"Tesseract failed on page {number}: {exc}", details={"page": number}
                    ) from exc
                profile = font_profile_from_blocks([blocks])
                parsed = build_page(number, blocks, profile=profile)
                results.append(parsed.model_copy(update={"needs_ocr": False, "words": words}))
        return results


_DARK = bytes(1 if value < 128 else 0 for value in range(256))


def _rulings(
    pix: Any, fraction: float, max_thickness: int, min_length: int = 20
) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) pixel boxes of the thin horizontal strokes of a grayscale pixmap: dark
    runs at least ``fraction`` of its width and ``min_length`` pixels long, stacked over at most
    ``max_thickness`` rows.

    A table ruling is long and thin; a thick stack (the strokes of large or bold letters, a
    filled box) and a short one (a letter's stem on a small page) are left alone, so only lines
    are erased, never text.
    """
    width = pix.width
    shortest = max(min_length, int(width * fraction))
    rows: dict[int, list[tuple[int, int]]] = {}
    # bytes.find scans the whole buffer in C for runs at least `shortest` long (a regex is ten
    # times slower); a run that wraps past a row's end is cut there.
    binary, needle = pix.samples.translate(_DARK), b"\x01" * shortest
    position = binary.find(needle)
    while position != -1:
        start, end = position, binary.find(b"\x00", position + shortest)
        end = len(binary) if end == -1 else end
        position = binary.find(needle, end)
        while start < end:
            y, stop = start // width, min(end, (start // width + 1) * width)
            if stop - start >= shortest:
                rows.setdefault(y, []).append((start - y * width, stop - y * width))
            start = stop
    found: list[tuple[int, int, int, int]] = []
    #: Stacks of runs on consecutive rows, each [x0, y0, x1, y1] (y1: the last row one joined).
    growing: list[list[int]] = []

    def close(stacks: Iterable[list[int]]) -> None:
        found.extend((x0, y0, x1, y1) for x0, y0, x1, y1 in stacks if y1 - y0 < max_thickness)

    previous = -2
    for y in sorted(rows):
        if y != previous + 1:
            close(growing)
            growing = []
        extended: dict[int, list[int]] = {}
        for x0, x1 in rows[y]:
            stack = next((s for s in growing if s[0] < x1 and x0 < s[2]), None) or [x0, y, x1, y]
            stack[0], stack[2], stack[3] = min(stack[0], x0), max(stack[2], x1), y
            extended[id(stack)] = stack
        close(stack for stack in growing if id(stack) not in extended)
        growing, previous = list(extended.values()), y
    close(growing)
    return found


def _without_rulings(page: Any, dpi: int) -> Any:
    """A grayscale rendering of the page with its table rulings painted white.

    Tesseract reads text inside ruled cells badly (a grid line becomes "|" or swallows a row),
    so long, thin horizontal and vertical strokes are erased before OCR (the generated scanned
    invoice: 7 of 20 fields read right with the rulings, 20 without).
    """
    import pymupdf

    zoom = dpi / 72
    thickness = max(3, round(dpi * 2.5 / 72))  # lines up to 2.5 pt thick
    shortest = round(dpi * 24 / 72)  # and at least 24 pt long: longer than a letter's stem
    matrix = pymupdf.Matrix(zoom, zoom)
    gray = page.get_pixmap(matrix=matrix, colorspace=pymupdf.csGRAY, alpha=False)
    erase: list[Any] = [
        pymupdf.IRect(x0, y0 - 1, x1, y1 + 2) for x0, y0, x1, y1 in _rulings(gray, 0.08, thickness, shortest)
    ]
    rotation = pymupdf.Matrix(zoom, zoom).prerotate(90)
    turned = page.get_pixmap(matrix=rotation, colorspace=pymupdf.csGRAY, alpha=False)
    origin = (page.rect * rotation).irect.top_left
    back = ~rotation * matrix
    for x0, y0, x1, y1 in _rulings(turned, 0.03, thickness, shortest):
        rect = pymupdf.Rect(
            (pymupdf.Point(x0, y0) + origin) * back, (pymupdf.Point(x1, y1 + 1) + origin) * back
        )
        box = rect.normalize().irect
        erase.append(pymupdf.IRect(box.x0 - 1, box.y0, box.x1 + 2, box.y1))
    pix = pymupdf.Pixmap(pymupdf.csRGB, gray)
    for box in erase:
        pix.set_rect(box, (255, 255, 255))
    pix.set_dpi(dpi, dpi)
    return pix


def read_page(page: Any, *, language: str, tessdata: str, dpi: int = 300) -> tuple[list[Any], list[OcrWord]]:
    """Tesseract's reading of one page, rulings erased first: the page's text blocks (as
    ``get_text("dict")`` gives them, for the markdown) and its words, each box as fractions of
    the page (for extract's citations)."""
    import pymupdf

    rendering = _without_rulings(page, dpi)
    scanned = pymupdf.open("pdf", rendering.pdfocr_tobytes(language=language, tessdata=tessdata))
    with scanned:
        target = scanned[0]
        flags = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES
        blocks = target.get_text("dict", flags=flags, sort=True)["blocks"]
        width, height = target.rect.width or 1.0, target.rect.height or 1.0
        words = [
            (
                round(w[0] / width, 5),
                round(w[1] / height, 5),
                round(w[2] / width, 5),
                round(w[3] / height, 5),
                str(w[4]),
            )
            for w in target.get_text("words", sort=True)
            if str(w[4]).strip()
        ]
    return blocks, words


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
