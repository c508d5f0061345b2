"""Behaviour of docjobs.engines.ocr: Tesseract through PyMuPDF, engine selection, failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from docjobs.core.errors import OcrError
from docjobs.engines.ocr import OcrEngine, TesseractEngine, find_tessdata, get_ocr_engine
from tests import sample_documents as samples

needs_tesseract = pytest.mark.skipif(
    not TesseractEngine().is_available(),
    reason="Tesseract language data not installed (apt-get install tesseract-ocr); CI installs it",
)


@needs_tesseract
def test_tesseract_reads_the_known_words_from_the_image_only_page() -> None:
    (page,) = TesseractEngine().ocr_pages(samples.image_only_pdf(), [1])
    assert page.page == 1
    assert samples.IMAGE_WORD in page.text
    assert page.needs_ocr is False
    assert page.char_count == len(page.text)


@needs_tesseract
def test_tesseract_returns_one_page_per_requested_page_in_request_order() -> None:
    pages = TesseractEngine(dpi=150).ocr_pages(samples.mixed_pdf(), [2, 1])
    assert [p.page for p in pages] == [2, 1]
    assert samples.IMAGE_WORD in pages[0].text
    assert "Part 1" in pages[1].text


@needs_tesseract
def test_unknown_language_raises_ocr_error_naming_it() -> None:
    with pytest.raises(OcrError, match="language data for xyz is not installed"):
        TesseractEngine().ocr_pages(samples.image_only_pdf(), [1], language="xyz")


@needs_tesseract
def test_page_out_of_range_raises_ocr_error() -> None:
    with pytest.raises(OcrError, match=r"Page 5 is out of range \(the document has 1 pages\)"):
        TesseractEngine().ocr_pages(samples.image_only_pdf(), [5])


@needs_tesseract
def test_bytes_that_are_not_a_pdf_raise_ocr_error() -> None:
    with pytest.raises(OcrError, match="Cannot open the PDF for OCR"):
        TesseractEngine().ocr_pages(b"not a pdf", [1])


@needs_tesseract
def test_get_ocr_engine_returns_tesseract_satisfying_the_protocol() -> None:
    engine = get_ocr_engine("tesseract")
    assert isinstance(engine, TesseractEngine)
    assert isinstance(engine, OcrEngine)
    assert engine.name == "tesseract"


def test_tessdata_prefix_environment_variable_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "eng.traineddata").write_bytes(b"x")
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    assert find_tessdata() == str(tmp_path)


def test_explicit_tessdata_without_language_files_is_not_usable(tmp_path: Path) -> None:
    engine = TesseractEngine(tessdata=str(tmp_path))
    assert not engine.is_available()
    with pytest.raises(OcrError, match="OCR engine 'tesseract' is not available: no Tesseract language data"):
        engine.ocr_pages(samples.image_only_pdf(), [1])


def test_none_engine_is_not_available() -> None:
    with pytest.raises(OcrError, match="OCR engine 'none' is not available: OCR is disabled"):
        get_ocr_engine("none")


def test_unknown_engine_is_not_available() -> None:
    with pytest.raises(OcrError, match="OCR engine 'abbyy' is not available: unknown engine"):
        get_ocr_engine("abbyy")


def test_textract_engine_is_imported_lazily_and_has_the_right_name() -> None:
    engine = get_ocr_engine("textract")
    assert engine.name == "textract"
    assert type(engine).__module__ == "docjobs.engines.textract_ocr"


@needs_tesseract
def test_tesseract_keeps_each_word_with_its_box_as_fractions_of_the_page() -> None:
    (page,) = TesseractEngine().ocr_pages(samples.image_only_pdf(), [1])
    assert [w[4] for w in page.words or []] == samples.IMAGE_WORD.split()
    for x0, y0, x1, y1, _ in page.words or []:
        # The image is drawn at (72, 72)-(472, 152) on a 595 x 842 page.
        assert 72 / 595 - 0.01 <= x0 < x1 <= 472 / 595 + 0.01
        assert 72 / 842 - 0.01 <= y0 < y1 <= 152 / 842 + 0.01


def test_only_thin_long_strokes_count_as_rulings() -> None:
    """A 2 px line is a ruling; a 40 px bar (a large letter's stroke, a filled box) and a short
    dash are not, so OCR never loses text to the ruling eraser."""
    import pymupdf

    from docjobs.engines.ocr import _rulings

    pix = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 1000, 300), False)
    pix.clear_with(255)
    pix.set_rect(pymupdf.IRect(100, 50, 900, 52), (0,))  # thin and long: a ruling
    pix.set_rect(pymupdf.IRect(100, 100, 900, 140), (0,))  # thick
    pix.set_rect(pymupdf.IRect(100, 200, 150, 202), (0,))  # thin but short
    assert _rulings(pix, 0.08, max_thickness=10) == [(100, 50, 900, 51)]
