"""Parsing speed and quality on real manuals (PDFs shipped by Debian's documentation packages).

For each PDF of a fixed list under /usr/share/doc (``--install`` installs the Debian packages
that hold the missing ones; ``make bench`` does it when run as root):

- pages/s of raw PyMuPDF ``page.get_text()`` (the engine's own limit);
- pages/s of docjobs' parse + chunk code path (``iter_pages`` + ``chunk_pages``) with table
  detection on (the default) and off;
- pages/s of pymupdf4llm's ``to_markdown`` (a peer that also finds tables and headings);
- table recall against PyMuPDF's table finder run on every page (the "full finder"): the share
  of the finder's tables (>= 2 rows, >= 2 columns, some text) that docjobs emits as a markdown
  table on the same page (>= 90 % of the table's letters and digits), and the share of all
  their letters and digits (compared as multisets: the finder itself cuts characters at cell
  borders);
- heading recall against the document outline: the share of outline titles that appear
  (loosely matched, with or without a leading section number such as "7.1.2" or "Chapter 2:")
  in some chunk's ``heading_path``.

The sides are alternated (raw, tables on, tables off, peer; ``--runs`` rounds), each timed in
CPU seconds of this process, and each side's fastest round counts: on a shared machine other
load only ever adds time (wall-clock medians moved by 2x between runs), and every side runs in
this one thread, so its CPU time is its cost.
Finally one parse job on the largest file runs through the real state machine (moto, in
process) and its whole time is printed. The full finder's results are cached per file under
``~/.cache/docjobs-bench`` (they cost minutes on big manuals). Prints one table; asserts nothing.

Run from the project root: ``.venv/bin/python -m bench.parse_real`` (``--runs 3``,
``--only valgrind``, ``--no-peer``, ``--no-pipeline``, ``--install``).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "docjobs-bench"

#: (path under /usr/share/doc, Debian package that ships it). Manuals of different makers
#: (DocBook, texinfo, LaTeX), with and without outlines and tables.
REAL_PDFS: list[tuple[str, str]] = [
    ("zlib1g-dev/crc-doc.1.0.pdf.gz", "zlib1g-dev"),
    ("bzip2/manual.pdf.gz", "bzip2-doc"),
    ("libtasn1-doc/libtasn1.pdf", "libtasn1-doc"),
    ("shared-mime-info/shared-mime-info-spec.pdf", "shared-mime-info"),
    ("fontconfig/fontconfig-user.pdf.gz", "fontconfig"),
    ("nettle-dev/nettle.pdf.gz", "nettle-dev"),
    ("texlive-doc/latex/base/usrguide.pdf", "texlive-latex-base-doc"),
    ("texlive-doc/latex/base/clsguide.pdf", "texlive-latex-base-doc"),
    ("texlive-doc/latex/base/fntguide.pdf", "texlive-latex-base-doc"),
    ("texlive-doc/latex/base/cyrguide.pdf", "texlive-latex-base-doc"),
    ("texlive-doc/latex/amsmath/amsldoc.pdf", "texlive-latex-base-doc"),
    ("texlive-doc/latex/tools/longtable.pdf", "texlive-latex-base-doc"),
    ("texlive-doc/latex/tools/tabularx.pdf", "texlive-latex-base-doc"),
    ("valgrind/valgrind_manual.pdf.gz", "valgrind"),
    ("gnuplot/gnuplot.pdf", "gnuplot-doc"),
    ("texlive-doc/latex/l3kernel/interface3.pdf", "texlive-latex-base-doc"),
]
DOC_ROOT = Path("/usr/share/doc")


def _candidates(relative: str) -> list[Path]:
    path = DOC_ROOT / relative
    alternatives = [path]
    if relative.endswith(".gz"):
        alternatives.append(path.with_suffix(""))
    else:
        alternatives.append(path.with_name(path.name + ".gz"))
    return alternatives


def find_pdf(relative: str) -> Path | None:
    return next((p for p in _candidates(relative) if p.is_file()), None)


def install_missing() -> None:
    """apt-get install the packages of the PDFs that are missing (root on Debian only)."""
    missing = sorted({package for relative, package in REAL_PDFS if find_pdf(relative) is None})
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"missing documentation packages (install as root): {' '.join(missing)}", file=sys.stderr)
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=600"]
    if subprocess.run([*command, *missing], env=env, capture_output=True, check=False).returncode:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run([*command, *missing], env=env, check=False)


def load_pdf(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


# --------------------------------------------------------------------------- the sides


def raw_get_text(data: bytes) -> int:
    import pymupdf

    with pymupdf.open(stream=data, filetype="pdf") as doc:
        for page in doc:
            page.get_text()
        return int(doc.page_count)


@dataclass
class DocjobsRun:
    pages: list[Any] = field(default_factory=list)
    chunks: list[Any] = field(default_factory=list)


def docjobs_parse(data: bytes, *, detect_tables: bool) -> DocjobsRun:
    from docjobs.engines.chunking import ChunkingOptions, chunk_pages
    from docjobs.engines.pdf import iter_pages, open_document

    run = DocjobsRun()

    def kept(doc: Any) -> Iterable[Any]:
        for page in iter_pages(doc, detect_tables=detect_tables):
            run.pages.append(page)
            yield page

    with open_document(data, filename="manual.pdf") as doc:
        run.chunks = list(chunk_pages(kept(doc), ChunkingOptions()))
    return run


def peer_to_markdown(data: bytes) -> int:
    import pymupdf
    import pymupdf4llm

    with pymupdf.open(stream=data, filetype="pdf") as doc:
        pymupdf4llm.to_markdown(doc, show_progress=False)
        return int(doc.page_count)


def timed(action: Callable[[], object]) -> tuple[float, object]:
    """CPU seconds of this process spent in ``action`` (all sides run in this one thread)."""
    started = time.process_time()
    result = action()
    return time.process_time() - started, result


# --------------------------------------------------------------------------- tables

_ALNUM = re.compile(r"[^0-9a-z]+")


def _key(text: object) -> str:
    return _ALNUM.sub("", str(text or "").casefold())


def full_finder_tables(data: bytes) -> list[dict[str, Any]]:
    """PyMuPDF's table finder on every page: ``[{page, bbox, cells: [non-empty cell keys]}]``.

    Kept like docjobs keeps them (>= 2 rows, >= 2 columns, some text). Cached per file.
    """
    import pymupdf

    digest = hashlib.sha256(data).hexdigest()[:20]
    cached = CACHE / f"tables-{pymupdf.VersionBind}-{digest}.json"
    if cached.is_file():
        return list(json.loads(cached.read_text()))
    tables: list[dict[str, Any]] = []
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        for page in doc:
            for table in page.find_tables().tables:
                rows = table.extract()
                cells = [_key(c) for row in rows for c in row if _key(c)]
                if len(rows) < 2 or max((len(r) for r in rows), default=0) < 2 or not cells:
                    continue
                tables.append({"page": page.number + 1, "bbox": list(table.bbox), "cells": cells})
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(tables))
    return tables


_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def markdown_table_cells(text: str) -> list[list[str]]:
    """The cells (as keys) of each markdown table in a page's text."""
    tables: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("|") and line.endswith("|"):
            if current is None:
                current = []
                tables.append(current)
            if set(line) <= set("|-: "):
                continue
            current.extend(k for k in (_key(c.replace("\\", "")) for c in _CELL_SPLIT.split(line)) if k)
        else:
            current = None
    return tables


