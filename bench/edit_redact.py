"""Time to redact 3 regular-expression patterns across a 200-page document with an edit job's
engine (``docjobs.jobtypes.edit.editor.apply_edits``: read each page's characters, match, apply
PyMuPDF redactions, write the output, then the verification that reopens it and searches again).

Two documents: a generated 200-page PDF where every page carries an e-mail address, an invoice
number and an SSN-like number (3 hits per page), and the first 200 pages of a real PDF found under
/usr/share/doc (the largest one with at least 200 pages), with patterns that hit it often.

Prints figures only; asserts nothing. Run from the project root:
``.venv/bin/python -m bench.edit_redact`` (``--pages 200 --runs 3``).
"""

from __future__ import annotations

import argparse
import glob
import statistics
import time
from typing import Any

import pymupdf

from docjobs.jobtypes.edit import editor
from docjobs.jobtypes.edit.options import parse_edit_options

GENERATED_PATTERNS = [r"[\w.+-]+@[\w-]+\.[a-z]{2,}", r"INV-\d{6}", r"\b\d{3}-\d{2}-\d{4}\b"]
REAL_PATTERNS = [r"\b\d+\.\d+\b", r"\bset\s+\w+", r"https?://\S+"]


def generated_pdf(pages: int) -> bytes:
    from tests.sample_documents import large_pdf

    doc = pymupdf.open(stream=large_pdf(pages), filetype="pdf")
    for n, page in enumerate(doc):
        page.insert_text(
            (72, 780),
            f"Contact clerk{n}@example.com about INV-{n:06d}; file 123-45-{n % 10000:04d}.",
            fontsize=10,
        )
    data: bytes = doc.tobytes(garbage=1)
    return data


def real_pdf(pages: int) -> tuple[str, bytes] | None:
    candidates = []
    for path in glob.glob("/usr/share/doc/**/*.pdf", recursive=True):
        try:
            with pymupdf.open(path) as doc:
                if doc.page_count >= pages and not doc.needs_pass:
                    candidates.append((doc.page_count, path))
        except (RuntimeError, ValueError):
            continue
    if not candidates:
        return None
    _, path = min(candidates)  # the smallest document that has enough pages
    with pymupdf.open(path) as doc:
        doc.select(list(range(pages)))
        return path, doc.tobytes(garbage=1)


def time_redaction(data: bytes, patterns: list[str], runs: int) -> dict[str, Any]:
    options = parse_edit_options({"operations": [{"op": "redact", "patterns": patterns}]})
    seconds, cpu_seconds, verify_seconds = [], [], []
    result = None
    real_verify = editor.verify

    def timed_verify(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return real_verify(*args, **kwargs)
        finally:
            verify_seconds.append(time.perf_counter() - began)

    editor.verify = timed_verify  # type: ignore[assignment]
    try:
        for _ in range(runs):
            began, began_cpu = time.perf_counter(), time.process_time()
            result = editor.apply_edits(data, options, filename="bench.pdf")
            seconds.append(time.perf_counter() - began)
            cpu_seconds.append(time.process_time() - began_cpu)
    finally:
        editor.verify = real_verify  # type: ignore[assignment]
    assert result is not None
    report = result.operations[0]
    return {
        "median_s": round(statistics.median(seconds), 2),
        "runs_s": [round(s, 2) for s in seconds],
        "cpu_median_s": round(statistics.median(cpu_seconds), 2),
        "verification_s": round(statistics.median(verify_seconds), 2),
        "hits": report["hits"],
        "pages_with_hits": len(report["pages"]),
        "verified": result.verification.passed,
        "input_bytes": len(data),
        "output_bytes": len(result.pdf),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    print(f"redact 3 patterns across {args.pages} pages (apply + write + verify), {args.runs} runs")
    figures = time_redaction(generated_pdf(args.pages), GENERATED_PATTERNS, args.runs)
    print(f"  generated PDF, patterns {GENERATED_PATTERNS}:\n    {figures}")
    real = real_pdf(args.pages)
    if real is None:
        print("  no PDF with enough pages under /usr/share/doc (install a -doc package)")
        return
    path, data = real
    figures = time_redaction(data, REAL_PATTERNS, args.runs)
    print(f"  {path} (first {args.pages} pages), patterns {REAL_PATTERNS}:\n    {figures}")


if __name__ == "__main__":
    main()
