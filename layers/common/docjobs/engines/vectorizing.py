"""Vectorizing chunks with Pinecone's hosted ``llama-text-embed-v2`` (pipeline layer only).

:func:`vectorize_chunks` embeds chunk texts with ``pc.inference.embed`` in batches of at most 96
inputs (the model's limit) and upserts the vectors to one index (``pc.Index(host=...)``) into the
tenant's namespace, with ids ``{document_id}#{chunk_id}`` (so running again overwrites) and
metadata ``{job_id, document_id, chunk_id, page_start, page_end, text}``. ``text`` is cut on a
character (UTF-8) boundary so the metadata stays under Pinecone's 40 KB per-vector limit; upsert
requests stay within 1,000 vectors and 2 MB. Only one embed batch and one upsert batch are held
in memory at a time.

Configuration (environment, read when called — never at import):

* ``PINECONE_SECRET_ARN`` — Secrets Manager secret holding the API key (plain string, or JSON
  with ``api_key``), read through Powertools parameters, cached for 5 minutes across invocations.
* ``PINECONE_API_KEY`` — the key itself, when there is no secret (local runtime only).
* ``PINECONE_INDEX_HOST`` — the index's data-plane host (``https://<index>-<project>.svc...``).
* ``EMBED_DIMENSION`` — 384, 512, 768, 1024 (default) or 2048; must match the index.
* ``PINECONE_CONTROLLER_HOST`` — optional, read by the SDK itself: the control-plane base URL,
  which the SDK's inference client (``/embed``) uses too. Tests and the local runtime point it
  (or :attr:`VectorizeSettings.controller_host`, passed as ``Pinecone(host=...)``) at
  ``tests/fakes/pinecone_server.py``, and ``PINECONE_INDEX_HOST`` at the same ``http://`` URL.

Errors: HTTP 429 and 5xx (and network failures) raise ``TransientError`` — the state machine
retries, this module never loops on them (the SDK's own urllib3 retry makes at most 5 quick
attempts on 5xx); 401/403 raise :class:`ConfigurationError` naming the setting to check; 400
raises ``InputValidationError`` with Pinecone's message.

IAM: ``secretsmanager:GetSecretValue`` on ``PINECONE_SECRET_ARN`` (plus ``kms:Decrypt`` when the
secret uses a customer-managed key). Pinecone itself is reached over HTTPS, not IAM.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from docjobs.core.errors import (
    ConfigurationError,
    DocjobsError,
    InputValidationError,
    ThrottledError,
    TransientError,
)
from docjobs.core.settings import get_pinecone_settings

if TYPE_CHECKING:
    from docjobs.engines.chunking import Chunk

logger = logging.getLogger(__name__)

EMBED_MODEL = "llama-text-embed-v2"
SUPPORTED_DIMENSIONS = (384, 512, 768, 1024, 2048)
#: llama-text-embed-v2 accepts at most 96 inputs per embed request.
EMBED_MAX_BATCH = 96
#: Pinecone's upsert limits: 1,000 vectors and 2 MB per request.
UPSERT_MAX_VECTORS = 1000
UPSERT_MAX_BYTES = 2 * 1024 * 1024
#: Room kept under 2 MB for the request envelope and the SDK's serialization.
UPSERT_BYTES_MARGIN = 16 * 1024
#: Pinecone's metadata limit per vector is 40 KB; we stay a little under it.
METADATA_MAX_BYTES = 40 * 1024
METADATA_BYTES_MARGIN = 512
SECRET_MAX_AGE_SECONDS = 300

ENV_SECRET_ARN = "PINECONE_SECRET_ARN"  # noqa: S105 - an env var name, not a secret
ENV_API_KEY = "PINECONE_API_KEY"
ENV_INDEX_HOST = "PINECONE_INDEX_HOST"
ENV_DIMENSION = "EMBED_DIMENSION"


class VectorizeSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    api_key: SecretStr
    index_host: str = Field(min_length=1)
    dimension: int = 1024
    model: str = EMBED_MODEL
    #: Control/inference plane base URL; ``None`` lets the SDK decide (env
    #: ``PINECONE_CONTROLLER_HOST`` or https://api.pinecone.io).
    controller_host: str | None = None
    #: Where the key came from, named in error messages ("secret PINECONE_SECRET_ARN (arn:...)").
    api_key_source: str = ENV_API_KEY
    embed_batch_size: int = Field(default=EMBED_MAX_BATCH, ge=1, le=EMBED_MAX_BATCH)
    upsert_max_vectors: int = Field(default=UPSERT_MAX_VECTORS, ge=1, le=UPSERT_MAX_VECTORS)
    upsert_max_bytes: int = Field(
        default=UPSERT_MAX_BYTES - UPSERT_BYTES_MARGIN, ge=64 * 1024, le=UPSERT_MAX_BYTES
    )

    @field_validator("dimension")
    @classmethod
    def _supported_dimension(cls, value: int) -> int:
        if value not in SUPPORTED_DIMENSIONS:
            raise ValueError(f"{EMBED_MODEL} supports dimensions {SUPPORTED_DIMENSIONS}, not {value}")
        return value

    @classmethod
    def from_env(cls) -> VectorizeSettings:
        """Settings from the environment; the key from Secrets Manager when a secret is set.

        Raises ``ConfigurationError`` when vectorizing is not configured, ``TransientError`` when
        Secrets Manager is throttled or unreachable.
        """
        configured, reason = vectorizing_status()
        if not configured:
            raise ConfigurationError(f"Vectorizing is not configured: {reason}")
        env = get_pinecone_settings()
        secret_arn = env.pinecone_secret_arn.strip()
        if secret_arn:
            api_key = _api_key_from_secret(secret_arn)
            source = f"secret {ENV_SECRET_ARN} ({secret_arn})"
        else:
            api_key = env.pinecone_api_key.strip()
            source = f"environment variable {ENV_API_KEY}"
        return cls(
            api_key=SecretStr(api_key),
            index_host=env.pinecone_index_host.strip(),
            dimension=int(env.embed_dimension or 1024),
            api_key_source=source,
        )


class VectorizeResult(BaseModel):
    vector_count: int
    index_host: str
    namespace: str
    model: str
    dimension: int


def vectorizing_status() -> tuple[bool, str]:
    """Whether vectorizing is configured here and, if not, why (for ``result.metadata``).

    Looks at the environment only (no call to Secrets Manager or Pinecone).
    """
    env = get_pinecone_settings()
    if not env.pinecone_secret_arn.strip() and not env.pinecone_api_key.strip():
        return False, f"no Pinecone API key: set {ENV_SECRET_ARN} (or {ENV_API_KEY} locally)"
    if not env.pinecone_index_host.strip():
        return False, f"no Pinecone index: set {ENV_INDEX_HOST}"
    raw_dimension = env.embed_dimension or "1024"
    try:
        dimension = int(raw_dimension)
    except ValueError:
        return False, f"{ENV_DIMENSION}={raw_dimension!r} is not a number"
    if dimension not in SUPPORTED_DIMENSIONS:
        return False, f"{ENV_DIMENSION}={dimension} is not one of {EMBED_MODEL}'s {SUPPORTED_DIMENSIONS}"
    return True, "configured"


# --------------------------------------------------------------------------- API key


def _api_key_from_secret(secret_arn: str) -> str:
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        value = parameters.get_secret(secret_arn, max_age=SECRET_MAX_AGE_SECONDS)
    except GetParameterError as exc:
        cause = exc.__cause__ or exc.__context__
        code = ""
        response = getattr(cause, "response", None)
        if isinstance(response, dict):
            code = str(response.get("Error", {}).get("Code", ""))
        if code in {"ThrottlingException", "InternalServiceError", "InternalServiceErrorException"} or (
            cause is not None and response is None
        ):
            raise TransientError(f"Could not read the Pinecone API key from {ENV_SECRET_ARN}: {exc}") from exc
        raise ConfigurationError(
            f"Could not read the Pinecone API key: check the secret {ENV_SECRET_ARN}={secret_arn} "
            f"and the function's secretsmanager:GetSecretValue permission ({exc})"
        ) from exc
    text = value.decode() if isinstance(value, bytes) else str(value)
    return _key_from_secret_string(text, secret_arn)


def _key_from_secret_string(text: str, secret_arn: str) -> str:
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            for name in ("api_key", "apiKey", "PINECONE_API_KEY", "pinecone_api_key"):
                if isinstance(data.get(name), str) and data[name].strip():
                    return str(data[name]).strip()
            raise ConfigurationError(
                f"The secret {ENV_SECRET_ARN}={secret_arn} is JSON without an 'api_key' field"
            )
    if not text:
        raise ConfigurationError(f"The secret {ENV_SECRET_ARN}={secret_arn} is empty")
    return text


# --------------------------------------------------------------------------- SDK client and errors


@lru_cache(maxsize=4)
def _pinecone(api_key: str, controller_host: str | None) -> Any:
    from pinecone import Pinecone

    if controller_host:
        return Pinecone(api_key=api_key, host=controller_host, source_tag="docjobs")
    return Pinecone(api_key=api_key, source_tag="docjobs")


@lru_cache(maxsize=4)
def _index(api_key: str, controller_host: str | None, index_host: str) -> Any:
    return _pinecone(api_key, controller_host).Index(host=index_host)


def reset_clients() -> None:
    """Forget cached SDK clients (tests, key rotation)."""
    _index.cache_clear()
    _pinecone.cache_clear()


def _pinecone_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body:
        try:
            data = json.loads(body)
        except json.JSONDecodeError:
            return body.strip()[:500]
        if isinstance(data, dict):
            error = data.get("error")
            if isinstance(error, dict) and error.get("message"):
                return str(error["message"])
            if data.get("message"):
                return str(data["message"])
        return body.strip()[:500]
    return str(getattr(exc, "reason", None) or exc).strip()


def _translate(exc: Exception, operation: str, settings: VectorizeSettings) -> DocjobsError | None:
    """The docjobs error for an SDK failure, or None when it is not one we recognise."""
    import urllib3.exceptions
    from pinecone.exceptions import PineconeApiException

    if isinstance(exc, PineconeApiException):
        status = int(exc.status or 0)
        message = _pinecone_message(exc)
        details: dict[str, object] = {"pinecone_status": status, "operation": operation}
        if status == 429:
            return ThrottledError(f"Pinecone {operation} is throttled (HTTP 429): {message}", details=details)
        if status >= 500:
            return TransientError(
                f"Pinecone {operation} failed with HTTP {status}: {message}", details=details
            )
        if status in (401, 403):
            return ConfigurationError(
                f"Pinecone rejected the API key (HTTP {status}) during {operation}: check the "
                f"{settings.api_key_source} — the key must belong to the project that owns the index "
                f"{ENV_INDEX_HOST}={settings.index_host}. Pinecone said: {message}",
                details=details,
            )
        if status == 404:
            return ConfigurationError(
                f"Pinecone {operation} returned 404: check {ENV_INDEX_HOST}={settings.index_host}. "
                f"Pinecone said: {message}",
                details=details,
            )
        if status == 400 or 400 <= status < 500:
            return InputValidationError(
                f"Pinecone {operation} rejected the request: {message}", details=details
            )
    if isinstance(exc, urllib3.exceptions.HTTPError):  # MaxRetryError, timeouts, connection resets
        return TransientError(f"Pinecone {operation} is unreachable: {exc}")
    return None


def _call[T](operation: str, settings: VectorizeSettings, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except DocjobsError:
        raise
    except Exception as exc:
        translated = _translate(exc, operation, settings)
        if translated is None:
            raise
        raise translated from exc


# --------------------------------------------------------------------------- vectors


def vector_id(document_id: str, chunk_id: str) -> str:
    return f"{document_id}#{chunk_id}"


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def chunk_metadata(
    chunk: Chunk,
    *,
    job_id: str,
    document_id: str,
    max_bytes: int = METADATA_MAX_BYTES - METADATA_BYTES_MARGIN,
) -> dict[str, Any]:
    """The vector's metadata, with ``text`` cut so the whole JSON is at most ``max_bytes``.

    Sizes are UTF-8 bytes of the JSON; the cut falls between characters, never inside one.
    ``text_truncated`` is set when the text was cut.
    """
    metadata: dict[str, Any] = {
        "job_id": job_id,
        "document_id": document_id,
        "chunk_id": str(chunk.id),
        "page_start": int(chunk.page_start),
        "page_end": int(chunk.page_end),
        "text": chunk.text,
    }
    if _json_size(metadata) <= max_bytes:
        return metadata
    metadata["text_truncated"] = True
    text = chunk.text
    # Longest prefix that fits: binary search over characters (JSON escaping varies per char).
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        metadata["text"] = text[:mid]
        if _json_size(metadata) <= max_bytes:
            lo = mid
        else:
            hi = mid - 1
    metadata["text"] = text[:lo]
    return metadata


def _request_size(vector: dict[str, Any]) -> int:
    # The SDK serializes with json.dumps defaults (ASCII escapes, ", " separators): measure so.
    return len(json.dumps(vector)) + 2


def _batched[T](items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def vectorize_chunks(
    chunks: Iterable[Chunk],
    *,
    tenant_id: str,
    job_id: str,
    document_id: str,
    settings: VectorizeSettings,
) -> VectorizeResult:
    """Embed and upsert ``chunks`` (streamed) into the tenant's namespace; see the module doc."""
    api_key = settings.api_key.get_secret_value()
    pc = _pinecone(api_key, settings.controller_host)
    index = _index(api_key, settings.controller_host, settings.index_host)
    namespace = tenant_id
    parameters = {"input_type": "passage", "truncate": "END", "dimension": settings.dimension}

    pending: list[dict[str, Any]] = []
    pending_bytes = 0
    upserted = 0

    def flush() -> None:
        nonlocal pending, pending_bytes, upserted
        if not pending:
            return
        batch = pending
        _call(
            "upsert",
            settings,
            lambda: index.upsert(
                # Our vectors are built with the right types: skip the SDK's per-value type check.
                vectors=batch,
                namespace=namespace,
                show_progress=False,
                _check_type=False,
            ),
        )
        upserted += len(batch)
        pending, pending_bytes = [], 0

    for batch in _batched(chunks, settings.embed_batch_size):
        texts = [chunk.text for chunk in batch]
        embeddings = _call(
            "embed",
            settings,
            partial(pc.inference.embed, model=settings.model, inputs=texts, parameters=parameters),
        )
        if len(embeddings) != len(batch):
            raise TransientError(f"Pinecone embed returned {len(embeddings)} vectors for {len(batch)} inputs")
        for chunk, embedding in zip(batch, embeddings, strict=True):
            values = [float(v) for v in embedding["values"]]
            if len(values) != settings.dimension:
                raise ConfigurationError(
                    f"Pinecone returned {len(values)}-dimensional vectors, expected {settings.dimension} "
                    f"({ENV_DIMENSION})"
                )
            vector = {
                "id": vector_id(document_id, str(chunk.id)),
                "values": values,
                "metadata": chunk_metadata(chunk, job_id=job_id, document_id=document_id),
            }
            size = _request_size(vector)
            if pending and (
                len(pending) >= settings.upsert_max_vectors
                or pending_bytes + size > settings.upsert_max_bytes
            ):
                flush()
            pending.append(vector)
            pending_bytes += size
    flush()
    logger.info("Upserted %d vectors into namespace %s of %s", upserted, namespace, settings.index_host)
    return VectorizeResult(
        vector_count=upserted,
        index_host=settings.index_host,
        namespace=namespace,
        model=settings.model,
        dimension=settings.dimension,
    )


#: Pinecone deletes at most 1,000 ids per request.
DELETE_MAX_IDS = 1000


def delete_vectors(ids: Iterable[str], *, namespace: str, settings: VectorizeSettings) -> int:
    """Delete vectors by id from the tenant's namespace (ids that do not exist are ignored)."""
    api_key = settings.api_key.get_secret_value()
    index = _index(api_key, settings.controller_host, settings.index_host)
    deleted = 0
    for batch in _batched(ids, DELETE_MAX_IDS):
        _call("delete", settings, lambda batch=batch: index.delete(ids=batch, namespace=namespace))  # type: ignore[misc]
        deleted += len(batch)
    return deleted
