"""The local stack driven over HTTP exactly as a client would (contract: the Jobs API spec)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request

import pytest

from tests.sample_documents import multi_page_pdf

pytestmark = pytest.mark.e2e

TERMINAL = {"completed", "failed", "cancelled"}


def upload(api, key, data: bytes, filename="report.pdf") -> str:
    status, doc, _ = api.request("POST", "/api/documents", key=key, body={"filename": filename})
    assert status == 201, doc
    # what `curl -T` does (urllib would otherwise send a form Content-Type)
    req = urllib.request.Request(
        doc["upload_url"], data=data, method="PUT", headers={"Content-Type": "application/octet-stream"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
    return doc["document_id"]


def submit(api, key, document_id, job_type="parse") -> dict:
    status, job, _ = api.request(
        "POST", "/api/jobs", key=key, body={"type": job_type, "document_id": document_id}
    )
    assert status in (200, 201, 202), job
    return job


def wait(api, key, job_id, timeout=120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, job, _ = api.request("GET", f"/api/jobs/{job_id}", key=key)
        assert status == 200, job
        if job["status"] in TERMINAL or time.monotonic() > deadline:
            return job
        time.sleep(0.25)


@pytest.fixture(scope="module")
def completed_job(local_api):
    doc_id = upload(local_api, local_api.key, multi_page_pdf(3))
    job = submit(local_api, local_api.key, doc_id)
    return wait(local_api, local_api.key, job["id"])


def test_parse_job_completes_with_chunks_and_metadata(completed_job):
    job = completed_job
    assert job["status"] == "completed", job
    assert job["progress"] == 100
    assert job["completed_at"]
    assert job["result"]["chunks"]
    assert job["metadata"]["filename"] == "report.pdf"
    assert job["metadata"]["file_type"] == "pdf"
    assert job["metadata"]["pages"] == 3


def test_list_filters_and_pagination(local_api, completed_job):
    key = local_api.key
    doc_id = upload(local_api, key, multi_page_pdf(1), "one.pdf")
    ids = [submit(local_api, key, doc_id)["id"] for _ in range(3)]
    for job_id in ids:
        wait(local_api, key, job_id)
    status, listing, _ = api_list(local_api, key, "")
    assert status == 200 and listing["total"] >= 4
    for query in ("status=completed", "type=parse", "status=completed&type=parse"):
        status, page, _ = api_list(local_api, key, query)
        assert status == 200, page
        assert page["jobs"] and all(j["status"] == "completed" for j in page["jobs"] if "status=" in query)
        assert all(j["type"] == "parse" for j in page["jobs"] if "type=" in query)
    # offset paging
    seen = []
    offset = 0
    while True:
        status, page, _ = api_list(local_api, key, f"limit=2&offset={offset}")
        assert status == 200
        seen += [j["id"] for j in page["jobs"]]
        if not page["has_more"]:
            break
        offset += 2
    assert len(seen) == len(set(seen)) == listing["total"]
    # token paging
    token_seen = []
    query = "limit=2"
    while True:
        status, page, _ = api_list(local_api, key, query)
        assert status == 200
        token_seen += [j["id"] for j in page["jobs"]]
        if not page.get("next_token"):
            break
        query = f"limit=2&page_token={page['next_token']}"
    assert sorted(token_seen) == sorted(seen)


def api_list(api, key, query):
    return api.request("GET", "/api/jobs" + (f"?{query}" if query else ""), key=key)


def test_cancel_keeps_the_job_cancelled(local_api):
    key = local_api.key
    doc_id = upload(local_api, key, multi_page_pdf(5), "cancel-me.pdf")
    job = submit(local_api, key, doc_id)
    status, body, _ = local_api.request("DELETE", f"/api/jobs/{job['id']}", key=key)
    assert status == 200, body
    assert body == {"success": True, "job_id": job["id"], "status": "cancelled"}
    time.sleep(3)  # let the execution stop and the tracker run
    status, after, _ = local_api.request("GET", f"/api/jobs/{job['id']}", key=key)
    assert after["status"] == "cancelled"


def test_401_without_or_with_a_wrong_key(local_api):
    for key in (None, "dj_not-a-real-key-000000000000"):
        status, body, _ = local_api.request("GET", "/api/jobs", key=key)
        assert status == 401
        assert body["error_code"] == "UNAUTHORIZED"


def test_404_on_another_tenants_job(local_api, completed_job):
    status, body, _ = local_api.request("GET", f"/api/jobs/{completed_job['id']}", key=local_api.other_key)
    assert status == 404
    assert body["error_code"] == "NOT_FOUND"
    status, listing, _ = local_api.request("GET", "/api/jobs", key=local_api.other_key)
    assert status == 200 and completed_job["id"] not in [j["id"] for j in listing["jobs"]]


# The spec's "Polling for Status" loop, verbatim except for the base URL and the key.
WAIT_FOR_JOB_JS = """
const BASE = process.argv[2], KEY = process.argv[3], JOB = process.argv[4];
async function waitForJob(jobId) {
  const maxAttempts = 30;
  const delay = 2000; // 2 seconds
  for (let i = 0; i < maxAttempts; i++) {
    const response = await fetch(`${BASE}/api/jobs/${jobId}`, {
      headers: { 'Authorization': `Bearer ${KEY}` }
    });
    const job = await response.json();
    if (job.status === 'completed') {
      return job.result;
    }
    if (job.status === 'failed') {
      throw new Error(job.error);
    }
    await new Promise(resolve => setTimeout(resolve, delay));
  }
  throw new Error('Job timed out');
}
waitForJob(JOB).then(
  r => console.log(JSON.stringify(r)),
  e => { console.error(e.message); process.exit(1); },
);
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_spec_wait_for_job_loop_in_node(local_api, tmp_path):
    doc_id = upload(local_api, local_api.key, multi_page_pdf(2), "node.pdf")
    job = submit(local_api, local_api.key, doc_id)
    script = tmp_path / "wait.mjs"
    script.write_text(WAIT_FOR_JOB_JS)
    out = subprocess.run(
        ["node", str(script), local_api.url, local_api.key, job["id"]],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["chunks"] and result["metadata"]
