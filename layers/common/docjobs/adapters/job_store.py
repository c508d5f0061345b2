"""Data access for the jobs table: the only module that reads or writes job items.

Table design (template.yaml ``JobsTable``; rationale in docs/decisions.md):

* job item: ``pk = T#<tenant>``, ``sk = J#<job id>`` (UUIDv7, so ``sk`` sorts by
  creation time and a descending Query lists newest first);
* GSIs share the range key ``sk``: ``ByStatus`` (``gsi1pk = T#<tenant>#S#<status>``),
  ``ByType`` (``gsi2pk = T#<tenant>#Y#<type>``), ``ByStatusType``
  (``gsi3pk = T#<tenant>#S#<status>#Y#<type>``);
* one counter item per tenant: ``pk = T#<tenant>``, ``sk = COUNTS``, with a number per
  filter (``c_all``, ``c_s_<status>``, ``c_y_<type>``, ``c_sy_<status>_<type>``), changed in
  the same transaction as every insert and status change, so ``total`` is one GetItem;
* every write of a job is conditional on its ``version`` (optimistic concurrency) and
  on it not being terminal: once completed, failed or cancelled, it never changes.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from docjobs.adapters import aws_clients
from docjobs.core.errors import ConflictError, InputValidationError, NotFoundError
from docjobs.core.models import TERMINAL_STATUSES, JobListing, JobRecord, WebhookDelivery
from docjobs.core.settings import get_settings

COUNTS_SK = "COUNTS"
JOB_SK_PREFIX = "J#"
_MAX_WRITE_ATTEMPTS = 5
#: ``:t0, :t1, ...`` → each terminal status, for the "not terminal" write condition.
_TERMINAL_VALUES = {f":t{i}": {"S": status} for i, status in enumerate(sorted(TERMINAL_STATUSES))}
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class JobAlreadyTerminalError(ConflictError):
    """The job is completed, failed or cancelled: its status can no longer change."""

    def __init__(self, job_id: str, status: str) -> None:
        super().__init__(f"job {job_id} is already {status}; its status can no longer change")
        self.job_id = job_id
        self.status = status


class LinkedWriteRefused(Exception):
    """A write made in the same transaction as a job change (``update_job(..., also=...)``) had
    its condition fail: nothing was written. ``index`` is its place in the ``also`` list."""

    def __init__(self, index: int) -> None:
        super().__init__(f"linked write {index} refused by its condition")
        self.index = index


class JobAlreadyExistsError(ConflictError):
    """A job with that id exists (a redelivered upload event derives the same id)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id} already exists")
        self.job_id = job_id


@dataclass(frozen=True)
class JobPage:
    jobs: list[JobListing]
    total: int
    has_more: bool
    next_token: str | None


# ---------------------------------------------------------------- keys


def _tenant_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def _index_keys(tenant_id: str, status: str, job_type: str) -> dict[str, str]:
    return {
        "gsi1pk": f"T#{tenant_id}#S#{status}",
        "gsi2pk": f"T#{tenant_id}#Y#{job_type}",
        "gsi3pk": f"T#{tenant_id}#S#{status}#Y#{job_type}",
    }


def _count_attributes(status: str, job_type: str) -> list[str]:
    return ["c_all", f"c_s_{status}", f"c_y_{job_type}", f"c_sy_{status}_{job_type}"]


def _count_attribute(status: str | None, job_type: str | None) -> str:
    if status and job_type:
        return f"c_sy_{status}_{job_type}"
    if status:
        return f"c_s_{status}"
    if job_type:
        return f"c_y_{job_type}"
    return "c_all"


# ---------------------------------------------------------------- (de)serialisation


