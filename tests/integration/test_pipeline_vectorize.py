"""options.vectorize through the real ASL, against FakePinecone (the real pinecone SDK over HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from tests import sample_documents as samples
from tests.integration.conftest import Pipeline


@pytest.fixture
def pinecone_pipeline(pipeline: Pipeline, fake_pinecone: Any) -> Pipeline:
    fake_pinecone.reset()
    pipeline.use_pinecone(fake_pinecone)
    return pipeline


def test_vectorize_requested_and_configured_upserts_into_the_tenants_namespace(
    pinecone_pipeline: Pipeline, fake_pinecone: Any
) -> None:
    pipeline = pinecone_pipeline
    submitted = pipeline.submit(samples.multi_page_pdf(3), vectorize=True)
    job = pipeline.wait(submitted)

    assert job["status"] == "completed", job
    states = pipeline.states_entered(submitted)
    assert "Vectorize" in states and "VectorizeSkipped" not in states
    vectors = job["result"]["metadata"]["vectors"]
    chunk_count = job["result"]["metadata"]["chunk_count"]
    assert vectors["status"] == "completed"
    assert vectors["vector_count"] == chunk_count > 0
    assert vectors["index_host"] == fake_pinecone.url
    assert vectors["namespace"] == pipeline.tenant
    assert vectors["model"] == "llama-text-embed-v2"
    assert vectors["dimension"] == 1024
    stored = fake_pinecone.vectors[pipeline.tenant]
    assert len(stored) == chunk_count
    assert {v["metadata"]["job_id"] for v in stored.values()} == {submitted.job_id}
    assert [e["body"]["parameters"]["input_type"] for e in fake_pinecone.embed_requests] == ["passage"]


def test_vectorize_not_configured_is_skipped_and_the_result_says_why(pipeline: Pipeline) -> None:
    pipeline.configure(PINECONE_API_KEY=None, PINECONE_SECRET_ARN="", PINECONE_INDEX_HOST="")
    submitted = pipeline.submit(samples.multi_page_pdf(1), vectorize=True)
    job = pipeline.wait(submitted)

    assert job["status"] == "completed", job
    states = pipeline.states_entered(submitted)
    assert "VectorizeSkipped" in states and "Vectorize" not in states
    vectors = job["result"]["metadata"]["vectors"]
    assert vectors["status"] == "skipped"
    assert "PINECONE" in vectors["reason"]


def test_vectorize_not_requested_is_skipped_with_the_option_to_set(
    pinecone_pipeline: Pipeline, fake_pinecone: Any
) -> None:
    submitted = pinecone_pipeline.submit(samples.multi_page_pdf(1))
    job = pinecone_pipeline.wait(submitted)
    assert job["result"]["metadata"]["vectors"]["status"] == "skipped"
    assert "options.vectorize" in job["result"]["metadata"]["vectors"]["reason"]
    assert fake_pinecone.embed_requests == []


def test_pinecone_rejecting_the_key_fails_the_job_naming_the_configuration(
    pinecone_pipeline: Pipeline, fake_pinecone: Any
) -> None:
    pipeline = pinecone_pipeline
    pipeline.configure(PINECONE_API_KEY="pc-wrong-key-0123456789")
    submitted = pipeline.submit(samples.multi_page_pdf(1), vectorize=True)
    job = pipeline.wait(submitted)

    assert job["status"] == "failed", job
    assert job["error_code"] == "INTERNAL_ERROR"
    assert job["stage"] == "vectorizing"
    assert "401" in job["error"]
    assert "PINECONE_API_KEY" in job["error"] and "PINECONE_INDEX_HOST" in job["error"]
    assert job["retry_count"] == 0, "a configuration error is not retried"
    assert pipeline.states_entered(submitted)[-3:] == ["Vectorize", "RecordFailure", "JobFailed"]
    assert pipeline.result_keys(submitted.job_id) == []
    assert fake_pinecone.vectors == {}


def test_pinecone_throttling_once_is_retried_by_the_state_machine(
    pinecone_pipeline: Pipeline, fake_pinecone: Any
) -> None:
    fake_pinecone.fail_next("/embed", 429, "Too many requests", times=1)
    submitted = pinecone_pipeline.submit(samples.multi_page_pdf(1), vectorize=True)
    job = pinecone_pipeline.wait(submitted)
    assert job["status"] == "completed", job
    assert job["result"]["metadata"]["vectors"]["status"] == "completed"
    assert job["retry_count"] == 1
