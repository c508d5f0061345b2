"""API keys: created once for a tenant, stored only as a SHA-256 hash.

Keys are 256-bit random tokens, so a fast hash is enough (nothing to brute-force);
see docs/decisions.md. Run ``python -m docjobs.adapters.api_keys --tenant acme`` (or
``make api-key TENANT=acme``) to create one: the key is printed once and never stored.
"""

from __future__ import annotations

import hashlib
import secrets
import sys

from pydantic import BaseModel

from docjobs.adapters import aws_clients
from docjobs.core.errors import InputValidationError
from docjobs.core.settings import get_settings
from docjobs.core.values import format_timestamp, utc_now

KEY_PREFIX = "dj_"
_TENANT_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


class ApiKeyOwner(BaseModel):
    tenant_id: str
    name: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def validate_tenant_id(tenant_id: str) -> str:
    if not (1 <= len(tenant_id) <= 64) or not set(tenant_id) <= _TENANT_CHARS:
        raise InputValidationError("tenant id must be 1 to 64 letters, digits, '-' or '_'")
    return tenant_id


def create_api_key(tenant_id: str, name: str = "default", *, key: str | None = None) -> str:
    """Store the hash of a new key for ``tenant_id`` and return the key (shown once)."""
    validate_tenant_id(tenant_id)
    plaintext = key or KEY_PREFIX + secrets.token_urlsafe(32)
    if len(plaintext) < 16:
        raise InputValidationError("an API key must be at least 16 characters")
    aws_clients.dynamodb().put_item(
        TableName=get_settings().api_keys_table_name,
        Item={
            "key_hash": {"S": hash_key(plaintext)},
            "tenant_id": {"S": tenant_id},
            "name": {"S": name},
            "key_hint": {"S": plaintext[:7]},
            "created_at": {"S": format_timestamp(utc_now())},
        },
    )
    return plaintext


def find_key_owner(key: str) -> ApiKeyOwner | None:
    """The tenant a key belongs to, or None: one GetItem on the key's hash."""
    if not key:
        return None
    item = (
        aws_clients.dynamodb()
        .get_item(
            TableName=get_settings().api_keys_table_name,
            Key={"key_hash": {"S": hash_key(key)}},
            ProjectionExpression="tenant_id, #n, revoked",
            ExpressionAttributeNames={"#n": "name"},
        )
        .get("Item")
    )
    if item is None or item.get("revoked", {}).get("BOOL"):
        return None
    return ApiKeyOwner(tenant_id=item["tenant_id"]["S"], name=item.get("name", {}).get("S", ""))


def main(argv: list[str] | None = None) -> None:
    import argparse  # the command line only: the authorizer never parses arguments

    parser = argparse.ArgumentParser(
        description="Create a docjobs API key for a tenant (printed once), and/or set the tenant's "
        "monthly credit limit."
    )
    parser.add_argument("--tenant", required=True, help="tenant id: letters, digits, '-' or '_'")
    parser.add_argument("--name", default="default", help="a label for the key")
    parser.add_argument("--table", help="API keys table name (default: $API_KEYS_TABLE_NAME)")
    parser.add_argument("--jobs-table", help="jobs table name, for --credits (default: $JOBS_TABLE_NAME)")
    parser.add_argument(
        "--credits",
        type=int,
        help="set the tenant's monthly credit limit (0 = unlimited); with --no-key, only that",
    )
    parser.add_argument(
        "--no-key", action="store_true", help="change the credit limit without creating a key"
    )
    args = parser.parse_args(argv)
    import os

    if args.table:
        os.environ["API_KEYS_TABLE_NAME"] = args.table
    if args.jobs_table:
        os.environ["JOBS_TABLE_NAME"] = args.jobs_table
    os.environ.setdefault("JOBS_TABLE_NAME", "unused")
    os.environ.setdefault("DOCUMENTS_BUCKET_NAME", "unused")
    get_settings.cache_clear()
    validate_tenant_id(args.tenant)
    if args.credits is not None:
        if args.credits < 0:
            parser.error("--credits must be 0 (unlimited) or more")
        if get_settings().jobs_table_name == "unused":
            parser.error("--credits needs --jobs-table (or $JOBS_TABLE_NAME)")
        from docjobs.adapters.ledger import set_credit_limit

        set_credit_limit(args.tenant, args.credits)
        print(f"{args.tenant}: monthly credit limit {args.credits or 'unlimited'}", file=sys.stderr)
    elif args.no_key:
        parser.error("--no-key needs --credits")
    if not args.no_key:
        print(create_api_key(args.tenant, args.name))


if __name__ == "__main__":
    main()
