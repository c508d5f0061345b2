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
