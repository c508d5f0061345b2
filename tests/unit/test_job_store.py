"""job_store against the deployed tables: counters, terminal guard, paging (offset and cursor), reads."""

from __future__ import annotations

import pytest

from tests.conftest import seed_job_record

FILTERS = [(None, None), ("queued", None), (None, "extract"), ("completed", "parse")]
TYPES = ("parse", "extract", "split")


def _status_for(i: int) -> str:
    return {0: "queued", 1: "processing", 2: "completed", 3: "failed" if i % 8 == 3 else "cancelled"}[i % 4]


@pytest.fixture(scope="module")
def stack(module_stack):
    return module_stack


@pytest.fixture(scope="module")
def populated(module_stack):
    """Tenants ``n<count>`` with ``count`` jobs each, of mixed types and statuses; newest first.

    Written with job_store.create_job / update_job (no executions are started)."""
    tenants: dict[int, list] = {}
    for count in (0, 1, 50, 51, 237):
        jobs = [seed_job_record(f"n{count}", type=TYPES[i % 3], status=_status_for(i)) for i in range(count)]
        tenants[count] = sorted(jobs, key=lambda j: j.id, reverse=True)
    return tenants


def _matching(jobs, status, job_type):
    return [j.id for j in jobs if (status is None or j.status == status) and (job_type in (None, j.type))]


def test_ids_sort_by_creation_time(populated):
    jobs = populated[237]
    assert [j.id for j in jobs] == sorted(j.id for j in jobs)[::-1]
    assert all(j.id[14] == "7" for j in jobs)  # UUIDv7 version nibble


# limit 7 walks many short pages over the small tenants; 237 jobs are walked with limit 50
# (a limit-7 walk over them adds nothing but time).
_COUNT_LIMITS = [
    (count, limit) for count in (0, 1, 50, 51, 237) for limit in (7, 50) if (count, limit) != (237, 7)
]


