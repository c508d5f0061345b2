"""How often the rules engine gets a field exactly right, on the generated extract test set.

For every case of ``tests/extract_documents.py`` (an invoice, the same invoice scanned (OCR), an
AcroForm form, a two-column key-value sheet, a letter without the asked fields) the rules engine
extracts the case's schema and each expected leaf (a JSON Pointer, array items included) is
compared exactly with what came out (``null`` expected = nothing may be found). Also runs it on
the real PDFs given on the command line with an invoice-like schema and prints what was found,
for a look at behaviour on documents nobody tuned for.

Prints figures only; asserts nothing. ``.venv/bin/python -m bench.extract_accuracy [real.pdf ...]``
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def _extract(pdf: bytes, schema: dict[str, Any]) -> dict[str, Any]:
    import pymupdf

    from docjobs.engines.models import resolve_engine
    from docjobs.jobtypes.extract.extraction import run_extraction
    from docjobs.jobtypes.extract.options import ExtractOptions
    from tests.extract_documents import ocr_words

    with pymupdf.open(stream=pdf, filetype="pdf") as document:
        return run_extraction(
            document,
            ExtractOptions.model_validate({"schema": schema}),
            resolve_engine("rules", None),
            ocr_words=ocr_words(pdf),
        )


def main(argv: list[str]) -> None:
    from tests.extract_documents import CASES, HELD_OUT, INVOICE_SCHEMA, leaf_values

    for title, cases in (
        ("tuned-on set", CASES),
        ("later layouts (first scores before any change: B 18.8%, C 75.0%)", HELD_OUT),
    ):
        print(f"\n{title}")
        _score(cases)
    for path in argv:
        data = _extract(Path(path).read_bytes(), INVOICE_SCHEMA)["data"]
        found = {k: v for k, v in leaf_values(data).items() if v is not None}
        print(f"\n{path}: {len(found)} value(s) found\n{json.dumps(found, indent=1)[:1500]}")


def _score(cases: list[Any]) -> None:
    from tests.extract_documents import leaf_values

    right_all = total_all = 0
    print(f"{'case':18} {'right':>5} {'fields':>6} {'share':>6} {'seconds':>7}  wrong")
    for name, build, schema, expected in cases:
        started = time.perf_counter()
        data = _extract(build(), schema)["data"]
        seconds = time.perf_counter() - started
        want, got = leaf_values(expected), leaf_values(data)
        wrong = {path: got.get(path) for path, value in want.items() if got.get(path) != value}
        right = len(want) - len(wrong)
        right_all += right
        total_all += len(want)
        print(f"{name:18} {right:5d} {len(want):6d} {right / len(want):6.1%} {seconds:7.2f}  {wrong or ''}")
    print(f"{'all':18} {right_all:5d} {total_all:6d} {right_all / total_all:6.1%}")


if __name__ == "__main__":
    main(sys.argv[1:])