def table_recall(reference: list[dict[str, Any]], pages: list[Any]) -> tuple[float | None, float | None]:
    """(table recall, text recall) of docjobs' page texts against the full finder's tables.

    Text is compared as a multiset of letters and digits: the finder itself cuts characters at
    cell borders and moves them between cells, so cell-by-cell equality would count docjobs'
    whole-word cells as misses. A table is found when one markdown table on its page holds
    >= 90 % of its characters.
    """
    if not reference:
        return None, None
    emitted: dict[int, list[Counter[str]]] = {
        p.page: [Counter("".join(cells)) for cells in markdown_table_cells(p.text)] for p in pages
    }
    found_tables = 0
    found_chars = 0
    total_chars = 0
    for table in reference:
        wanted = Counter("".join(table["cells"]))
        size = sum(wanted.values())
        best = max((sum((wanted & got).values()) for got in emitted.get(table["page"], [])), default=0)
        total_chars += size
        found_chars += best
        if best >= 0.9 * size:
            found_tables += 1
    return found_tables / len(reference), found_chars / max(1, total_chars)


# --------------------------------------------------------------------------- headings


def outline_titles(data: bytes) -> list[str]:
    import pymupdf

    with pymupdf.open(stream=data, filetype="pdf") as doc:
        return [str(entry[1]) for entry in doc.get_toc(simple=True) if str(entry[1]).strip()]