def _to_dynamo(value: Any) -> dict[str, Any]:
    # JSON round trip: floats become Decimal, datetimes are already ISO strings.
    plain = json.loads(json.dumps(value), parse_float=Decimal)
    return {k: _serializer.serialize(v) for k, v in plain.items() if v is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _from_dynamo(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _job_item(job: JobRecord, version: int) -> dict[str, Any]:
    item = _to_dynamo(job.model_dump(mode="json"))
    item.update(
        _to_dynamo(
            {
                "pk": _tenant_pk(job.tenant_id),
                "sk": JOB_SK_PREFIX + job.id,
                "version": version,
                **_index_keys(job.tenant_id, job.status, job.type),
            }
        )
    )
    return item


def _job_from_item(item: dict[str, Any]) -> tuple[JobRecord, int]:
    data = _from_dynamo(item)
    return JobRecord.model_validate(data), int(data.get("version", 0))


# ---------------------------------------------------------------- writes


def _counter_update(tenant_id: str, add: list[str], subtract: list[str]) -> dict[str, Any]:
    """One UpdateItem on the tenant's counter item: +1 for ``add``, -1 for ``subtract``.

    Attributes in both lists (``c_all`` and the type's count on a status change) cancel out.
    """
    delta: dict[str, int] = {}
    for attr in add:
        delta[attr] = delta.get(attr, 0) + 1
    for attr in subtract:
        delta[attr] = delta.get(attr, 0) - 1
    changes = {attr: n for attr, n in delta.items() if n}
    names = {f"#c{i}": attr for i, attr in enumerate(changes)}
    values = {f":n{i}": {"N": str(n)} for i, n in enumerate(changes.values())}
    return {
        "Update": {
            "TableName": get_settings().jobs_table_name,
            "Key": {"pk": {"S": _tenant_pk(tenant_id)}, "sk": {"S": COUNTS_SK}},
            "UpdateExpression": "ADD " + ", ".join(f"#c{i} :n{i}" for i in range(len(changes))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def create_job(job: JobRecord) -> None:
    """Insert a new job and count it, in one transaction."""
    table = get_settings().jobs_table_name
    items = [
        {
            "Put": {
                "TableName": table,
                "Item": _job_item(job, version=1),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        _counter_update(job.tenant_id, _count_attributes(job.status, job.type), []),
    ]
    for attempt in range(_MAX_WRITE_ATTEMPTS):
        try:
            aws_clients.dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise JobAlreadyExistsError(job.id) from exc
            # A burst of submissions for one tenant contends on its counter item: retry with
            # full jitter rather than failing the submission.
            if "TransactionConflict" not in reasons or attempt == _MAX_WRITE_ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0, min(1.0, 0.05 * 2**attempt)))  # noqa: S311 - jitter


def update_job(
    tenant_id: str,
    job_id: str,
    change: Callable[[JobRecord], JobRecord | None],
    also: Callable[[JobRecord, JobRecord], list[dict[str, Any]]] | None = None,
) -> JobRecord:
    """Apply ``change`` to the current record and write it back conditionally.

    ``change`` receives the current (non-terminal) record and returns the new one, or
    ``None`` to write nothing. The write is conditional on the version read, so a
    concurrent writer makes us re-read and re-apply; when the status changes the
    tenant's counters move in the same transaction. ``also(current, updated)`` gives more
    TransactWriteItems entries written in the same transaction (the credit ledger); if one's
    condition fails, nothing is written and ``LinkedWriteRefused`` says which. Raises
    ``NotFoundError`` and ``JobAlreadyTerminalError`` (nothing is written to a terminal job).
    """
    table = get_settings().jobs_table_name
    client = aws_clients.dynamodb()
    for _ in range(_MAX_WRITE_ATTEMPTS):
        current, version = _read_job(tenant_id, job_id)
        if current.is_terminal:
            raise JobAlreadyTerminalError(job_id, current.status)
        updated = change(current.model_copy(deep=True))
        if updated is None:
            return current
        linked = also(current, updated) if also else []  # may complete ``updated`` too
        put: dict[str, Any] = {
            "Put": {
                "TableName": table,
                "Item": _job_item(updated, version=version + 1),
                "ConditionExpression": f"#v = :v AND NOT (#st IN ({', '.join(_TERMINAL_VALUES)}))",
                "ExpressionAttributeNames": {"#v": "version", "#st": "status"},
                "ExpressionAttributeValues": {":v": {"N": str(version)}, **_TERMINAL_VALUES},
            }
        }
        items: list[dict[str, Any]] = [put]
        if updated.status != current.status:
            items.append(
                _counter_update(
                    tenant_id,
                    add=_count_attributes(updated.status, updated.type),
                    subtract=_count_attributes(current.status, current.type),
                )
            )
        first_linked = len(items)
        items.extend(linked)
        try:
            if len(items) == 1:
                client.put_item(**put["Put"])
            else:
                client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return updated
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons", [])
            for index, reason in enumerate(reasons[first_linked:]):
                if reason.get("Code") == "ConditionalCheckFailed":
                    raise LinkedWriteRefused(index) from exc
            if not _is_condition_failure(exc):
                raise
    raise ConflictError(f"job {job_id} is being changed concurrently; try again")


def record_webhook_attempt(tenant_id: str, job_id: str, delivery: WebhookDelivery) -> None:
    """Store the webhook delivery status of an ended job (the one write a terminal job takes:
    it changes neither its status nor its version)."""
    try:
        aws_clients.dynamodb().update_item(
            TableName=get_settings().jobs_table_name,
            Key={"pk": {"S": _tenant_pk(tenant_id)}, "sk": {"S": JOB_SK_PREFIX + job_id}},
            UpdateExpression="SET #w = :w",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#w": "webhook"},
            ExpressionAttributeValues={":w": _to_dynamo({"w": delivery.model_dump(mode="json")})["w"]},
        )
    except ClientError as exc:
        if not _is_condition_failure(exc):
            raise
        raise NotFoundError(f"job {job_id} not found") from exc


def _is_condition_failure(exc: ClientError) -> bool:
    code = exc.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = exc.response.get("CancellationReasons", [])
        return any(r.get("Code") in {"ConditionalCheckFailed", "TransactionConflict"} for r in reasons)
    return False


# ---------------------------------------------------------------- reads


def _read_job(tenant_id: str, job_id: str) -> tuple[JobRecord, int]:
    response = aws_clients.dynamodb().get_item(
        TableName=get_settings().jobs_table_name,
        Key={"pk": {"S": _tenant_pk(tenant_id)}, "sk": {"S": JOB_SK_PREFIX + job_id}},
        ConsistentRead=True,
    )
    item = response.get("Item")
    if item is None:
        raise NotFoundError(f"job {job_id} not found")
    return _job_from_item(item)


def get_job(tenant_id: str, job_id: str) -> JobRecord:
    """One strongly consistent GetItem. Another tenant's job is simply not found."""
    return _read_job(tenant_id, job_id)[0]


def count_jobs(tenant_id: str, *, status: str | None = None, job_type: str | None = None) -> int:
    response = aws_clients.dynamodb().get_item(
        TableName=get_settings().jobs_table_name,
        Key={"pk": {"S": _tenant_pk(tenant_id)}, "sk": {"S": COUNTS_SK}},
        ProjectionExpression="#c",
        ExpressionAttributeNames={"#c": _count_attribute(status, job_type)},
        ConsistentRead=True,
    )
    value = response.get("Item", {}).get(_count_attribute(status, job_type))
    return max(0, int(value["N"])) if value else 0


def encode_page_token(job_id: str, status: str | None, job_type: str | None) -> str:
    raw = json.dumps({"after": job_id, "status": status, "type": job_type}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_page_token(token: str, status: str | None, job_type: str | None) -> str:
    """The job id a page token continues after; refuses a token made for other filters."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict) or set(data) != {"after", "status", "type"}:
            raise ValueError("not a page token")
        after = data["after"]
        # Job ids are canonical UUIDs: anything else was not made by encode_page_token.
        if not isinstance(after, str) or str(uuid.UUID(after)) != after:
            raise ValueError("not a job id")
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise InputValidationError("page_token is not a token this API returned") from exc
    if data.get("status") != status or data.get("type") != job_type:
        raise InputValidationError("page_token was made for other filters: repeat the same status and type")
    return after


def list_jobs(
    tenant_id: str,
    *,
    status: str | None,
    job_type: str | None,
    limit: int,
    offset: int = 0,
    page_token: str | None = None,
) -> JobPage:
    """One page of a tenant's jobs, newest first, by Query on the table or a GSI.

    With ``page_token`` the Query starts right after the token's job: ``limit + 1``
    reads. With ``offset`` the first ``offset`` matches are read and dropped.
    ``total`` is one GetItem on the counter item.
    """
    after = decode_page_token(page_token, status, job_type) if page_token else None
    pk_value = _tenant_pk(tenant_id)
    index_name: str | None = None
    pk_name = "pk"
    if status or job_type:
        keys = _index_keys(tenant_id, status or "", job_type or "")
        if status and job_type:
            index_name, pk_name = "ByStatusType", "gsi3pk"
        elif status:
            index_name, pk_name = "ByStatus", "gsi1pk"
        else:
            index_name, pk_name = "ByType", "gsi2pk"
        pk_value = keys[pk_name]

    # Only the listing's attributes: a page moves a fraction of the bytes of whole job items.
    listing_names = {f"#l{i}": name for i, name in enumerate(JobListing.model_fields)}
    query: dict[str, Any] = {
        "TableName": get_settings().jobs_table_name,
        "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
        "ProjectionExpression": ", ".join(listing_names),
        "ExpressionAttributeNames": {"#pk": pk_name, "#sk": "sk", **listing_names},
        "ExpressionAttributeValues": {":pk": {"S": pk_value}, ":prefix": {"S": JOB_SK_PREFIX}},
        "ScanIndexForward": False,
    }
    if index_name:
        query["IndexName"] = index_name
    if after:
        # Rebuilt from the tenant and filters, never taken from the client, so a token
        # cannot reach into another tenant's partition.
        start = {"pk": {"S": _tenant_pk(tenant_id)}, "sk": {"S": JOB_SK_PREFIX + after}}
        if index_name:
            start[pk_name] = {"S": pk_value}
        query["ExclusiveStartKey"] = start

    wanted = offset + limit + 1
    items: list[dict[str, Any]] = []
    client = aws_clients.dynamodb()
    while len(items) < wanted:
        query["Limit"] = wanted - len(items)
        response = client.query(**query)
        items.extend(response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        if not last:
            break
        query["ExclusiveStartKey"] = last

    window = items[offset : offset + limit + 1]
    has_more = len(window) > limit
    jobs = [JobListing.model_validate(_from_dynamo(item)) for item in window[:limit]]
    next_token = encode_page_token(jobs[-1].id, status, job_type) if has_more and jobs else None
    total = count_jobs(tenant_id, status=status, job_type=job_type)
    return JobPage(jobs=jobs, total=total, has_more=has_more, next_token=next_token)


def forget_expired_job(old_image: dict[str, Any]) -> bool:
    """Take a job that TTL deleted out of its tenant's counts (DynamoDB stream REMOVE).

    Returns False for items that are not jobs.
    """
    item = _from_dynamo(old_image)
    if not str(item.get("sk", "")).startswith(JOB_SK_PREFIX):
        return False
    tenant_id = str(item["tenant_id"])
    update = _counter_update(tenant_id, [], _count_attributes(str(item["status"]), str(item["type"])))
    aws_clients.dynamodb().update_item(**update["Update"])
    return True
