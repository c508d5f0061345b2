"""GET /api/jobs/{id} of a completed job: polling cost with and without the result cache.

The stack runs in moto in-process (template.yaml deployed by the local emulator), and each
request goes through the emulated API Gateway, the authorizer and the GetJob function. For
results of several sizes (up to the inline limit), requests alternate between the cache off
(every GET downloads and parses result.json, as before) and on (the first GET downloads), and
the bench prints the median and p95 latency and the S3 GetObject requests and bytes per GET. Moto answers S3
in-process, so on AWS a download also costs S3's latency and transfer, which the cache saves.

    python -m bench.get_job_result [--requests 40]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from typing import Any

from tests.conftest import _deploy, seed_job_record

TENANT = "bench-get"
SIZES = [("10 KB", 10_000), ("500 KB", 500_000), ("4 MB", 4_000_000)]


def _result_of(size: int) -> dict[str, Any]:
    """A parse-like result of about ``size`` bytes of JSON."""
    text = "lorem ipsum dolor sit amet " * 20
    chunk = {"text": text, "page": 1, "heading_path": ["Intro", "Scope"], "tokens": 120}
    count = max(1, size // (len(json.dumps(chunk)) + 20))
    return {
        "chunks": [{"id": f"c{i}", **chunk} for i in range(count)],
        "metadata": {"pages": count // 4 + 1, "file_type": "pdf"},
    }


def _publish(result: dict[str, Any]) -> str:
    from docjobs.adapters import job_store, storage
    from docjobs.core.models import ResultPointer
    from docjobs.core.values import utc_now

    job = seed_job_record(TENANT, status="processing")
    key = storage.result_key(TENANT, job.id)
    raw = json.dumps(result, separators=(",", ":")).encode()
    etag = storage.put_file(key, io.BytesIO(raw), len(raw), "application/json")

    def complete(current: Any) -> Any:
        current.status, current.progress, current.completed_at = "completed", 100, utc_now()
        current.result = ResultPointer(bucket=storage.bucket(), key=key, size_bytes=len(raw), etag=etag)
        return current

    job_store.update_job(TENANT, job.id, complete)
    return job.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="GETs per size and mode (max 1000)")
    args = parser.parse_args()
    requests = max(2, min(args.requests, 1000))

    from docjobs.adapters import aws_clients
    from docjobs.adapters.api_keys import create_api_key
    from docjobs.api import result_cache

    caches = {"cache off": result_cache.ResultCache(max_bytes=0), "cache on": result_cache.ResultCache()}
    sent: list[int] = []  # the body bytes of each GetObject the API functions' client made

    def count(parsed: dict[str, Any], **_: Any) -> None:
        sent.append(int(parsed.get("ContentLength") or 0))

    saved = result_cache.RESULTS
    for stack in _deploy():
        headers = {"Authorization": f"Bearer {create_api_key(TENANT, name='bench')}"}
        aws_clients.s3().meta.events.register("after-call.s3.GetObject", count)
        columns = ("p50 ms", "p95 ms", "GetObject/GET", "S3 bytes/GET")
        print(f"{'result':>8} {'mode':>9} " + " ".join(f"{c:>{max(8, len(c))}}" for c in columns))
        for label, size in SIZES:
            job_id = _publish(_result_of(size))
            timings: dict[str, list[float]] = {mode: [] for mode in caches}
            gets: dict[str, list[int]] = {mode: [] for mode in caches}
            got: dict[str, list[int]] = {mode: [] for mode in caches}
            for _ in range(requests):
                for mode, cache in caches.items():  # alternated, each with its own cache
                    result_cache.RESULTS = cache
                    sent.clear()
                    started = time.perf_counter()
                    status, _, body = stack.api_request("GET", f"/api/jobs/{job_id}", headers=headers)
                    timings[mode].append((time.perf_counter() - started) * 1000)
                    if status != 200 or json.loads(body)["result"] is None:
                        raise SystemExit(f"GET /api/jobs/{job_id} -> {status} {body[:200]!r}")
                    gets[mode].append(len(sent))
                    got[mode].append(sum(sent))
            for mode in caches:
                values = sorted(timings[mode])
                p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
                print(
                    f"{label:>8} {mode:>9} {statistics.median(values):8.1f} {p95:8.1f} "
                    f"{statistics.mean(gets[mode]):13.2f} {statistics.mean(got[mode]):12,.0f}"
                )
    result_cache.RESULTS = saved


if __name__ == "__main__":
    main()
