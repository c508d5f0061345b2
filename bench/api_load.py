"""Load the local API: N jobs, then mixed list/get requests at a fixed concurrency (127.0.0.1 only).

    python bench/api_load.py                 # starts the local server (throttling off) and stops it
    python bench/api_load.py --url http://127.0.0.1:3000 --key dj_...

Prints p50, p99 and the error count. Bounded: --requests (max 10,000) and --max-seconds.
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


def create_jobs(client: Client, n: int) -> list[str]:
    status, body = client.request("POST", "/api/documents", {"filename": "bench.pdf"})
    if status != 201:
        raise SystemExit(f"POST /api/documents -> {status} {body[:200]!r}")
    doc = json.loads(body)
    put = urlsplit(doc["upload_url"])
    conn = http.client.HTTPConnection(put.hostname, put.port, timeout=30)
    conn.request(
        "PUT",
        f"{put.path}?{put.query}",
        body=multi_page_pdf(3),
        headers={"Content-Type": "application/pdf"},
    )
    conn.getresponse().read()
    ids = []
    for _ in range(n):
        status, body = client.request(
            "POST", "/api/jobs", {"type": "parse", "document_id": doc["document_id"]}
        )
        if status not in (200, 201, 202):
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


def run(url: str, key: str, jobs: int, requests: int, concurrency: int, max_seconds: float) -> dict:
    ids = create_jobs(Client(url, key), jobs)
    wait_until_ended(Client(url, key), ids)
    paths = ["/api/jobs", "/api/jobs?limit=10", "/api/jobs?status=completed", "/api/jobs?type=parse&limit=5"]
    lock = threading.Lock()
    latencies: list[float] = []
    errors: dict[str, int] = {}
    remaining = [requests]
    deadline = time.monotonic() + max_seconds

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        client = Client(url, key)
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            path = rnd.choice(paths) if rnd.random() < 0.5 else f"/api/jobs/{rnd.choice(ids)}"
            started = time.perf_counter()
            try:
                status, _ = client.request("GET", path)
                kind = None if status == 200 else f"HTTP {status}"
            except Exception as exc:
                kind = type(exc).__name__
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if kind:
                    errors[kind] = errors.get(kind, 0) + 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan")
        )

    return {
        "requests": len(latencies),
        "concurrency": concurrency,
        "jobs": jobs,
        "wall_seconds": round(wall, 2),
        "rps": round(len(latencies) / wall, 1) if wall else 0,
        "p50_ms": round(pct(50), 1),
        "p99_ms": round(pct(99), 1),
        "errors": sum(errors.values()),
        "error_kinds": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="target a running local server instead of starting one")
    parser.add_argument("--key", default=os.environ.get("DOCJOBS_API_KEY", BENCH_KEY))
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=120)
    args = parser.parse_args()
    requests = max(1, min(args.requests, 10_000))
    proc = None
    url = args.url
    if url is None:
        proc, url = start_server()
    try:
        result = run(
            url,
            args.key,
            max(1, min(args.jobs, 200)),
            requests,
            max(1, min(args.concurrency, 64)),
            args.max_seconds,
        )
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