def _loose_match(title: str, heading: str) -> bool:
    if not title or not heading:
        return False
    if title == heading:
        return True
    short, long = sorted((title, heading), key=len)
    return short in long and len(short) >= 0.6 * len(long)


#: A section number or label at the start of a heading ("7.1.2.3 SM3", "Chapter 2: Copyright"):
#: outlines often leave it out of the title.
_SECTION_LABEL = re.compile(
    r"^\s*(?:(?:chapter|section|part|appendix|annex|\u00a7)\s*)?(?:\d+|[a-z]|[ivxlcdm]+)?(?:[.\-]\d+)*[.:)]?\s+(?=\S)",
    re.IGNORECASE,
)


def heading_recall(titles: list[str], chunks: list[Any]) -> float | None:
    if not titles:
        return None
    paths = {h for chunk in chunks for h in chunk.heading_path}
    headings = {_key(h) for h in paths} | {_key(_SECTION_LABEL.sub("", h, count=1)) for h in paths}
    headings.discard("")
    found = 0
    for title in titles:
        key = _key(title)
        if key in headings or any(_loose_match(key, h) for h in headings):
            found += 1
    return found / len(titles)


# --------------------------------------------------------------------------- main


@dataclass
class Row:
    name: str
    pages: int
    raw: float
    tables_on: float
    tables_off: float
    peer: float | None
    table_recall: float | None
    cell_recall: float | None
    reference_tables: int
    headings: float | None
    chunks: int


def measure(path: Path, runs: int, peer: bool | int) -> Row:
    data = load_pdf(path)
    times: dict[str, list[float]] = {"raw": [], "on": [], "off": [], "peer": []}
    pages = 0
    on_run = DocjobsRun()
    if peer is not True and peer:
        with_pages = raw_get_text(data)
        peer = with_pages <= peer  # the peer only on documents up to --peer-max-pages pages
    for _ in range(runs):
        seconds, count = timed(lambda: raw_get_text(data))
        times["raw"].append(seconds)
        pages = int(count)  # type: ignore[call-overload]
        seconds, result = timed(lambda: docjobs_parse(data, detect_tables=True))
        times["on"].append(seconds)
        on_run = result  # type: ignore[assignment]
        seconds, _ = timed(lambda: docjobs_parse(data, detect_tables=False))
        times["off"].append(seconds)
        if peer:
            seconds, _ = timed(lambda: peer_to_markdown(data))
            times["peer"].append(seconds)
    reference = full_finder_tables(data)
    tables, cells = table_recall(reference, on_run.pages)

    def rate(key: str) -> float:
        return pages / min(times[key])

    return Row(
        name=f"{path.parent.name}/{path.name.removesuffix('.gz')}",
        pages=pages,
        raw=rate("raw"),
        tables_on=rate("on"),
        tables_off=rate("off"),
        peer=rate("peer") if times["peer"] else None,
        table_recall=tables,
        cell_recall=cells,
        reference_tables=len(reference),
        headings=heading_recall(outline_titles(data), on_run.chunks),
        chunks=len(on_run.chunks),
    )


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _header() -> str:
    return (
        f"{'document':30} {'pages':>5} {'raw p/s':>8} {'tables on':>9} {'x raw':>6} {'off p/s':>8} "
        f"{'4llm p/s':>8} {'tables':>6} {'tbl rec':>7} {'text rec':>8} {'head rec':>8} {'chunks':>6}"
    )


