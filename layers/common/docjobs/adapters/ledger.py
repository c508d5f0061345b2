"""The credit ledger, in the jobs table: the only module that reads or writes its items.

* a tenant's limit: ``pk = T#<tenant>``, ``sk = CREDITS``, ``credits_limit`` (absent: the
  deployment's default, ``DEFAULT_MONTHLY_CREDITS``; 0 = unlimited);
* one usage item per tenant and month: ``sk = USAGE#<YYYY-MM>`` with ``used``, ``reserved``,
  ``spent`` (= used + reserved, kept as one number because a DynamoDB condition cannot add two
  attributes) and per type ``u_<type>`` / ``r_<type>``.

A reservation is one conditional update (``spent <= limit - cost``), written in the same
transaction as the job's own change (docjobs.domain.transitions), so concurrent jobs can never
spend more than the limit, and each job reserves, commits or releases exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docjobs.adapters import aws_clients
from docjobs.core.models import JobCredits
from docjobs.core.settings import get_settings

LIMIT_SK = "CREDITS"
USAGE_SK_PREFIX = "USAGE#"


def _key(tenant_id: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": f"T#{tenant_id}"}, "sk": {"S": sk}}


def _usage_update(
    tenant_id: str, period: str, deltas: dict[str, int], condition: tuple[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    names = {f"#a{i}": name for i, name in enumerate(deltas)}
    values: dict[str, Any] = {f":d{i}": {"N": str(n)} for i, n in enumerate(deltas.values())}
    update: dict[str, Any] = {
        "TableName": get_settings().jobs_table_name,
        "Key": _key(tenant_id, USAGE_SK_PREFIX + period),
        "UpdateExpression": "ADD " + ", ".join(f"#a{i} :d{i}" for i in range(len(deltas))),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    if condition is not None:
        expression, condition_values = condition
        update["ConditionExpression"] = expression
        update["ExpressionAttributeNames"]["#spent"] = "spent"
        update["ExpressionAttributeValues"].update(condition_values)
    return {"Update": update}


def reserve_item(tenant_id: str, job_type: str, credits: JobCredits, limit: int) -> dict[str, Any]:
    """Reserve ``credits.cost`` unless that would take the month past ``limit`` (0: no limit)."""
    deltas = {"spent": credits.cost, "reserved": credits.cost, f"r_{job_type}": credits.cost}
    condition = None
    if limit > 0:
        condition = (
            "attribute_not_exists(#spent) OR #spent <= :most",
            {":most": {"N": str(limit - credits.cost)}},
        )
        if credits.cost > limit:  # never fits, even in an empty month
            condition = ("attribute_exists(#spent) AND attribute_not_exists(#spent)", {})
    return _usage_update(tenant_id, credits.period, deltas, condition)


def commit_item(tenant_id: str, job_type: str, credits: JobCredits) -> dict[str, Any]:
    deltas = {"used": credits.cost, "reserved": -credits.cost}
    deltas |= {f"u_{job_type}": credits.cost, f"r_{job_type}": -credits.cost}
    return _usage_update(tenant_id, credits.period, deltas)


def release_item(tenant_id: str, job_type: str, credits: JobCredits) -> dict[str, Any]:
    deltas = {"spent": -credits.cost, "reserved": -credits.cost, f"r_{job_type}": -credits.cost}
    return _usage_update(tenant_id, credits.period, deltas)


def credit_limit(tenant_id: str) -> int:
    """The tenant's monthly limit (0 = unlimited)."""
    item = (
        aws_clients.dynamodb()
        .get_item(
            TableName=get_settings().jobs_table_name, Key=_key(tenant_id, LIMIT_SK), ConsistentRead=True
        )
        .get("Item")
    )
    if item is None or "credits_limit" not in item:
        return get_settings().default_monthly_credits
    return int(item["credits_limit"]["N"])


def set_credit_limit(tenant_id: str, credits: int) -> None:
    aws_clients.dynamodb().put_item(
        TableName=get_settings().jobs_table_name,
        Item={**_key(tenant_id, LIMIT_SK), "credits_limit": {"N": str(int(credits))}},
    )


@dataclass(frozen=True)
class Usage:
    period: str
    limit: int
    used: int
    reserved: int
    by_type: dict[str, dict[str, int]]

    @property
    def remaining(self) -> int | None:
        return None if self.limit == 0 else self.limit - self.used - self.reserved


def usage(tenant_id: str, period: str) -> Usage:
    """The month's usage: two strongly consistent GetItems, no scan of jobs."""
    item = (
        aws_clients.dynamodb()
        .get_item(
            TableName=get_settings().jobs_table_name,
            Key=_key(tenant_id, USAGE_SK_PREFIX + period),
            ConsistentRead=True,
        )
        .get("Item")
        or {}
    )
    numbers = {name: int(value["N"]) for name, value in item.items() if "N" in value}
    by_type: dict[str, dict[str, int]] = {}
    for name, value in numbers.items():
        if name[:2] in ("u_", "r_") and value:
            entry = by_type.setdefault(name[2:], {"used": 0, "reserved": 0})
            entry["used" if name[0] == "u" else "reserved"] = value
    return Usage(
        period=period,
        limit=credit_limit(tenant_id),
        used=numbers.get("used", 0),
        reserved=numbers.get("reserved", 0),
        by_type=by_type,
    )
