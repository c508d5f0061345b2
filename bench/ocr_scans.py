"""OCR of scanned pages: docjobs' Tesseract reading against PyMuPDF's own full-page OCR.

Scans are made from pages nobody here wrote: pages of Debian's real manuals (tables among them:
crc-doc, longtable, tabularx), each rendered at 200 dpi and put back as an image-only page, plus
the generated scanned invoice (a ruled table). For each document two readings alternate, timed
in CPU seconds of this process (the fastest of ``--runs`` rounds counts):

- docjobs: ``docjobs.engines.ocr.read_page``, what the OCR stage runs. Table rulings are erased
  first, and the words are kept with their boxes so that extract reads each page once.
- pymupdf: ``Page.get_textpage_ocr(full=True, dpi=300)``, the library's own OCR of a page.

Word recall is the share of the original page's words (letters and digits, two or more, as a
multiset) that the reading found. Prints one table; asserts nothing.

    .venv/bin/python -m bench.ocr_scans [--runs 2]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Real manuals and the pages scanned from each (0-based).
SCANNED_PAGES: list[tuple[str, list[int]]] = [
    ("zlib1g-dev/crc-doc.1.0.pdf.gz", [3, 5]),
    ("texlive-doc/latex/tools/longtable.pdf", [2, 6]),
    ("texlive-doc/latex/tools/tabularx.pdf", [1, 3]),
    ("libtasn1-doc/libtasn1.pdf", [5, 12]),
    ("shared-mime-info/shared-mime-info-spec.pdf", [3, 8]),
    ("gnuplot/gnuplot.pdf", [20, 120]),
]
SCAN_DPI = 200


def scan(data: bytes, pages: list[int]) -> tuple[bytes, list[str]]:
    """An image-only PDF of the given pages, and each page's text-layer text (the truth)."""
    import pymupdf

    source = pymupdf.open(stream=data, filetype="pdf")
    out = pymupdf.open()
    truth = []
    for number in pages:
        page = source[min(number, source.page_count - 1)]
        truth.append(page.get_text())
        picture = page.get_pixmap(dpi=SCAN_DPI, alpha=False)
        target = out.new_page(width=page.rect.width, height=page.rect.height)
        target.insert_image(target.rect, stream=picture.tobytes("png"))
    return out.tobytes(), truth


def real_scans() -> Iterator[tuple[str, bytes, list[str]]]:
    """(file name, image-only PDF, each page's original text) for the installed manuals."""
    from bench.parse_real import find_pdf, load_pdf

    for relative, pages in SCANNED_PAGES:
        path = find_pdf(relative)
        if path is None:
            print(f"skipped (not installed): /usr/share/doc/{relative}", file=sys.stderr)
            continue
        data, truth = scan(load_pdf(path), pages)
        yield path.name, data, truth


def _words(text: str) -> Counter[str]:
    return Counter(re.findall(r"[A-Za-z0-9]{2,}", text))


def recall(truth: str, found: str) -> float:
    expected = _words(truth)
    return sum((expected & _words(found)).values()) / max(1, sum(expected.values()))


def docjobs_reading(data: bytes, tessdata: str) -> list[str]:
    import pymupdf

    from docjobs.engines.ocr import read_page

    with pymupdf.open(stream=data, filetype="pdf") as doc:
        return [" ".join(w[4] for w in read_page(page, language="eng", tessdata=tessdata)[1]) for page in doc]


def pymupdf_reading(data: bytes, tessdata: str) -> list[str]:
    import pymupdf

    flags = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES
    texts = []
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        for page in doc:
            textpage = page.get_textpage_ocr(
                flags=flags, language="eng", dpi=300, full=True, tessdata=tessdata
            )
            texts.append(page.get_text("text", textpage=textpage))
    return texts


def timed(read: Callable[[bytes, str], list[str]], data: bytes, tessdata: str) -> tuple[float, list[str]]:
    started = time.process_time()
    texts = read(data, tessdata)
    return time.process_time() - started, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from docjobs.engines.ocr import find_tessdata
    from tests import extract_documents

    tessdata = find_tessdata()
    if tessdata is None:
        sys.exit("no Tesseract language data (Debian: apt-get install tesseract-ocr-eng)")
    cases = list(real_scans())
    invoice_truth = scan(extract_documents.invoice_pdf(), [0])[1]
    cases.append(("scanned invoice (generated)", extract_documents.scanned_invoice_pdf(), invoice_truth))

    sides = f"{'docjobs s/page':>15} {'recall':>7} {'pymupdf s/page':>15} {'recall':>7}"
    print(f"{'document':30} {'pages':>5} {sides}")
    for name, data, truth in cases:
        ours: tuple[float, list[str]] = (float("inf"), [])
        theirs: tuple[float, list[str]] = (float("inf"), [])
        for _ in range(args.runs):  # alternated: a change in the machine's load hits both sides
            ours = min(ours, timed(docjobs_reading, data, tessdata), key=lambda r: r[0])
            theirs = min(theirs, timed(pymupdf_reading, data, tessdata), key=lambda r: r[0])
        n = len(truth)
        mean = [sum(recall(t, f) for t, f in zip(truth, side[1], strict=True)) / n for side in (ours, theirs)]
        print(f"{name:30} {n:5} {ours[0] / n:15.2f} {mean[0]:7.3f} {theirs[0] / n:15.2f} {mean[1]:7.3f}")
    print(f"(CPU seconds per page, fastest of {args.runs} alternated rounds; recall: the page's words found)")


if __name__ == "__main__":
    main()