def _line(r: Row) -> str:
    return (
        f"{r.name[:30]:30} {r.pages:5d} {r.raw:8.0f} {r.tables_on:9.1f} {r.raw / r.tables_on:6.1f} "
        f"{r.tables_off:8.1f} {_fmt(r.peer, '8.1f'):>8} {r.reference_tables:6d} "
        f"{_fmt(r.table_recall, '7.2f'):>7} {_fmt(r.cell_recall, '8.2f'):>8} "
        f"{_fmt(r.headings, '8.2f'):>8} {r.chunks:6d}"
    )


def print_summary(rows: list[Row]) -> None:
    pages = sum(r.pages for r in rows)
    on = pages / sum(r.pages / r.tables_on for r in rows)
    raw = pages / sum(r.pages / r.raw for r in rows)
    print(
        f"{'all (page-weighted)':30} {pages:5d} {raw:8.0f} {on:9.1f} {raw / on:6.1f}   "
        f"target: tables on >= 100 p/s and <= 5x raw; table recall >= 0.95; heading recall >= 0.9"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1, help="alternated rounds per file (fastest counts)")
    parser.add_argument("--only", action="append", default=[], help="substring of the file names to keep")
    parser.add_argument("--no-peer", action="store_true", help="skip pymupdf4llm")
    parser.add_argument(
        "--peer-max-pages", type=int, default=0, help="pymupdf4llm only up to this many pages"
    )
    parser.add_argument("--no-pipeline", action="store_true", help="skip the state-machine run")
    parser.add_argument("--install", action="store_true", help="apt-get install missing doc packages")
    args = parser.parse_args()
    if args.install:
        install_missing()

    paths: list[Path] = []
    for relative, package in REAL_PDFS:
        path = find_pdf(relative)
        if path is None:
            print(f"skipped (not installed; package {package}): /usr/share/doc/{relative}", file=sys.stderr)
        elif not args.only or any(s in relative for s in args.only):
            paths.append(path)
    if not paths:
        print("no real PDFs found: run with --install as root", file=sys.stderr)
        return
    peer = not args.no_peer
    if peer:
        try:
            import pymupdf4llm  # noqa: F401
        except ImportError:
            print("pymupdf4llm is not installed: peer column skipped", file=sys.stderr)
            peer = False

    rows: list[Row] = []
    print(_header())
    print("-" * len(_header()), flush=True)
    for path in paths:
        row = measure(path, args.runs, args.peer_max_pages if peer and args.peer_max_pages else peer)
        rows.append(row)
        print(_line(row), flush=True)
    print_summary(rows)
    print(f"(pages per CPU second of this process; fastest of {args.runs} alternated rounds)")

    if not args.no_pipeline:
        largest = paths[max(range(len(rows)), key=lambda i: rows[i].pages)]
        from bench.parse_overhead import end_to_end

        with contextlib.redirect_stdout(io.StringIO()):  # the functions' metric lines (EMF)
            seconds, job = end_to_end(load_pdf(largest), 1)
        states = job.get("state_seconds") or {}
        print(
            f"whole pipeline (state machine, tables on) for {largest.name}: {seconds[0]:.1f} s, "
            f"job {job['status']}, {job['pages']} pages, {job['chunks']} chunks; "
            + ", ".join(f"{k} {v:.1f} s" for k, v in states.items())  # type: ignore[union-attr]
        )


if __name__ == "__main__":
    main()
