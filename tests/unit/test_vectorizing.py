"""Vectorizing: the real pinecone SDK over HTTP against tests/fakes/pinecone_server.py."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from docjobs.core.errors import InputValidationError, TransientError
from docjobs.engines.chunking import Chunk
from docjobs.engines.vectorizing import (
    ConfigurationError,
    VectorizeSettings,
    chunk_metadata,
    reset_clients,
    vectorize_chunks,
    vectorizing_status,
)
from tests.fakes.pinecone_server import (
    EMBED_MAX_INPUTS,
    METADATA_MAX_BYTES,
    UPSERT_MAX_BYTES,
    UPSERT_MAX_VECTORS,
    FakePinecone,
    deterministic_vector,
)

API_KEY = "test-api-key"
ENV_NAMES = ("PINECONE_SECRET_ARN", "PINECONE_API_KEY", "PINECONE_INDEX_HOST", "EMBED_DIMENSION")


@pytest.fixture(scope="module")
def server() -> Iterator[FakePinecone]:
    with FakePinecone(api_key=API_KEY) as fake:
        yield fake


@pytest.fixture
def fake(server: FakePinecone) -> Iterator[FakePinecone]:
    server.reset()
    reset_clients()
    yield server
    server.reset()
    reset_clients()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*ENV_NAMES, "PINECONE_CONTROLLER_HOST"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def settings_for(fake: FakePinecone, *, dimension: int = 1024, api_key: str = API_KEY) -> VectorizeSettings:
    return VectorizeSettings(
        api_key=api_key,  # type: ignore[arg-type]
        index_host=fake.url,
        dimension=dimension,
        controller_host=fake.url,
    )


def make_chunks(n: int, *, text: str | None = None) -> Iterator[Chunk]:
    for i in range(n):
        body = text if text is not None else f"Chunk number {i} talks about topic {i % 7}."
        yield Chunk(
            id=f"c{i:04d}",
            index=i,
            text=body,
            page_start=i // 3 + 1,
            page_end=i // 3 + 1,
            heading_path=["Intro"],
            char_count=len(body),
            token_count=len(body.split()),
        )


def run(fake: FakePinecone, chunks: Iterator[Chunk], **kwargs: object) -> object:
    settings = kwargs.pop("settings", None) or settings_for(fake)
    return vectorize_chunks(
        chunks, tenant_id="tenant-a", job_id="job-1", document_id="doc-1", settings=settings
    )


# --------------------------------------------------------------------------- happy path


def test_embeds_in_batches_of_96_and_upserts_into_the_tenant_namespace(fake: FakePinecone) -> None:
    result = vectorize_chunks(
        make_chunks(200),
        tenant_id="tenant-a",
        job_id="job-1",
        document_id="doc-1",
        settings=settings_for(fake, dimension=512),
    )
    assert result.vector_count == 200
    assert result.namespace == "tenant-a"
    assert result.model == "llama-text-embed-v2"
    assert result.dimension == 512
    assert result.index_host == fake.url

    sizes = [len(r["body"]["inputs"]) for r in fake.embed_requests]
    assert sizes == [96, 96, 8]
    for request in fake.embed_requests:
        body = request["body"]
        assert body["model"] == "llama-text-embed-v2"
        assert body["parameters"] == {"input_type": "passage", "truncate": "END", "dimension": 512}
        assert request["api_version"]  # the SDK's X-Pinecone-API-Version header reached the fake

    assert all(u.namespace == "tenant-a" for u in fake.upserts)
    assert all(len(u.ids) <= UPSERT_MAX_VECTORS and u.body_bytes <= UPSERT_MAX_BYTES for u in fake.upserts)
    assert sum(len(u.ids) for u in fake.upserts) == 200
    assert {d for u in fake.upserts for d in u.dimensions} == {512}

    stored = fake.vectors["tenant-a"]
    assert set(stored) == {f"doc-1#c{i:04d}" for i in range(200)}
    first = stored["doc-1#c0000"]
    assert first["metadata"] == {
        "job_id": "job-1",
        "document_id": "doc-1",
        "chunk_id": "c0000",
        "page_start": 1,
        "page_end": 1,
        "text": "Chunk number 0 talks about topic 0.",
    }
    assert first["values"] == pytest.approx(deterministic_vector("Chunk number 0 talks about topic 0.", 512))


def test_upserts_accumulate_across_embed_batches_up_to_1000_vectors(fake: FakePinecone) -> None:
    result = vectorize_chunks(
        make_chunks(1100, text="short"),
        tenant_id="t",
        job_id="j",
        document_id="d",
        settings=settings_for(fake, dimension=384),
    )
    assert result.vector_count == 1100
    counts = [len(u.ids) for u in fake.upserts]
    assert max(counts) <= UPSERT_MAX_VECTORS
    assert len(counts) <= 3  # not one request per embed batch
    assert all(u.body_bytes <= UPSERT_MAX_BYTES for u in fake.upserts)
    assert max(len(r["body"]["inputs"]) for r in fake.embed_requests) <= EMBED_MAX_INPUTS


def test_big_metadata_splits_upserts_under_2_mb_and_cuts_text_under_40_kb(fake: FakePinecone) -> None:
    big = ("Ünïcödé ✓ text 𝄞 " * 4000)[:60_000]  # multi-byte characters, > 40 KB in UTF-8
    result = vectorize_chunks(
        make_chunks(60, text=big),
        tenant_id="t",
        job_id="j",
        document_id="d",
        settings=settings_for(fake, dimension=2048),
    )
    assert result.vector_count == 60
    assert all(u.body_bytes <= UPSERT_MAX_BYTES for u in fake.upserts)
    assert len(fake.upserts) > 2
    assert max(s for u in fake.upserts for s in u.metadata_bytes) <= METADATA_MAX_BYTES
    metadata = fake.vectors["t"]["d#c0000"]["metadata"]
    assert metadata["text_truncated"] is True
    assert big.startswith(metadata["text"])  # a clean prefix: cut between characters
    assert len(metadata["text"].encode()) > 30_000


def test_chunk_metadata_cut_on_utf8_boundary() -> None:
    chunk = next(make_chunks(1, text="é" * 30_000))  # 60,000 UTF-8 bytes
    metadata = chunk_metadata(chunk, job_id="j", document_id="d", max_bytes=1000)
    size = len(json.dumps(metadata, ensure_ascii=False).encode())
    assert size <= 1000
    assert size >= 998  # as much text as fits (each é is 2 bytes)
    assert set(metadata["text"]) == {"é"}
    small = chunk_metadata(next(make_chunks(1, text="hi")), job_id="j", document_id="d")
    assert "text_truncated" not in small


def test_running_again_overwrites_the_same_ids(fake: FakePinecone) -> None:
    run(fake, make_chunks(10))
    run(fake, make_chunks(10))
    assert len(fake.vectors["tenant-a"]) == 10
    assert sum(len(u.ids) for u in fake.upserts) == 20
    assert fake.upserts[0].ids == fake.upserts[1].ids


def test_streams_chunks_lazily(fake: FakePinecone) -> None:
    """The input iterator is consumed batch by batch, not all at once up front."""
    consumed = 0
    seen_at_first_embed: list[int] = []

    def chunks() -> Iterator[Chunk]:
        nonlocal consumed
        for chunk in make_chunks(200):
            consumed += 1
            if len(fake.embed_requests) == 1 and not seen_at_first_embed:
                seen_at_first_embed.append(consumed)
            yield chunk

    run(fake, chunks())
    assert seen_at_first_embed and seen_at_first_embed[0] <= 97
    assert consumed == 200


# --------------------------------------------------------------------------- errors


def test_429_raises_transient_error_then_a_retry_succeeds(fake: FakePinecone) -> None:
    fake.fail_next("/embed", 429, "Request rate limit exceeded")
    with pytest.raises(TransientError, match="429"):
        run(fake, make_chunks(5))
    assert fake.upserts == []
    result = run(fake, make_chunks(5))  # what the state machine's Retry does
    assert result.vector_count == 5  # type: ignore[attr-defined]


def test_429_on_upsert_is_transient(fake: FakePinecone) -> None:
    fake.fail_next("/vectors/upsert", 429, "Too many requests")
    with pytest.raises(TransientError, match="Too many requests"):
        run(fake, make_chunks(3))


def test_5xx_is_retried_a_bounded_number_of_times_by_the_sdk(fake: FakePinecone) -> None:
    fake.fail_next("/embed", 503, "busy", times=1)
    assert run(fake, make_chunks(2)).vector_count == 2  # type: ignore[attr-defined]


def test_401_names_the_configuration_problem(fake: FakePinecone) -> None:
    settings = settings_for(fake, api_key="wrong-key")
    with pytest.raises(ConfigurationError, match="Pinecone rejected the API key") as info:
        run(fake, make_chunks(2), settings=settings)
    assert "PINECONE_API_KEY" in info.value.message
    assert not isinstance(info.value, TransientError)
    assert info.value.error_code == "INTERNAL_ERROR"


def test_401_message_names_the_secret_when_the_key_came_from_secrets_manager(fake: FakePinecone) -> None:
    fake.fail_next("/embed", 401, "Invalid API Key")
    settings = settings_for(fake).model_copy(
        update={"api_key_source": "secret PINECONE_SECRET_ARN (arn:aws:secretsmanager:us-east-1:1:secret:pc)"}
    )
    with pytest.raises(ConfigurationError, match="check the secret PINECONE_SECRET_ARN"):
        run(fake, make_chunks(2), settings=settings)


def test_400_is_input_validation_error_with_pinecone_message(fake: FakePinecone) -> None:
    fake.fail_next(
        "/vectors/upsert", 400, "Vector dimension 512 does not match the dimension of the index 1024"
    )
    with pytest.raises(InputValidationError, match="does not match the dimension of the index"):
        run(fake, make_chunks(2))


def test_unreachable_pinecone_is_transient(fake: FakePinecone, monkeypatch: pytest.MonkeyPatch) -> None:
    from pinecone.openapi_support.retry_urllib3 import JitterRetry

    monkeypatch.setattr(JitterRetry, "get_backoff_time", lambda self: 0.0)  # keep the SDK's retries fast
    settings = VectorizeSettings(
        api_key=API_KEY,  # type: ignore[arg-type]
        index_host="http://127.0.0.1:9",
        controller_host="http://127.0.0.1:9",
    )
    with pytest.raises(TransientError, match="unreachable"):
        vectorize_chunks(make_chunks(1), tenant_id="t", job_id="j", document_id="d", settings=settings)


# --------------------------------------------------------------------------- settings


def test_dimension_must_be_supported() -> None:
    with pytest.raises(ValueError, match="supports dimensions"):
        VectorizeSettings(api_key="k", index_host="h.example.com", dimension=1536)  # type: ignore[arg-type]


def test_status_and_settings_from_env(clean_env: pytest.MonkeyPatch) -> None:
    ok, reason = vectorizing_status()
    assert not ok and "PINECONE_SECRET_ARN" in reason
    clean_env.setenv("PINECONE_API_KEY", "local-key")
    ok, reason = vectorizing_status()
    assert not ok and "PINECONE_INDEX_HOST" in reason
    clean_env.setenv("PINECONE_INDEX_HOST", "http://127.0.0.1:5081")
    clean_env.setenv("EMBED_DIMENSION", "1000")
    assert vectorizing_status()[0] is False
    clean_env.setenv("EMBED_DIMENSION", "768")
    assert vectorizing_status() == (True, "configured")
    settings = VectorizeSettings.from_env()
    assert settings.api_key.get_secret_value() == "local-key"
    assert settings.dimension == 768
    assert "local-key" not in repr(settings)


def test_from_env_unconfigured_raises_configuration_error(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="not configured"):
        VectorizeSettings.from_env()


def test_api_key_from_secrets_manager(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("AWS_DEFAULT_REGION", "us-east-1")
    clean_env.setenv("AWS_ACCESS_KEY_ID", "testing")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    clean_env.setenv("PINECONE_INDEX_HOST", "idx-abc.svc.pinecone.io")
    clean_env.setenv("PINECONE_API_KEY", "should-not-be-used")
    with mock_aws():
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        arn = sm.create_secret(
            Name="docjobs/pinecone-json", SecretString=json.dumps({"api_key": "from-secret"})
        )["ARN"]
        clean_env.setenv("PINECONE_SECRET_ARN", arn)
        settings = VectorizeSettings.from_env()
        assert settings.api_key.get_secret_value() == "from-secret"
        assert arn in settings.api_key_source

        plain = sm.create_secret(Name="docjobs/pinecone-plain", SecretString="plain-key")["ARN"]
        clean_env.setenv("PINECONE_SECRET_ARN", plain)
        assert VectorizeSettings.from_env().api_key.get_secret_value() == "plain-key"

        clean_env.setenv("PINECONE_SECRET_ARN", arn.replace("pinecone-json", "missing"))
        with pytest.raises(ConfigurationError, match="check the secret PINECONE_SECRET_ARN"):
            VectorizeSettings.from_env()
