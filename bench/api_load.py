"""Load the local API at a fixed concurrency (127.0.0.1 only), in two phases:

* idle: N jobs are created and end first; then list/get requests (the API alone);
* busy: the same clients also submit and cancel jobs (POST + DELETE) while a feeder keeps
  ``--running`` parse pipelines going the whole time (the API while the service works).

    python -m bench.api_load                 # starts the local server (throttling off) and stops it
    python -m bench.api_load --url http://127.0.0.1:3000 --key dj_...

Prints p50, p99 and max per phase and per request kind, and the error count. Bounded:
--requests (max 10,000) and --max-seconds per phase.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from tests.sample_documents import multi_page_pdf

ROOT = Path(__file__).resolve().parents[1]
BENCH_KEY = "dj_bench-key-0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, url: str, key: str) -> None:
        parts = urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise SystemExit("api_load only targets 127.0.0.1")
        self.host, self.port, self.key = parts.hostname, parts.port or 80, key
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.key}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def start_server() -> tuple[subprocess.Popen, str]:
    info = Path(tempfile.mkdtemp()) / "info.json"
    env = {**os.environ, "DOCJOBS_API_KEY": BENCH_KEY, "PORT": str(_free_port())}
    env.pop("AWS_ENDPOINT_URL", None)
    env.pop("MOTO_PORT", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "docjobs_local.server", "--quiet", "--no-throttle", "--info-file", str(info)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.monotonic()
    while not info.exists():
        if proc.poll() is not None or time.monotonic() - started > 90:
            proc.kill()
            raise SystemExit("local server did not start")
        time.sleep(0.1)
    print(f"local server ready in {time.monotonic() - started:.1f}s")
    return proc, json.loads(info.read_text())["api_url"]


def upload_document(client: Client, pages: int) -> str:
    status, body = client.request("POST", "/api/documents", {"filename": "bench.pdf"})
    if status != 201:
        raise SystemExit(f"POST /api/documents -> {status} {body[:200]!r}")
    doc = json.loads(body)
    put = urlsplit(doc["upload_url"])
    conn = http.client.HTTPConnection(put.hostname, put.port, timeout=30)
    conn.request(
        "PUT",
        f"{put.path}?{put.query}",
        body=multi_page_pdf(pages),
        headers={"Content-Type": "application/pdf"},
    )
    conn.getresponse().read()
    return doc["document_id"]


def create_jobs(client: Client, document_id: str, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        status, body = client.request("POST", "/api/jobs", {"type": "parse", "document_id": document_id})
        if status != 202:
            raise SystemExit(f"POST /api/jobs -> {status} {body[:200]!r}")
        ids.append(json.loads(body)["id"])
    return ids


def wait_until_ended(client: Client, ids: list[str], timeout: float = 180.0) -> None:
    """Let the jobs' pipelines finish first, so the load measures the API and not the pipeline."""
    deadline = time.monotonic() + timeout
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            status, body = client.request("GET", f"/api/jobs/{job_id}")
            if status == 200 and json.loads(body)["status"] in ("completed", "failed", "cancelled"):
                pending.discard(job_id)
        time.sleep(0.5)
    if pending:
        raise SystemExit(f"{len(pending)} jobs still running after {timeout:.0f}s")


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1) if ordered else float("nan")


def _measure(url: str, key: str, requests: int, concurrency: int, max_seconds: float, operation) -> dict:
    """Run ``operation(client, rnd, record)`` from ``concurrency`` threads until ``requests``
    requests were made; latencies by kind (``record(kind, ms, error)``)."""
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    remaining = [requests]
    deadline = time.monotonic() + max_seconds

    def record(kind: str, ms: float, error: str | None) -> None:
        with lock:
            latencies.setdefault(kind, []).append(ms)
            if error:
                errors[error] = errors.get(error, 0) + 1

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        client = Client(url, key)
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            operation(client, rnd, record)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    every = [ms for values in latencies.values() for ms in values]
    return {
        "requests": len(every),
        "concurrency": concurrency,
        "wall_seconds": round(wall, 2),
        "rps": round(len(every) / wall, 1) if wall else 0,
        "p50_ms": _percentile(every, 50),
        "p99_ms": _percentile(every, 99),
        "max_ms": round(max(every), 1) if every else float("nan"),
        "by_kind": {
            kind: {"n": len(v), "p50_ms": _percentile(v, 50), "p99_ms": _percentile(v, 99)}
            for kind, v in sorted(latencies.items())
        },
        "errors": sum(errors.values()),
        "error_kinds": errors,
    }


def _timed(client: Client, record, kind: str, method: str, path: str, body: dict | None = None, ok=(200,)):
    started = time.perf_counter()
    try:
        status, answer = client.request(method, path, body)
        error = None if status in ok else f"{kind}: HTTP {status}"
    except Exception as exc:
        status, answer, error = 0, b"", f"{kind}: {type(exc).__name__}"
    record(kind, (time.perf_counter() - started) * 1000, error)
    return status, answer


