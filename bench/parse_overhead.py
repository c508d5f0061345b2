"""How much the serverless pipeline costs over plain parsing, and whether parsing streams.

1. Time: a parse job on a generated 200-page PDF whose pages carry vector drawings like real
   documents (rules, framed boxes, a ruled table every other page) end to end (template.yaml
   deployed into moto in process, the real ASL: Upload → Parse → NeedsOcr → Chunk →
   VectorizeSkipped → Finish), against raw PyMuPDF ``page.get_text()`` of the same bytes (the
   engine's own limit) and against docjobs' parse + chunk code in process
   (``engines.pdf.iter_pages`` + ``chunking.chunk_pages``, no AWS). The three are alternated
   (raw, in process, pipeline; ``--runs`` rounds; medians). Targets: pipeline / in process
   <= 1.3 (the serverless overhead), in process / raw <= 5 (docjobs' own overhead).
2. Memory: the parse stage's peak for 10 and 1,000 pages (``iter_pages`` streaming each page to
   a spool file, as ``pipeline/stages/parse.py`` does), each size in a fresh subprocess: the Python heap
   peak (tracemalloc) and the process's resident-set growth (VmHWM of the fresh process, includes
   MuPDF's C heap). Target: 1,000 pages <= 1.5 x the 10-page figure.

Prints figures only; asserts nothing. Run from the project root: ``.venv/bin/python -m bench.parse_overhead``
(``--pages 200 --runs 3``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _document(pages: int, *, ruled: bool = True) -> bytes:
    from tests.sample_documents import large_pdf

    return large_pdf(pages, ruled=ruled)


# --------------------------------------------------------------------------- raw parsing


def raw_get_text(data: bytes) -> int:
    """Raw PyMuPDF: every page's ``get_text()``; returns the page count."""
    import pymupdf

    with pymupdf.open(stream=data, filetype="pdf") as doc:
        for page in doc:
            page.get_text()
        return int(doc.page_count)


def raw_parse_and_chunk(data: bytes, filename: str = "bench.pdf") -> tuple[int, int]:
    """(pages, chunks) from docjobs' parse + chunk code alone (no AWS)."""
    from docjobs.engines.chunking import ChunkingOptions, chunk_pages
    from docjobs.engines.pdf import iter_pages, open_document

    pages = 0

    def counted(doc: object) -> object:
        nonlocal pages
        for page in iter_pages(doc, detect_tables=True):  # type: ignore[arg-type]
            pages += 1
            yield page

    with open_document(data, filename=filename) as doc:
        chunks = sum(1 for _ in chunk_pages(counted(doc), ChunkingOptions()))  # type: ignore[arg-type]
    return pages, chunks


# --------------------------------------------------------------------------- end to end


class PipelineRunner:
    """template.yaml deployed into moto in process; ``run`` takes one parse job end to end."""

    def __enter__(self) -> PipelineRunner:
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_DEFAULT_REGION": "us-east-1",
                "OCR_ENGINE": "none",
                "POWERTOOLS_LOG_LEVEL": "WARNING",
            }
        )
        os.environ.pop("AWS_ENDPOINT_URL", None)
        from moto import mock_aws

        import docjobs.adapters.aws_clients
        import docjobs.core.settings
        from docjobs.adapters import api_keys
        from docjobs_local.emulator import MOTO_CONFIG, EmulatedStack

        self._mock = mock_aws(config=MOTO_CONFIG)
        self._mock.start()
        self.stack = EmulatedStack(
            ROOT / "template.yaml",
            parameters={"OcrEngine": "none", "LogLevel": "WARNING"},
            env_overrides={"POWERTOOLS_LOG_LEVEL": "WARNING"},
        ).deploy()
        docjobs.adapters.aws_clients.reset_clients()
        docjobs.core.settings.get_settings.cache_clear()
        key = api_keys.create_api_key("bench", name="bench")
        self.headers = {"Authorization": f"Bearer {key}"}
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.stack.close()
        finally:
            self._mock.stop()

    def run(self, data: bytes, options: dict[str, object] | None = None) -> tuple[float, dict[str, object]]:
        """Seconds from submission to the end of the execution, and the finished job."""
        stack = self.stack
        bucket = stack.physical_name("DocumentsBucket")
        machine = stack.state_machine_arn("ParseStateMachine")
        _, _, body = stack.api_request(
            "POST", "/api/documents", headers=self.headers, body={"filename": "bench.pdf"}
        )
        document_id = json.loads(body)["document_id"]
        stack.client("s3").put_object(
            Bucket=bucket, Key=f"documents/bench/{document_id}/bench.pdf", Body=data
        )
        started = time.perf_counter()
        submission: dict[str, object] = {"type": "parse", "document_id": document_id}
        if options:
            submission["options"] = options
        _, _, body = stack.api_request("POST", "/api/jobs", headers=self.headers, body=submission)
        job_id = json.loads(body)["id"]
        arn = machine.replace(":stateMachine:", ":execution:", 1) + ":" + job_id
        stack.wait_for_execution(arn, timeout=3600)
        seconds = time.perf_counter() - started
        _, _, body = stack.api_request("GET", f"/api/jobs/{job_id}", headers=self.headers)
        job = json.loads(body)
        self.last_history = stack.execution_history(arn)
        return seconds, {
            "status": job["status"],
            "stage": job["stage"],
            "error": job.get("error"),
            "pages": (job.get("metadata") or {}).get("pages"),
            "chunks": job["result"]["metadata"]["chunk_count"] if job.get("result") else None,
            "state_seconds": _state_seconds(self.last_history),
        }


