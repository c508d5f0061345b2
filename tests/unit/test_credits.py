"""Credits: the ledger's reserve / commit / release, the limit that concurrent jobs cannot
overspend, 429 at submission when the month is used up, and GET /api/usage."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime

import pytest

from docjobs.adapters import ledger
from docjobs.core.errors import JobCancelledError, QuotaExceededError
from docjobs.core.values import credit_period
from docjobs.domain import credits, transitions
from tests.conftest import seed_job_record

_tenants = itertools.count(1)


@pytest.fixture(scope="module")
def stack(module_stack):
    return module_stack


@pytest.fixture
def tenant(stack) -> str:
    return f"credits-{next(_tenants)}"


def _job(tenant: str, job_type: str = "parse") -> str:
    return seed_job_record(tenant, type=job_type, status="processing").id


def test_reserve_then_complete_commits_the_cost(tenant):
    ledger.set_credit_limit(tenant, 100)
    job_id = _job(tenant)
    job = transitions.reserve_credits(tenant, job_id, 30)
    assert job.credits is not None and job.credits.state == "reserved" and job.credits.cost == 30
    usage = ledger.usage(tenant, credit_period())
    assert (usage.used, usage.reserved, usage.remaining) == (0, 30, 70)
    assert usage.by_type == {"parse": {"used": 0, "reserved": 30}}

    from docjobs.core.models import ResultPointer

    done = transitions.complete_job(tenant, job_id, ResultPointer(bucket="b", key="k", size_bytes=1))
    assert done.credits is not None and done.credits.state == "committed"
    usage = ledger.usage(tenant, credit_period())
    assert (usage.used, usage.reserved, usage.remaining) == (30, 0, 70)
    assert usage.by_type == {"parse": {"used": 30, "reserved": 0}}


def test_a_retried_reservation_reserves_once(tenant):
    ledger.set_credit_limit(tenant, 100)
    job_id = _job(tenant)
    transitions.reserve_credits(tenant, job_id, 40)
    transitions.reserve_credits(tenant, job_id, 40)  # the stage ran again after a transient error
    assert ledger.usage(tenant, credit_period()).reserved == 40


@pytest.mark.parametrize("ending", ["fail", "cancel"])
def test_failed_and_cancelled_jobs_release_their_credits(tenant, ending):
    ledger.set_credit_limit(tenant, 100)
    job_id = _job(tenant, "extract")
    transitions.reserve_credits(tenant, job_id, 60)
    if ending == "fail":
        assert transitions.fail_job(tenant, job_id, "boom", "INTERNAL_ERROR") == "failed"
    else:
        transitions.cancel_job_record(tenant, job_id)
    usage = ledger.usage(tenant, credit_period())
    assert (usage.used, usage.reserved, usage.remaining) == (0, 0, 100)
    from docjobs.adapters import job_store

    job = job_store.get_job(tenant, job_id)
    assert job.credits is not None and job.credits.state == "released"


def test_a_reservation_past_the_limit_is_refused_and_writes_nothing(tenant):
    ledger.set_credit_limit(tenant, 50)
    first, second = _job(tenant), _job(tenant)
    transitions.reserve_credits(tenant, first, 45)
    with pytest.raises(
        QuotaExceededError, match=r"costs 6 credits but 5 of the 50 credits of \d{4}-\d{2} remain"
    ):
        transitions.reserve_credits(tenant, second, 6)
    from docjobs.adapters import job_store

    assert job_store.get_job(tenant, second).credits is None
    assert ledger.usage(tenant, credit_period()).reserved == 45
    transitions.reserve_credits(tenant, second, 5)  # exactly what remains fits
    assert ledger.usage(tenant, credit_period()).remaining == 0


def test_a_job_larger_than_the_whole_limit_is_refused(tenant):
    ledger.set_credit_limit(tenant, 10)
    with pytest.raises(QuotaExceededError):
        transitions.reserve_credits(tenant, _job(tenant), 11)
    assert ledger.usage(tenant, credit_period()).reserved == 0


def test_unlimited_tenants_are_metered_without_a_limit(tenant):
    job_id = _job(tenant)  # no limit set, default 0 = unlimited
    transitions.reserve_credits(tenant, job_id, 10**6)
    usage = ledger.usage(tenant, credit_period())
    assert usage.limit == 0 and usage.remaining is None and usage.reserved == 10**6


def test_reserving_for_a_cancelled_job_stops_the_stage(tenant):
    job_id = _job(tenant)
    transitions.cancel_job_record(tenant, job_id)
    with pytest.raises(JobCancelledError):
        transitions.reserve_credits(tenant, job_id, 1)
    assert ledger.usage(tenant, credit_period()).reserved == 0


def test_concurrent_reservations_never_overspend(tenant):
    ledger.set_credit_limit(tenant, 100)
    jobs = [_job(tenant) for _ in range(20)]
    outcomes: list[str] = []
    lock = threading.Lock()

    def reserve(job_id: str) -> None:
        try:
            transitions.reserve_credits(tenant, job_id, 15)
            result = "reserved"
        except QuotaExceededError:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=reserve, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("reserved") == 6 and outcomes.count("refused") == 14  # 6 x 15 = 90 <= 100
    assert ledger.usage(tenant, credit_period()).reserved == 90


def test_credits_count_in_the_month_they_were_reserved(tenant, monkeypatch):
    ledger.set_credit_limit(tenant, 100)
    job_id = _job(tenant)
    monkeypatch.setattr(transitions, "credit_period", lambda: "2026-10")
    transitions.reserve_credits(tenant, job_id, 25)
    monkeypatch.undo()  # the month turns before the job completes
    transitions.fail_job(tenant, job_id, "late", "INTERNAL_ERROR")
    october = ledger.usage(tenant, "2026-10")
    assert (october.used, october.reserved) == (0, 0)
    assert ledger.usage(tenant, credit_period()).reserved == 0


def test_submission_with_no_credits_left_is_429_with_retry_after(tenant):
    ledger.set_credit_limit(tenant, 5)
    transitions.reserve_credits(tenant, _job(tenant), 5)
    with pytest.raises(QuotaExceededError) as info:
        credits.ensure_credits_remain(tenant)
    assert info.value.http_status == 429
    assert int(info.value.headers["Retry-After"]) > 0
    assert "renew" in info.value.message


def test_next_period_starts_at_the_first_of_the_next_utc_month():
    assert credits.seconds_until_next_period(datetime(2026, 12, 31, 23, 59, 0, tzinfo=UTC)) == 60
    assert credits.seconds_until_next_period(datetime(2026, 11, 30, 0, 0, 0, tzinfo=UTC)) == 86400


def test_usage_route_and_submit_answer_429_when_used_up(stack, api_client):
    client = api_client("usage-api")
    ledger.set_credit_limit("usage-api", 3)
    transitions.reserve_credits("usage-api", _job("usage-api"), 3)
    body = client.get("/api/usage").json
    assert body == {
        "period": credit_period(),
        "credits_limit": 3,
        "credits_used": 0,
        "credits_reserved": 3,
        "credits_remaining": 0,
        "by_type": {"parse": {"used": 0, "reserved": 3}},
    }
    assert client.get("/api/usage", query={"period": "2020-01"}).json["credits_reserved"] == 0
    assert client.get("/api/usage", query={"period": "2026-13"}).status == 400
    refused = client.post("/api/jobs", {"type": "parse", "input": "https://example.com/doc.pdf"})
    assert refused.status == 429
    assert refused.json["error_code"] == "QUOTA_EXCEEDED"
    assert int(refused.headers["Retry-After"]) > 0