LIST_PATHS = ["/api/jobs", "/api/jobs?limit=10", "/api/jobs?status=completed", "/api/jobs?type=parse&limit=5"]


def idle_phase(url: str, key: str, ids: list[str], args) -> dict:
    """Reads only, no pipeline running (the jobs ended first): the API alone."""

    def operation(client: Client, rnd: random.Random, record) -> None:
        if rnd.random() < 0.5:
            _timed(client, record, "GET list", "GET", rnd.choice(LIST_PATHS))
        else:
            _timed(client, record, "GET job", "GET", f"/api/jobs/{rnd.choice(ids)}")

    return _measure(url, key, args.requests, args.concurrency, args.max_seconds, operation)


def busy_phase(url: str, key: str, ids: list[str], document_id: str, args) -> dict:
    """The same clients, now also submitting and cancelling, while a feeder keeps
    ``--running`` parse jobs in their pipelines the whole time."""
    stop = threading.Event()
    started_jobs = [0]

    def feeder() -> None:
        client = Client(url, key)
        running: set[str] = set()
        while not stop.is_set():
            for job_id in list(running):
                status, body = client.request("GET", f"/api/jobs/{job_id}")
                if status == 200 and json.loads(body)["status"] in ("completed", "failed", "cancelled"):
                    running.discard(job_id)
            while len(running) < args.running and not stop.is_set():
                status, body = client.request(
                    "POST", "/api/jobs", {"type": "parse", "document_id": document_id}
                )
                if status == 202:
                    running.add(json.loads(body)["id"])
                    started_jobs[0] += 1
            stop.wait(0.2)

    def operation(client: Client, rnd: random.Random, record) -> None:
        roll = rnd.random()
        if roll < 0.35:
            _timed(client, record, "GET list", "GET", rnd.choice(LIST_PATHS))
        elif roll < 0.7:
            _timed(client, record, "GET job", "GET", f"/api/jobs/{rnd.choice(ids)}")
        else:
            status, body = _timed(
                client,
                record,
                "POST job",
                "POST",
                "/api/jobs",
                {"type": "parse", "document_id": document_id},
                ok=(202,),
            )
            if status == 202:
                _timed(
                    client,
                    record,
                    "DELETE job",
                    "DELETE",
                    f"/api/jobs/{json.loads(body)['id']}",
                    ok=(200, 409),
                )

    feeding = threading.Thread(target=feeder, daemon=True)
    feeding.start()
    time.sleep(3)  # let the first pipelines start
    try:
        result = _measure(url, key, args.requests, args.concurrency, args.max_seconds, operation)
    finally:
        stop.set()
        feeding.join(timeout=60)
    result["running_jobs"] = args.running
    result["pipeline_jobs_started"] = started_jobs[0]
    return result


def _cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system) the server process has used, from /proc (Linux), or None."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(url: str, key: str, args, server_pid: int | None = None) -> dict:
    client = Client(url, key)
    document_id = upload_document(client, args.pages)
    ids = create_jobs(client, document_id, args.jobs)
    wait_until_ended(client, ids)
    result: dict = {"jobs": args.jobs, "document_pages": args.pages}
    for phase in args.phases.split(","):
        load_before = os.getloadavg()[0]
        cpu_before = _cpu_seconds(server_pid)
        if phase == "idle":
            result["idle"] = idle_phase(url, key, ids, args)
        elif phase == "busy":
            result["busy"] = busy_phase(url, key, ids, document_id, args)
        else:
            raise SystemExit(f"unknown phase {phase!r}")
        # The machine's load matters: these figures are wall-clock latencies.
        result[phase]["load_average"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
        cpu_after = _cpu_seconds(server_pid)
        if cpu_before is not None and cpu_after is not None:
            # What the server spent (API and pipelines), per request: the latency floor on an idle
            # machine is about this, times the requests queued behind one another.
            used = cpu_after - cpu_before
            result[phase]["server_cpu_seconds"] = round(used, 1)
            per_request = 1000 * used / max(1, result[phase]["requests"])
            result[phase]["server_cpu_ms_per_request"] = round(per_request, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="target a running local server instead of starting one")
    parser.add_argument("--key", default=os.environ.get("DOCJOBS_API_KEY", BENCH_KEY))
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=120, help="per phase")
    parser.add_argument("--running", type=int, default=10, help="pipelines kept running in the busy phase")
    parser.add_argument("--pages", type=int, default=12, help="pages of the generated document")
    parser.add_argument("--phases", default="idle,busy", help="comma-separated: idle, busy")
    args = parser.parse_args()
    args.requests = max(1, min(args.requests, 10_000))
    args.jobs = max(1, min(args.jobs, 200))
    args.concurrency = max(1, min(args.concurrency, 64))
    args.running = max(0, min(args.running, 50))
    proc = None
    url = args.url
    if url is None:
        proc, url = start_server()
    try:
        result = run(url, args.key, args, proc.pid if proc is not None else None)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