@pytest.mark.parametrize(("count", "limit"), _COUNT_LIMITS)
@pytest.mark.parametrize(("status", "job_type"), FILTERS)
def test_cursor_walk_visits_every_job_once_newest_first_and_matches_offset_pages(
    populated, count, status, job_type, limit
):
    from docjobs.adapters import job_store

    tenant = f"n{count}"
    expected = _matching(populated[count], status, job_type)
    true_total = len(expected)
    assert job_store.count_jobs(tenant, status=status, job_type=job_type) == true_total

    walked: list[str] = []
    token = None
    page_no = 0
    while True:
        page = job_store.list_jobs(tenant, status=status, job_type=job_type, limit=limit, page_token=token)
        by_offset = job_store.list_jobs(
            tenant, status=status, job_type=job_type, limit=limit, offset=page_no * limit
        )
        assert [j.id for j in by_offset.jobs] == [j.id for j in page.jobs]
        assert by_offset.has_more == page.has_more
        assert page.total == by_offset.total == true_total
        assert len(page.jobs) <= limit
        assert all(
            (status is None or j.status == status) and (job_type is None or j.type == job_type)
            for j in page.jobs
        )
        walked.extend(j.id for j in page.jobs)
        assert page.has_more == (len(walked) < true_total)
        assert (page.next_token is not None) == page.has_more
        page_no += 1
        if not page.has_more:
            break
        token = page.next_token
    assert walked == expected  # each job exactly once, newest first
    assert page_no == max(1, -(-true_total // limit))


def test_offset_past_the_end_is_an_empty_page_with_the_total(populated):
    from docjobs.adapters import job_store

    page = job_store.list_jobs("n51", status=None, job_type=None, limit=10, offset=51)
    assert page.jobs == [] and page.has_more is False and page.next_token is None and page.total == 51


@pytest.mark.parametrize("limit", [1, 10, 50, 100])
def test_cursor_page_reads_limit_plus_one_items_and_one_getitem(populated, monkeypatch, limit):
    from docjobs.adapters import aws_clients, job_store

    first = job_store.list_jobs("n237", status=None, job_type=None, limit=limit)
    client = aws_clients.dynamodb()
    calls = {"query": 0, "items": 0, "scanned": 0, "get_item": 0}
    real_query, real_get = client.query, client.get_item

    def query(**kwargs):
        resp = real_query(**kwargs)
        calls["query"] += 1
        calls["items"] += len(resp.get("Items", []))
        calls["scanned"] += resp.get("ScannedCount", 0)
        return resp

    def get_item(**kwargs):
        calls["get_item"] += 1
        return real_get(**kwargs)

    monkeypatch.setattr(client, "query", query)
    monkeypatch.setattr(client, "get_item", get_item)
    page = job_store.list_jobs("n237", status=None, job_type=None, limit=limit, page_token=first.next_token)
    assert len(page.jobs) == limit
    assert calls == {"query": 1, "items": limit + 1, "scanned": limit + 1, "get_item": 1}


def test_filtered_cursor_page_reads_limit_plus_one(populated, monkeypatch):
    from docjobs.adapters import aws_clients, job_store

    first = job_store.list_jobs("n237", status="completed", job_type="parse", limit=5)
    client = aws_clients.dynamodb()
    seen: list[int] = []
    real_query = client.query
    monkeypatch.setattr(
        client, "query", lambda **kw: (r := real_query(**kw), seen.append(len(r["Items"])))[0]
    )
    job_store.list_jobs("n237", status="completed", job_type="parse", limit=5, page_token=first.next_token)
    assert seen == [6]


# ------------------------------------------------------------------ page tokens


def test_page_token_for_other_filters_is_refused(populated):
    from docjobs.adapters import job_store
    from docjobs.core.errors import InputValidationError

    token = job_store.list_jobs("n51", status="queued", job_type=None, limit=2).next_token
    assert token
    with pytest.raises(InputValidationError, match="other filters"):
        job_store.list_jobs("n51", status=None, job_type=None, limit=2, page_token=token)
    with pytest.raises(InputValidationError, match="other filters"):
        job_store.list_jobs("n51", status="queued", job_type="parse", limit=2, page_token=token)


@pytest.mark.parametrize(
    "token",
    [
        "not-base64!!",
        "eyJ",  # truncated
        "W10",  # []
        "ImFiYyI",  # "abc"
        "e30",  # {}
    ],
)
def test_malformed_page_token_is_refused(token):
    from docjobs.adapters import job_store
    from docjobs.core.errors import InputValidationError

    with pytest.raises(InputValidationError, match="not a token this API returned"):
        job_store.decode_page_token(token, None, None)


@pytest.mark.parametrize(
    "after", ["x", "", "01900000-0000-7000-8000-00000000000", "{01900000-0000-7000-8000-000000000000}"]
)
def test_forged_page_token_with_a_non_job_id_is_refused(after):
    import base64
    import json

    from docjobs.adapters import job_store
    from docjobs.core.errors import InputValidationError

    raw = json.dumps({"after": after, "status": None, "type": None}).encode()
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    with pytest.raises(InputValidationError):
        job_store.decode_page_token(token, None, None)


def test_page_token_round_trips():
    from docjobs.adapters import job_store
    from docjobs.core.values import new_id

    job_id = new_id()
    token = job_store.encode_page_token(job_id, "queued", "parse")
    assert job_store.decode_page_token(token, "queued", "parse") == job_id


# ------------------------------------------------------------------ counters and terminal guard


def _counts(tenant: str) -> dict[str, int]:
    from docjobs.adapters import job_store
    from docjobs.core.models import JOB_STATUSES

    out = {"all": job_store.count_jobs(tenant)}
    for s in JOB_STATUSES:
        out[s] = job_store.count_jobs(tenant, status=s)
        out[f"{s}/parse"] = job_store.count_jobs(tenant, status=s, job_type="parse")
    out["parse"] = job_store.count_jobs(tenant, job_type="parse")
    return out


def test_status_change_moves_counters_in_step(stack):
    from docjobs.adapters import job_store

    job = seed_job_record("counters")
    assert _counts("counters")["queued"] == 1
    job_store.update_job("counters", job.id, lambda j: j.model_copy(update={"status": "processing"}))
    c = _counts("counters")
    assert (c["all"], c["parse"], c["queued"], c["processing"], c["processing/parse"]) == (1, 1, 0, 1, 1)


def test_same_status_write_leaves_counters_alone(stack):
    from docjobs.adapters import job_store

    job = seed_job_record("same-status", status="processing")
    before = _counts("same-status")
    job_store.update_job("same-status", job.id, lambda j: j.model_copy(update={"progress": 42}))
    assert job_store.get_job("same-status", job.id).progress == 42
    assert _counts("same-status") == before


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_terminal_job_cannot_change_status(stack, status):
    from docjobs.adapters import job_store
    from docjobs.adapters.job_store import JobAlreadyTerminalError
    from docjobs.core.errors import ConflictError

    tenant = f"terminal-{status}"
    job = seed_job_record(tenant, status=status)
    before = _counts(tenant)
    stored = job_store.get_job(tenant, job.id)
    called = []
    for target in ("queued", "processing", "completed", "failed", "cancelled", "retrying"):
        with pytest.raises(JobAlreadyTerminalError) as err:
            job_store.update_job(
                tenant, job.id, lambda j, t=target: called.append(t) or j.model_copy(update={"status": t})
            )
        assert err.value.status == status
        assert isinstance(err.value, ConflictError)
    assert called == []  # the change is never even computed
    assert _counts(tenant) == before
    assert job_store.get_job(tenant, job.id) == stored


def test_concurrent_writer_is_detected_and_reapplied(stack):
    from docjobs.adapters import job_store

    job = seed_job_record("race")
    attempts = []

    def change(j):
        attempts.append(j.progress)
        if len(attempts) == 1:  # someone else writes between our read and our write
            job_store.update_job("race", job.id, lambda other: other.model_copy(update={"progress": 7}))
        return j.model_copy(update={"status": "processing", "progress": max(j.progress, 5)})

    result = job_store.update_job("race", job.id, change)
    assert attempts == [0, 7]
    assert result.progress == 7 and result.status == "processing"
    assert _counts("race")["processing"] == 1 and _counts("race")["queued"] == 0


def test_get_job_of_other_tenant_is_not_found(stack):
    from docjobs.adapters import job_store
    from docjobs.core.errors import NotFoundError

    job = seed_job_record("owner")
    with pytest.raises(NotFoundError):
        job_store.get_job("intruder", job.id)
    with pytest.raises(NotFoundError):
        job_store.update_job("intruder", job.id, lambda j: j)


def test_forget_expired_job_takes_it_out_of_the_counts(stack):
    from docjobs.adapters import aws_clients, job_store
    from docjobs.core.settings import get_settings

    job = seed_job_record("expiry", status="processing")
    item = aws_clients.dynamodb().get_item(
        TableName=get_settings().jobs_table_name, Key={"pk": {"S": "T#expiry"}, "sk": {"S": f"J#{job.id}"}}
    )["Item"]
    assert job_store.forget_expired_job(item) is True
    assert _counts("expiry")["all"] == 0 and _counts("expiry")["processing"] == 0
    assert job_store.forget_expired_job({"pk": {"S": "T#expiry"}, "sk": {"S": "COUNTS"}}) is False