def end_to_end(data: bytes, runs: int) -> tuple[list[float], dict[str, object]]:
    """``runs`` parse jobs of ``data`` through the state machine: their times and the last job."""
    times: list[float] = []
    last: dict[str, object] = {}
    with PipelineRunner() as runner:
        for _ in range(runs):
            seconds, last = runner.run(data)
            times.append(seconds)
    return times, last


def _state_seconds(history: list[dict[str, object]]) -> dict[str, float]:
    """Seconds spent in each Task state (entered → exited) of one execution."""
    entered: dict[str, object] = {}
    spent: dict[str, float] = {}
    for event in history:
        if event["type"] == "TaskStateEntered":
            entered[event["stateEnteredEventDetails"]["name"]] = event["timestamp"]  # type: ignore[index]
        elif event["type"] == "TaskStateExited":
            name = event["stateExitedEventDetails"]["name"]  # type: ignore[index]
            spent[name] = (event["timestamp"] - entered[name]).total_seconds()  # type: ignore[operator]
    return spent


# --------------------------------------------------------------------------- memory


def _vm_kb(field: str) -> int:
    """A ``/proc/self/status`` figure in KiB (VmHWM: peak RSS of this process image)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _memory_child(path: str) -> None:
    """In a fresh process: parse the file the way the parse stage does; print JSON."""
    import pymupdf  # noqa: F401 - imported before measuring: imports are not the stage's peak

    from docjobs.engines.pdf import iter_pages, open_document

    baseline_rss = _vm_kb("VmRSS")
    tracemalloc.start()
    count = 0
    with open_document(path, filename="bench.pdf") as doc, tempfile.TemporaryFile() as out:
        for page in iter_pages(doc, detect_tables=True):
            out.write(page.model_dump_json().encode() + b"\n")
            count += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = _vm_kb("VmHWM")
    result = {"pages": count, "tracemalloc_peak": peak, "rss_growth_kb": peak_rss - baseline_rss}
    print(json.dumps(result | {"rss_kb": peak_rss}))


def memory(pages: int) -> dict[str, int]:
    """Generate the document here (its generation must not count), parse it in a child."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as source:
        source.write(_document(pages))
        source.flush()
        out = subprocess.run(
            [sys.executable, "-m", "bench.parse_overhead", "--memory-child", source.name],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        _memory_child(args.memory_child)
        return

    data = _document(args.pages)
    print(f"document: {args.pages} pages with vector drawings, {len(data) / 1024:.0f} KiB")

    raw_times: list[float] = []
    inproc_times: list[float] = []
    e2e_times: list[float] = []
    job: dict[str, object] = {}
    pages = chunks = 0
    with PipelineRunner() as runner:
        for _ in range(args.runs):  # alternated: a slow neighbour hurts all three alike
            started = time.perf_counter()
            raw_get_text(data)
            raw_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            pages, chunks = raw_parse_and_chunk(data)
            inproc_times.append(time.perf_counter() - started)
            seconds, job = runner.run(data)
            e2e_times.append(seconds)
    raw, inproc, e2e = (statistics.median(t) for t in (raw_times, inproc_times, e2e_times))
    print(f"raw PyMuPDF get_text() : {raw:7.3f} s  ({pages / raw:6.0f} pages/s; median of {args.runs})")
    print(
        f"docjobs parse + chunk  : {inproc:7.3f} s  ({pages / inproc:6.0f} pages/s; {pages} pages, "
        f"{chunks} chunks)"
    )
    print(
        f"pipeline end to end    : {e2e:7.3f} s  ({pages / e2e:6.0f} pages/s; job {job['status']}, "
        f"{job['pages']} pages, {job['chunks']} chunks; runs {', '.join(f'{t:.2f}' for t in e2e_times)})"
    )
    states = job.get("state_seconds") or {}
    print("  time per stage (last run): " + ", ".join(f"{k} {v:.2f} s" for k, v in states.items()))  # type: ignore[union-attr]
    engine = inproc / raw
    overhead = e2e / inproc
    print(f"ratio parse+chunk / raw: {engine:7.2f}   (target <= 5: {'met' if engine <= 5 else 'NOT met'})")
    verdict = "met" if overhead <= 1.3 else "NOT met"
    print(f"ratio pipeline / parse : {overhead:7.2f}   (target <= 1.30: {verdict})")

    sizes = {n: memory(n) for n in (10, 100, 1000)}
    print("parse stage peak memory (iter_pages streamed to a spool file, fresh process per size):")
    for n, m in sizes.items():
        heap = m["tracemalloc_peak"] / 1024 / 1024
        growth = m["rss_growth_kb"] / 1024
        peak = m["rss_kb"] / 1024
        print(
            f"  {n:>5,} pages: Python heap peak {heap:6.2f} MiB, RSS growth while parsing {growth:6.1f} MiB, "
            f"process peak RSS {peak:6.1f} MiB"
        )
    small, large = sizes[10], sizes[1000]
    heap_ratio = large["tracemalloc_peak"] / max(1, small["tracemalloc_peak"])
    rss_ratio = large["rss_growth_kb"] / max(1, small["rss_growth_kb"])
    peak_ratio = large["rss_kb"] / max(1, small["rss_kb"])

    def verdict(ratio: float) -> str:
        return "met" if ratio <= 1.5 else "NOT met"

    print(
        f"  1,000 / 10 pages: Python heap x{heap_ratio:.2f}, RSS growth x{rss_ratio:.2f}, "
        f"process peak RSS x{peak_ratio:.2f} (target <= 1.5: heap {verdict(heap_ratio)}, "
        f"RSS growth {verdict(rss_ratio)}, peak {verdict(peak_ratio)})"
    )


if __name__ == "__main__":
    main()
