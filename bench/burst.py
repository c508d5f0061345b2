"""A burst of jobs against the local runtime: every job must complete, none fail on throttling.

    python -m bench.burst                      # 1,000 jobs, MaxConcurrentJobs=50
    python -m bench.burst --jobs 200 --cap 20 --start-rate 25

template.yaml is deployed in process (moto, IAM enforced, handlers in threads as `make run` does).
One document (a small real PDF from /usr/share/doc when there is one, else a generated one) is
uploaded, then ``--jobs`` parse jobs are submitted through the API as fast as ``--clients``
threads can. Jobs go through the intake queue; the starter runs at most ``--cap`` executions
(MaxConcurrentJobs). ``--start-rate`` makes StartExecution answer ThrottlingException above that
many starts per second (token bucket), as Step Functions does past its quota, to show that a
throttled start waits instead of failing the job.

Prints the submission rate, the most executions seen running at once, how long the burst took
to drain, the jobs by final status and error code, and the throttled starts.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TENANT = "burst"


def _document() -> tuple[bytes, str]:
    for path in sorted(glob.glob("/usr/share/doc/**/*.pdf", recursive=True)):
        if os.path.getsize(path) < 150_000:
            return Path(path).read_bytes(), Path(path).name
    from tests.sample_documents import multi_page_pdf

    return multi_page_pdf(2), "generated.pdf"


class TokenBucket:
    def __init__(self, rate: float) -> None:
        self.rate, self.tokens, self.at = rate, rate, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--cap", type=int, default=50, help="MaxConcurrentJobs")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--start-rate", type=float, default=0, help="StartExecution quota per second (0: none)"
    )
    parser.add_argument("--max-seconds", type=float, default=3600)
    args = parser.parse_args()

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "OCR_ENGINE": "none",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_DISABLED": "true",  # the stages' metric lines (EMF) would bury the figures
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import logging

    logging.disable(logging.WARNING)
    from botocore.exceptions import ClientError
    from moto import mock_aws

    from docjobs.adapters import api_keys, aws_clients, capacity, executions, job_store
    from docjobs.core.settings import get_settings
    from docjobs_local.emulator import MOTO_CONFIG, EmulatedStack

    throttled = Counter()
    if args.start_rate:
        bucket, real_start = TokenBucket(args.start_rate), executions.start_execution

        def quota(state_machine_arn: str, name: str, execution_input: dict) -> None:
            if not bucket.take():
                throttled["StartExecution"] += 1
                raise ClientError(
                    {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "StartExecution"
                )
            real_start(state_machine_arn, name, execution_input)

        executions.start_execution = quota  # type: ignore[assignment]

    with mock_aws(config=MOTO_CONFIG):
        stack = EmulatedStack(
            ROOT / "template.yaml",
            parameters={"MaxConcurrentJobs": args.cap, "OcrEngine": "none"},
            async_events=True,
            throttling=False,
        ).deploy()
        aws_clients.reset_clients()
        get_settings.cache_clear()
        try:
            key = api_keys.create_api_key(TENANT, name="bench")
            headers = {"Authorization": f"Bearer {key}"}
            data, filename = _document()
            _status, _, raw = stack.api_request(
                "POST", "/api/documents", headers=headers, body={"filename": filename}
            )
            document_id = json.loads(raw)["document_id"]
            stack.client("s3").put_object(
                Bucket=stack.physical_name("DocumentsBucket"),
                Key=f"documents/{TENANT}/{document_id}/{filename}",
                Body=data,
            )

            def submit(_: int) -> int:
                code, _, _ = stack.api_request(
                    "POST", "/api/jobs", headers=headers, body={"type": "parse", "document_id": document_id}
                )
                return code

            started = time.monotonic()
            peak = {"running": 0, "queued": 0}
            done = threading.Event()

            def sample() -> None:
                while not done.wait(0.25):
                    peak["running"] = max(peak["running"], capacity.running())

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            with ThreadPoolExecutor(args.clients) as pool:
                codes = Counter(pool.map(submit, range(args.jobs)))
            submitted_in = time.monotonic() - started
            peak["queued"] = job_store.count_jobs(TENANT, status="queued")
            while time.monotonic() - started < args.max_seconds:
                ended = sum(
                    job_store.count_jobs(TENANT, status=s) for s in ("completed", "failed", "cancelled")
                )
                if ended >= codes.get(202, 0):
                    break
                time.sleep(1)
            drained_in = time.monotonic() - started
            done.set()
            final = Counter()
            errors = Counter()
            token = None
            while True:
                page = job_store.list_jobs(TENANT, status=None, job_type=None, limit=100, page_token=token)
                for listing in page.jobs:
                    final[listing.status] += 1
                    if listing.status == "failed":
                        errors[job_store.get_job(TENANT, listing.id).error_code or "?"] += 1
                token = page.next_token
                if not token:
                    break
            print(f"document: {filename} ({len(data):,} bytes)")
            quota = f"{args.start_rate:g}/s" if args.start_rate else "none"
            print(f"jobs: {args.jobs}; MaxConcurrentJobs: {args.cap}; StartExecution quota: {quota}")
            rate = args.jobs / submitted_in
            print(f"submit responses: {dict(codes)} in {submitted_in:.1f}s ({rate:.0f} jobs/s)")
            print(f"queued right after the burst: {peak['queued']}; most running at once: {peak['running']}")
            print(f"all ended after {drained_in:.1f}s ({args.jobs / drained_in:.1f} jobs/s)")
            print(f"final status: {dict(final)}; error codes: {dict(errors) or 'none'}")
            print(f"throttled StartExecution calls (retried, not failed): {throttled['StartExecution']}")
            print(f"slots still held: {capacity.running()}")
        finally:
            stack.close()


if __name__ == "__main__":
    main()
