"""GET /api/usage: a month's credits."""

from __future__ import annotations

from typing import Annotated

from docjobs.api.http import Query, Router, tenant_of
from docjobs.api.routes.responses import errors, ok
from docjobs.api.schemas.usage import TypeUsage, UsageResponse
from docjobs.domain import credits

router = Router()


@router.get(
    "/api/usage",
    summary="Credits used, reserved and remaining in a month",
    responses={**ok(200, "the month's credits", UsageResponse), **errors()},
)
def usage(
    period: Annotated[
        str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (UTC); default: this month")
    ] = None,
) -> UsageResponse:
    month = credits.usage_for(tenant_of(), period)
    return UsageResponse(
        period=month.period,
        credits_limit=month.limit,
        credits_used=month.used,
        credits_reserved=month.reserved,
        credits_remaining=month.remaining,
        by_type={name: TypeUsage(**numbers) for name, numbers in sorted(month.by_type.items())},
    )
