"""Plain values every layer uses: the clock, timestamps as the API shows them, ids, periods.

Kept apart from ``docjobs.core.models`` so code that needs only these (the authorizer, usage)
does not build the job models at import.
"""

from __future__ import annotations

from datetime import UTC, datetime

from uuid6 import uuid7


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def format_timestamp(value: datetime) -> str:
    """ISO-8601 UTC with a ``Z``, whole seconds, as the spec shows: ``2024-01-15T10:00:00Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id() -> str:
    """A time-ordered UUID (UUIDv7): ids sort by creation time."""
    return str(uuid7())


def credit_period(when: datetime | None = None) -> str:
    """The metering period of ``when`` (now): the UTC calendar month, ``YYYY-MM``."""
    return (when or utc_now()).astimezone(UTC).strftime("%Y-%m")
