"""Redaction of scanned pages: how much of what a redaction asks for is gone from real scans.

The scans are bench.ocr_scans's: pages of Debian's real manuals rendered at 200 dpi and put
back as image-only pages. Each is OCR'd as the OCR stage does it (Tesseract, words kept with
their boxes), then redacted by an edit job's engine (``apply_edits`` with those OCR readings)
for every number (a pattern) and the strings "the" and "and" (text: anywhere in a word, any
case). Per document it prints:

- asked: the matches in the original page's text layer (what a reader of the scan sees);
- found: the matches the redaction found in the OCR'd words (and removed from the image);
- left: the matches a second OCR still reads in the redacted output;
- seconds: CPU time of the redaction alone (the OCR is the OCR stage's cost: bench.ocr_scans).

Prints figures only; asserts nothing. ``.venv/bin/python -m bench.redact_scans``
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OPERATION: dict[str, Any] = {"op": "redact", "patterns": [r"\b\d+\b"], "text": ["the", "and"]}
#: What OPERATION asks for, as the edit engine matches it (text items: anywhere, any case).
_ASKED = re.compile(r"\b\d+\b|the|and", re.IGNORECASE)


def _readings(pdf: bytes) -> dict[int, Any]:
    import pymupdf

    from docjobs.engines.ocr import TesseractEngine
    from docjobs.jobtypes.edit.redaction import OcrReading

    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        numbers = list(range(1, doc.page_count + 1))
    pages = TesseractEngine().ocr_pages(pdf, numbers)
    return {page.page - 1: OcrReading(page.text, tuple(page.words or ())) for page in pages}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.ocr_scans import real_scans
    from docjobs.engines.ocr import find_tessdata
    from docjobs.jobtypes.edit.editor import apply_edits
    from docjobs.jobtypes.edit.options import parse_edit_options

    if find_tessdata() is None:
        sys.exit("no Tesseract language data (Debian: apt-get install tesseract-ocr-eng)")
    options = parse_edit_options({"operations": [OPERATION], "ocr": "auto"})
    print(f"{'document':30} {'pages':>5} {'asked':>6} {'found':>6} {'left':>5} {'seconds':>8}")
    totals = [0, 0, 0]
    for name, pdf, truth in real_scans():
        asked = sum(len(_ASKED.findall(text)) for text in truth)
        readings = _readings(pdf)
        started = time.process_time()
        result = apply_edits(pdf, options, filename=name, ocr=readings)
        seconds = time.process_time() - started
        found = int(result.operations[0]["hits_in"]["scanned_text"])
        left = sum(len(_ASKED.findall(reading.text)) for reading in _readings(result.pdf).values())
        totals = [totals[0] + asked, totals[1] + found, totals[2] + left]
        print(f"{name:30} {len(truth):5} {asked:6} {found:6} {left:5} {seconds:8.2f}")
    print(f"{'all':30} {'':5} {totals[0]:6} {totals[1]:6} {totals[2]:5}")
    print(
        "(asked: matches in the original text layer; found: removed through the OCR words; left: read again)"
    )


if __name__ == "__main__":
    main()
