"""The tessdata layer: built by its Makefile (as `sam build` runs it), its files let PyMuPDF's
built-in Tesseract read a scanned page (the language data is architecture-independent, so the
arm64 build ships the same files)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from docjobs.engines.ocr import TesseractEngine
from tests import sample_documents as samples

LAYER = Path(__file__).resolve().parents[2] / "layers" / "tessdata"


def test_the_built_layer_has_english_and_ocrs_a_scanned_page(tmp_path: Path) -> None:
    build = subprocess.run(
        ["make", "-s", "-C", str(LAYER), "build-TessdataLayer", f"ARTIFACTS_DIR={tmp_path}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    tessdata = tmp_path / "tessdata"
    assert (tessdata / "eng.traineddata").stat().st_size > 1_000_000

    (page,) = TesseractEngine(tessdata=str(tessdata)).ocr_pages(samples.image_only_pdf(), [1])
    assert samples.IMAGE_WORD in page.text
