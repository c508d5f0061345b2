"""How many job executions may run at once (``MaxConcurrentJobs``): a counting semaphore in the
jobs table, so a burst of submissions waits ``queued`` instead of starting thousands of
executions that then fail on throttling.

One counter item (``running``) and one slot item per running job, changed together in a
transaction: taking a slot twice (a redelivered intake message) or giving it back twice (a
redelivered execution-end event) changes nothing, and the counter item stays small however many
jobs run.
"""

from __future__ import annotations

import random
import time

from botocore.exceptions import ClientError

from docjobs.adapters import aws_clients
from docjobs.core.settings import get_settings

CAPACITY_PK = "CAPACITY"
COUNTER_SK = "RUNNING"
SLOT_SK_PREFIX = "SLOT#"
_ATTEMPTS = 6


def _key(sk: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": CAPACITY_PK}, "sk": {"S": sk}}


def _reasons(exc: ClientError) -> list[str]:
    return [str(r.get("Code")) for r in exc.response.get("CancellationReasons", [])]


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, min(1.0, 0.05 * 2**attempt)))  # noqa: S311 - full jitter


def acquire(job_id: str, limit: int | None = None, tenant_id: str | None = None) -> bool:
    """Take a slot for ``job_id``: False when ``limit`` executions already hold one. The slot
    names the job's tenant, so a sweep can find a slot whose job has ended (``held_slots``)."""
    settings = get_settings()
    limit = settings.max_concurrent_jobs if limit is None else limit
    for attempt in range(_ATTEMPTS):
        try:
            aws_clients.dynamodb().transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": settings.jobs_table_name,
                            "Key": _key(COUNTER_SK),
                            "UpdateExpression": "ADD running :one",
                            "ConditionExpression": "attribute_not_exists(running) OR running < :limit",
                            "ExpressionAttributeValues": {":one": {"N": "1"}, ":limit": {"N": str(limit)}},
                        }
                    },
                    {
                        "Put": {
                            "TableName": settings.jobs_table_name,
                            "Item": {
                                **_key(SLOT_SK_PREFIX + job_id),
                                "taken_at": {"N": str(int(time.time()))},
                                **({"tenant_id": {"S": tenant_id}} if tenant_id else {}),
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
            return True
        except ClientError as exc:
            reasons = _reasons(exc)
            if len(reasons) == 2 and reasons[1] == "ConditionalCheckFailed":
                return True  # this job already holds its slot
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False  # full
            if "TransactionConflict" not in reasons or attempt == _ATTEMPTS - 1:
                raise
            _backoff(attempt)
    return False


def release(job_id: str) -> bool:
    """Give back ``job_id``'s slot; False when it held none (never started, or already released)."""
    table = get_settings().jobs_table_name
    for attempt in range(_ATTEMPTS):
        try:
            aws_clients.dynamodb().transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": table,
                            "Key": _key(SLOT_SK_PREFIX + job_id),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": table,
                            "Key": _key(COUNTER_SK),
                            "UpdateExpression": "ADD running :minus_one",
                            "ConditionExpression": "running > :zero",
                            "ExpressionAttributeValues": {":minus_one": {"N": "-1"}, ":zero": {"N": "0"}},
                        }
                    },
                ]
            )
            return True
        except ClientError as exc:
            reasons = _reasons(exc)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False
            if "TransactionConflict" not in reasons or attempt == _ATTEMPTS - 1:
                raise
            _backoff(attempt)
    return False


def running() -> int:
    """Executions holding a slot now."""
    item = (
        aws_clients.dynamodb()
        .get_item(TableName=get_settings().jobs_table_name, Key=_key(COUNTER_SK), ConsistentRead=True)
        .get("Item")
    )
    return int(item["running"]["N"]) if item and "running" in item else 0


def held_slots(older_than_seconds: float) -> list[tuple[str, str | None]]:
    """``(job_id, tenant_id)`` of the slots taken more than ``older_than_seconds`` ago."""
    settings = get_settings()
    cutoff = time.time() - older_than_seconds
    paginator = aws_clients.dynamodb().get_paginator("query")
    held: list[tuple[str, str | None]] = []
    for page in paginator.paginate(
        TableName=settings.jobs_table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :slot)",
        ExpressionAttributeValues={":pk": {"S": CAPACITY_PK}, ":slot": {"S": SLOT_SK_PREFIX}},
        ConsistentRead=True,
    ):
        for item in page.get("Items", []):
            if int(item.get("taken_at", {}).get("N", "0")) <= cutoff:
                tenant = item.get("tenant_id", {}).get("S")
                held.append((item["sk"]["S"][len(SLOT_SK_PREFIX) :], tenant))
    return held
