"""Many clients at once against the local stack: counts stay exact and a cancel is honest.

50 parse jobs are submitted from several threads while other threads cancel some of them at
random moments (queued, mid-pipeline, or after they ended). Afterwards, for the test's own
tenant: every per-status and per-type ``total`` equals the number of jobs the same filter
lists, every job that answered DELETE with ``cancelled`` is cancelled, and no cancelled job
has a result. ``DOCJOBS_CONCURRENCY_RUNS=5`` repeats the whole scenario five times.
"""

from __future__ import annotations

import os
import random
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import LOAD_KEY
from tests.sample_documents import multi_page_pdf

pytestmark = pytest.mark.e2e

JOBS = 50
TERMINAL = {"completed", "failed", "cancelled"}
STATUSES = ("queued", "processing", "completed", "failed", "cancelled", "retrying")
RUNS = int(os.environ.get("DOCJOBS_CONCURRENCY_RUNS", "1"))


def _call(api, method, path, body=None):
    """One request; a 429 (the API's throttle) is retried after a pause, as a client would."""
    for _ in range(50):
        status, answer, _ = api.request(method, path, key=LOAD_KEY, body=body, timeout=60)
        if status != 429:
            return status, answer
        time.sleep(0.2)
    raise AssertionError(f"{method} {path} throttled 50 times")


def _upload(api) -> str:
    status, doc = _call(api, "POST", "/api/documents", {"filename": "load.pdf"})
    assert status == 201, doc
    request = urllib.request.Request(
        doc["upload_url"], data=multi_page_pdf(2), method="PUT", headers={"Content-Type": "application/pdf"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    return doc["document_id"]


def _listed(api, query: str) -> tuple[int, int]:
    """(total as answered, jobs actually listed across all pages) for one filter."""
    listed, token, total = 0, None, None
    while True:
        path = f"/api/jobs?limit=100{query}" + (f"&page_token={token}" if token else "")
        status, page = _call(api, "GET", path)
        assert status == 200, page
        total = page["total"] if total is None else total
        listed += len(page["jobs"])
        token = page.get("next_token")
        if not page["has_more"]:
            return total, listed


@pytest.mark.parametrize("run", range(RUNS))
def test_counts_and_cancels_stay_exact_under_concurrency(local_api, run: int) -> None:
    document_id = _upload(local_api)
    rng = random.Random(run)
    submitted: list[str] = []
    answered_cancelled: set[str] = set()
    lock = threading.Lock()
    errors: list[str] = []

    def submit(i: int) -> None:
        status, job = _call(local_api, "POST", "/api/jobs", {"type": "parse", "document_id": document_id})
        if status != 202:
            errors.append(f"submit {i}: {status} {job}")
            return
        with lock:
            submitted.append(job["id"])

    def cancel_some(seed: int) -> None:
        local = random.Random(seed)
        for _ in range(JOBS // 3):
            time.sleep(local.uniform(0.0, 0.4))
            with lock:
                if not submitted:
                    continue
                job_id = local.choice(submitted)
            status, answer = _call(local_api, "DELETE", f"/api/jobs/{job_id}")
            if status == 200:
                assert answer["status"] == "cancelled"
                with lock:
                    answered_cancelled.add(job_id)
            elif status != 409:
                errors.append(f"cancel {job_id}: {status} {answer}")

    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(cancel_some, rng.randrange(1 << 30)) for _ in range(4)]
        futures += [pool.submit(submit, i) for i in range(JOBS)]
        for future in futures:
            future.result()
    assert not errors, errors[:5]
    assert len(submitted) == JOBS

    deadline = time.monotonic() + 300
    pending = set(submitted)
    final: dict[str, dict] = {}
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            status, job = _call(local_api, "GET", f"/api/jobs/{job_id}")
            assert status == 200, job
            if job["status"] in TERMINAL:
                final[job_id] = job
                pending.discard(job_id)
        time.sleep(0.5)
    assert not pending, f"{len(pending)} jobs never ended"

    for job_id in answered_cancelled:
        assert final[job_id]["status"] == "cancelled", final[job_id]
    for job in final.values():
        if job["status"] == "cancelled":
            assert job["result"] is None and job["result_url"] is None, job["id"]
        if job["status"] == "failed":
            assert job["error_code"] != "INTERNAL_ERROR", job
    assert answered_cancelled, "no cancel landed: the scenario did not test anything"

    for query in ["", "&type=parse", *(f"&status={s}" for s in STATUSES)]:
        total, listed = _listed(local_api, query)
        assert total == listed, f"filter {query or '(none)'}: total {total} but {listed} listed"
    total_all, _ = _listed(local_api, "")
    total_parse, _ = _listed(local_api, "&type=parse")
    assert total_all == total_parse  # only parse jobs in this tenant
    by_status = sum(_listed(local_api, f"&status={s}")[0] for s in STATUSES)
    assert by_status == total_all
