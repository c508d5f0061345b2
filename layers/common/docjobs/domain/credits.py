"""Credits a tenant may spend per month, and what it has spent (docs/decisions.md, "Credits")."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from docjobs.adapters import ledger
from docjobs.core.errors import InputValidationError, QuotaExceededError
from docjobs.core.values import credit_period, utc_now

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def seconds_until_next_period(now: datetime | None = None) -> int:
    now = now or utc_now()
    first_of_next = (
        datetime(now.year + 1, 1, 1, tzinfo=UTC)
        if now.month == 12
        else datetime(now.year, now.month + 1, 1, tzinfo=UTC)
    )
    return max(1, int((first_of_next - now).total_seconds()))


def ensure_credits_remain(tenant_id: str) -> None:
    """At submission: 429 QUOTA_EXCEEDED, with Retry-After until the next month, when the month's
    credits are used up (a job whose cost exceeds what remains fails later, once it is known)."""
    usage = ledger.usage(tenant_id, credit_period())
    if usage.remaining is not None and usage.remaining <= 0:
        raise QuotaExceededError(
            f"the {usage.limit} credits of {usage.period} are used up ({usage.used} used, "
            f"{usage.reserved} reserved by running jobs); credits renew at the start of next month (UTC)",
            headers={"Retry-After": str(seconds_until_next_period())},
        )


def usage_for(tenant_id: str, period: str | None) -> ledger.Usage:
    if period is None:
        return ledger.usage(tenant_id, credit_period())
    if not _PERIOD.match(period):
        raise InputValidationError(f"period: '{period}' is not a month as YYYY-MM")
    return ledger.usage(tenant_id, period)
