"""boto3 clients, created on first use and reused across warm invocations.

Nothing is created at import time; tests (moto) and the local runtime reset them
with ``reset_clients()`` after changing the endpoint.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient

#: Connections each client keeps per host. One Lambda request at a time needs few; the local
#: runtime serves concurrent requests from one process through these same (cached) clients, and
#: botocore's default of 10 made urllib3 drop connections ("pool is full") above 10 at once.
MAX_POOL_CONNECTIONS = 64

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=MAX_POOL_CONNECTIONS,
)


@cache
def _client(service: str, signature_version: str | None = None) -> Any:
    config = _CONFIG.merge(Config(signature_version=signature_version)) if signature_version else _CONFIG
    return boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]


def dynamodb() -> DynamoDBClient:
    return _client("dynamodb")  # type: ignore[no-any-return]


def s3() -> S3Client:
    # SigV4 so presigned URLs work in every region.
    return _client("s3", "s3v4")  # type: ignore[no-any-return]


def stepfunctions() -> SFNClient:
    return _client("stepfunctions")  # type: ignore[no-any-return]


def sqs() -> Any:
    return _client("sqs")


def textract() -> Any:
    # Bounded SDK retries; the state machine's Retry on TransientError does the long back-off.
    return _client("textract")


@cache
def bedrock_runtime(region: str = "", read_timeout: float = 120.0) -> Any:
    """Bedrock Runtime (Converse). Two quick SDK retries; the state machine does the long back-off."""
    config = Config(
        retries={"mode": "standard", "max_attempts": 2},
        connect_timeout=5,
        read_timeout=read_timeout,
        max_pool_connections=MAX_POOL_CONNECTIONS,
    )
    session = boto3.session.Session()
    return session.client("bedrock-runtime", config=config, region_name=region or None)


def comprehend() -> Any:
    return _client("comprehend")


def reset_clients() -> None:
    _client.cache_clear()
    bedrock_runtime.cache_clear()
