"""How long splitting takes and whether its memory stays flat in the page count.

1. Parts: a 1,000-page PDF cut into 100 parts (``every_n_pages: 10``) the way the generating
   stage does it: the rule plan, then each part written with ``insert_pdf`` (outline and links
   kept) to a temporary file and dropped before the next. Against a 10-page PDF cut into 10
   parts. Each run in a fresh process: wall time, the Python heap peak (tracemalloc) and the
   process's resident-set growth and peak (VmHWM, includes MuPDF's C heap).
2. Categories: the rules engine over a 1,000-page and a 10-page ``pages.jsonl`` (what the
   parsing stage writes), streamed line by line as the extracting stage reads it.

Documents: generated (``tests.sample_documents.large_pdf``) and real (the largest PDF under
/usr/share/doc with at least 1,000 pages, cut to its first 1,000 and first 10 pages, and also
split whole as published into about 100 parts; install a Debian ``-doc`` package such as
texlive-latex-base-doc if there is none). Link-heavy pages (an index) are the slow part: PyMuPDF
lists a page's annotations once per link, which is why the split copies links itself.

Prints figures only; asserts nothing. Run from the project root:
``.venv/bin/python -m bench.split_parts``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = [
    {"name": "chapter", "keywords": ["chapter", "section"]},
    {"name": "reference", "description": "index and bibliography", "keywords": ["index", "references"]},
]


def _vm_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# --------------------------------------------------------------------------- children


def _split_child(path: str, every: int) -> dict[str, object]:
    import pymupdf

    from docjobs.jobtypes.split.materialize import iter_parts
    from docjobs.jobtypes.split.options import SplitOptions
    from docjobs.jobtypes.split.rules import plan_by_rules

    options = SplitOptions.model_validate({"every_n_pages": every})
    baseline = _vm_kb("VmRSS")
    tracemalloc.start()
    started = time.perf_counter()
    parts = written = 0
    with pymupdf.open(path) as doc, tempfile.TemporaryDirectory() as directory:
        plan = plan_by_rules(doc, options)
        for part in iter_parts(doc, plan, stem="bench", directory=directory):
            parts += 1
            written += part.size_bytes
    seconds = time.perf_counter() - started
    _, heap = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = _vm_kb("VmHWM")
    return {
        "parts": parts,
        "bytes": written,
        "seconds": seconds,
        "heap": heap,
        "rss_growth_kb": peak - baseline,
        "rss_kb": peak,
    }


def _categories_child(path: str, pages: int) -> dict[str, object]:
    from docjobs.jobtypes.split.categories import plan_by_categories
    from docjobs.jobtypes.split.cues import PageText
    from docjobs.jobtypes.split.options import SplitOptions

    options = SplitOptions.model_validate({"categories": CATEGORIES})
    baseline = _vm_kb("VmRSS")
    tracemalloc.start()
    started = time.perf_counter()
    with open(path, "rb") as rows:
        stream = (PageText.from_row(json.loads(line)) for line in rows if line.strip())
        plan = plan_by_categories(stream, pages, options)
    seconds = time.perf_counter() - started
    _, heap = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = _vm_kb("VmHWM")
    return {
        "parts": len(plan.segments),
        "seconds": seconds,
        "heap": heap,
        "rss_growth_kb": peak - baseline,
        "rss_kb": peak,
    }


def _run_child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.split_parts", "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


# --------------------------------------------------------------------------- documents


def _real_source() -> Path | None:
    import pymupdf

    best: tuple[int, Path] | None = None
    for path in Path("/usr/share/doc").rglob("*.pdf"):
        if path.stat().st_size < 2_000_000:
            continue
        try:
            with pymupdf.open(path) as doc:
                count = doc.page_count
        except Exception:
            continue
        if count >= 1000 and (best is None or path.stat().st_size > best[0]):
            best = (path.stat().st_size, path)
    return best[1] if best else None


def _first_pages(source: Path, pages: int, target: Path) -> None:
    import pymupdf

    with pymupdf.open(source) as doc, pymupdf.open() as out:
        out.insert_pdf(doc, from_page=0, to_page=pages - 1)
        toc = [entry for entry in doc.get_toc(simple=True) if 1 <= entry[2] <= pages]
        if toc:
            toc[0][0] = 1
            out.set_toc([[min(e[0], toc[i - 1][0] + 1) if i else 1, e[1], e[2]] for i, e in enumerate(toc)])
        out.save(target, garbage=3, deflate=True)


def _pages_file(pdf: Path, target: Path) -> int:
    from docjobs.engines.pdf import iter_pages, open_document

    count = 0
    with open_document(str(pdf), filename=pdf.name) as doc, target.open("wb") as out:
        for page in iter_pages(doc, detect_tables=False):
            out.write(page.model_dump_json().encode() + b"\n")
            count += 1
    return count


def _report(label: str, small: dict[str, float], large: dict[str, float]) -> None:
    mib = 1024 * 1024
    for name, f in (("10 pages", small), ("1,000 pages", large)):
        written = f", {f['bytes'] / mib:5.1f} MiB written" if "bytes" in f else ""
        print(
            f"  {label} {name:>11}: {int(f['parts']):>4} parts in {f['seconds']:6.2f} s{written}; "
            f"Python heap peak {f['heap'] / mib:5.2f} MiB, RSS growth {f['rss_growth_kb'] / 1024:5.1f} MiB, "
            f"process peak RSS {f['rss_kb'] / 1024:5.1f} MiB"
        )
    growth = large["rss_growth_kb"] / max(1.0, small["rss_growth_kb"])
    peak = large["rss_kb"] / max(1.0, small["rss_kb"])
    heap = large["heap"] / max(1.0, small["heap"])
    print(f"  {label} 1,000 / 10 pages: peak RSS x{peak:.2f}, RSS growth x{growth:.2f}, heap x{heap:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path, number = args.child
        result = _split_child(path, int(number)) if kind == "split" else _categories_child(path, int(number))
        print(json.dumps(result))
        return

    from tests.sample_documents import large_pdf

    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        documents: dict[str, dict[int, Path]] = {"generated": {}}
        for pages in (10, 1000):
            path = folder / f"generated-{pages}.pdf"
            path.write_bytes(large_pdf(pages))
            documents["generated"][pages] = path
        source = _real_source()
        if source is not None:
            documents[f"real ({source.name})"] = {}
            for pages in (10, 1000):
                path = folder / f"real-{pages}.pdf"
                _first_pages(source, pages, path)
                documents[f"real ({source.name})"][pages] = path
        else:
            print("no PDF of 1,000+ pages under /usr/share/doc: real-document figures skipped")

        print("split into parts (1,000 pages: every_n_pages 10 -> 100 parts; 10 pages: every_n_pages 1):")
        for label, paths in documents.items():
            size = paths[1000].stat().st_size / 1024 / 1024
            print(f" {label}: 1,000-page file {size:.1f} MiB")
            small = _run_child("split", str(paths[10]), "1")
            large = _run_child("split", str(paths[1000]), "10")
            _report(label, small, large)

        if source is not None:
            import math

            import pymupdf

            from docjobs.jobtypes.split.materialize import _annotation_xrefs

            with pymupdf.open(source) as doc:
                total = doc.page_count
                links = sum(len(_annotation_xrefs(doc, doc.page_xref(i))) for i in range(total))
            every = math.ceil(total / 100)
            whole = _run_child("split", str(source), str(every))
            print(
                f" {source.name} as published ({total:,} pages, {links:,} annotations): "
                f"every_n_pages {every} -> "
                f"{int(whole['parts'])} parts in {whole['seconds']:.2f} s, process peak RSS "
                f"{whole['rss_kb'] / 1024:.1f} MiB"
            )

        print("categories, rules engine, streaming the parsing stage's pages.jsonl:")
        for label, paths in documents.items():
            figures = {}
            for pages in (10, 1000):
                jsonl = folder / f"{label[:4]}-{pages}.jsonl"
                count = _pages_file(paths[pages], jsonl)
                figures[pages] = _run_child("categories", str(jsonl), str(count))
            _report(label, figures[10], figures[1000])


if __name__ == "__main__":
    main()
