"""Split ``categories`` on a model engine, through the real state machine (moto, handlers in-process).

The openai engine is the real ``openai`` client against the local fake chat-completions server
(tests/fakes/openai_server.py); the bedrock engine is boto3's bedrock-runtime client against the
local fake Converse endpoint (tests/fakes/bedrock_server.py). Both are configured through settings
as a deployment would be. The fakes answer the page assignment the test scripts; what the model
was asked is read back from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pymupdf
import pytest

from docjobs.adapters import storage
from docjobs.engines.models import openai_compatible
from tests import split_documents as docs
from tests.fakes.bedrock_server import FakeBedrock, Fault, start_fake_bedrock
from tests.fakes.openai_server import FakeOpenAI, start_fake_openai
from tests.integration.conftest import Pipeline, Submitted

MODEL = "llama3.2:3b"
BEDROCK_MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
#: Page 4 of the packet is blank: a boundary, never sent to the model.
ASKED = [1, 2, 3, 5, 6, 7]


def assignment(*, skip: int | None = None) -> dict[str, Any]:
    """The packet's true assignment as a model would answer it (optionally without one page)."""
    entries = [
        {"page": 1, "category": "invoice", "tag": "start", "confidence": 0.97, "reason": "INVOICE heading"},
        {"page": 2, "category": "invoice", "tag": "continue", "confidence": 0.95},
        {"page": 3, "category": "letter", "tag": "start", "confidence": 0.9, "reason": "a letterhead"},
        {
            "page": 5,
            "category": "contract",
            "tag": "start",
            "confidence": 0.93,
            "reason": "SERVICE AGREEMENT",
        },
        {"page": 6, "category": "contract", "tag": "continue", "confidence": 0.9},
        {"page": 7, "category": "contract", "tag": "continue", "confidence": 0.9},
    ]
    return {"pages": [e for e in entries if e["page"] != skip]}


@pytest.fixture
def with_openai(pipeline: Pipeline) -> Iterator[FakeOpenAI]:
    """Only the openai engine configured (the template's default Bedrock model switched off)."""
    fake = start_fake_openai()
    pipeline.configure(
        BEDROCK_MODEL_ID="", OPENAI_BASE_URL=fake.base_url, OPENAI_MODEL=MODEL, MODEL_TIMEOUT_SECONDS="5"
    )
    openai_compatible.reset_clients()
    yield fake
    openai_compatible.reset_clients()
    fake.server.clear()
    fake.server.stop()


@pytest.fixture
def with_bedrock(pipeline: Pipeline) -> Iterator[FakeBedrock]:
    """Bedrock configured (its endpoint the local fake), the openai engine not."""
    fake = start_fake_bedrock()
    pipeline.configure(
        BEDROCK_MODEL_ID=BEDROCK_MODEL,
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=fake.url,
        OPENAI_BASE_URL="",
        OPENAI_MODEL="",
    )
    yield fake
    fake.server.clear()
    fake.server.stop()


def submit(pipeline: Pipeline, options: dict[str, Any]) -> Submitted:
    document_id = pipeline.upload_document(docs.packet_pdf(), "packet.pdf")
    status, body = pipeline.api(
        "POST", "/api/jobs", {"type": "split", "document_id": document_id, "options": options}
    )
    assert status == 202, body
    machine = pipeline.stack.state_machine_arn("SplitStateMachine")
    return Submitted(body["id"], machine.replace(":stateMachine:", ":execution:", 1) + ":" + body["id"])


def documents(pipeline: Pipeline) -> list[str]:
    listing = pipeline.stack.client("s3").list_objects_v2(
        Bucket=pipeline.bucket, Prefix=f"documents/{pipeline.tenant}/"
    )
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def user_prompt(request: dict[str, Any]) -> str:
    return str(next(m["content"] for m in request["messages"] if m["role"] == "user"))


def test_the_model_assigns_the_pages_and_the_packet_splits(
    with_openai: FakeOpenAI, pipeline: Pipeline
) -> None:
    with_openai.reply(assignment())
    submitted = submit(pipeline, {"categories": docs.PACKET_CATEGORIES, "engine": "openai"})
    job = pipeline.wait(submitted)

    assert job["status"] == "completed", job
    result = job["result"]
    assert [(s["name"], s["pages"], s["page_count"]) for s in result["segments"]] == [
        ("invoice", [1, 2], 2),
        ("letter", [3, 3], 1),
        ("contract", [5, 7], 3),
    ]
    assert result["unassigned_pages"] == [docs.PACKET_BLANK_PAGE]
    metadata = result["metadata"]
    assert (metadata["strategy"], metadata["engine"], metadata["model"]) == ("categories", "openai", MODEL)
    assert metadata["usage"]["input_tokens"] > 0 and metadata["usage"]["output_tokens"] > 0
    assert "openai model: INVOICE heading" in result["segments"][0]["evidence"][0]

    # one call, every page with text in it, the blank page not sent, the answer schema enforced
    (request,) = with_openai.requests
    assert request["model"] == MODEL
    prompt = user_prompt(request)
    for page in ASKED:
        assert f'<page number="{page}"' in prompt
    assert '<page number="4"' not in prompt
    assert "INVOICE" in prompt and "SERVICE AGREEMENT" in prompt
    assert request["response_format"]["type"] == "json_schema"

    # each part is a document of the tenant with the pages the model assigned
    for segment, (_, first, last) in zip(result["segments"], docs.PACKET_DOCUMENTS, strict=True):
        status, info = pipeline.api("GET", f"/api/documents/{segment['document_id']}")
        assert status == 200, info
        key = storage.document_key(pipeline.tenant, segment["document_id"], info["filename"])
        data = pipeline.stack.client("s3").get_object(Bucket=pipeline.bucket, Key=key)["Body"].read()
        assert pymupdf.open(stream=data, filetype="pdf").page_count == last - first + 1
    states = pipeline.states_entered(submitted)
    assert states[states.index("Decide") :] == ["Decide", "Generate", "JobSucceeded"]


def test_an_answer_skipping_a_page_is_asked_again_once(with_openai: FakeOpenAI, pipeline: Pipeline) -> None:
    with_openai.reply(assignment(skip=6), assignment())
    job = pipeline.wait(submit(pipeline, {"categories": docs.PACKET_CATEGORIES, "engine": "openai"}))

    assert job["status"] == "completed", job
    assert [s["pages"] for s in job["result"]["segments"]] == [[1, 2], [3, 3], [5, 7]]
    first, again = with_openai.requests
    assert "Your previous answer was not valid" not in user_prompt(first)
    assert "page 6 has no entry: every page needs exactly one" in user_prompt(again)


def test_an_answer_skipping_a_page_twice_fails_with_validation_error_and_writes_no_part(
    with_openai: FakeOpenAI, pipeline: Pipeline
) -> None:
    with_openai.reply(assignment(skip=6), assignment(skip=6))
    submitted = submit(pipeline, {"categories": docs.PACKET_CATEGORIES, "engine": "openai"})
    before = documents(pipeline)  # the uploaded packet
    job = pipeline.wait(submitted)

    assert job["status"] == "failed", job
    assert job["error_code"] == "VALIDATION_ERROR"
    assert f"The openai model {MODEL} answered twice without a valid assignment" in job["error"]
    assert "page 6 has no entry" in job["error"]
    assert len(with_openai.requests) == 2  # re-asked once, not retried by the state machine
    assert documents(pipeline) == before  # no part with a hole in it, no part at all
    assert "Generate" not in pipeline.states_entered(submitted)


def test_a_model_engine_that_is_not_configured_is_a_400_naming_the_configured_ones(
    with_openai: FakeOpenAI, pipeline: Pipeline
) -> None:
    document_id = pipeline.upload_document(docs.packet_pdf(), "packet.pdf")
    for options, message in [
        (
            {"categories": docs.PACKET_CATEGORIES, "engine": "bedrock"},
            "options.engine: 'bedrock' is not configured in this deployment; "
            "configured engines: openai, rules",
        ),
        (
            {"categories": docs.PACKET_CATEGORIES, "engine": "openai", "model": "gpt-4o"},
            "options.model: 'gpt-4o' is not allowed for the openai engine; allowed: llama3.2:3b",
        ),
    ]:
        status, body = pipeline.api(
            "POST", "/api/jobs", {"type": "split", "document_id": document_id, "options": options}
        )
        assert status == 400 and body["error_code"] == "VALIDATION_ERROR", body
        assert message in body["error"]
    assert with_openai.requests == []


def test_bedrock_assigns_the_pages_through_converse_after_throttling(
    with_bedrock: FakeBedrock, pipeline: Pipeline
) -> None:
    """engine auto picks the configured Bedrock model; throttling is retried (botocore's own
    retries, then the state machine's model backoff) and the packet splits as the model says."""
    with_bedrock.reply(*[Fault("ThrottlingException", 429, "Too many requests")] * 3, assignment())
    submitted = submit(pipeline, {"categories": docs.PACKET_CATEGORIES})
    job = pipeline.wait(submitted, timeout=120)

    assert job["status"] == "completed", job
    result = job["result"]
    assert [(s["name"], s["pages"]) for s in result["segments"]] == [
        ("invoice", [1, 2]),
        ("letter", [3, 3]),
        ("contract", [5, 7]),
    ]
    metadata = result["metadata"]
    assert (metadata["engine"], metadata["model"]) == ("bedrock", BEDROCK_MODEL)
    assert metadata["usage"]["input_tokens"] > 0
    assert "bedrock model: INVOICE heading" in result["segments"][0]["evidence"][0]
    assert job["retry_count"] >= 1
    model, request = with_bedrock.requests[-1]
    assert model == BEDROCK_MODEL
    tool = request["toolConfig"]["tools"][0]["toolSpec"]
    assert request["toolConfig"]["toolChoice"] == {"tool": {"name": tool["name"]}}
    assert tool["inputSchema"]["json"]["properties"]["pages"]["minItems"] == len(ASKED)
    prompt = " ".join(part.get("text", "") for m in request["messages"] for part in m["content"])
    assert all(f'<page number="{page}"' in prompt for page in ASKED)


def test_bedrock_access_denied_fails_the_split_without_retrying_or_writing_parts(
    with_bedrock: FakeBedrock, pipeline: Pipeline
) -> None:
    with_bedrock.reply(Fault("AccessDeniedException", 403, "You don't have access to the model"))
    job = pipeline.wait(submit(pipeline, {"categories": docs.PACKET_CATEGORIES, "engine": "bedrock"}))
    assert job["status"] == "failed" and job["error_code"] == "INTERNAL_ERROR", job
    assert "model access" in job["error"] and job["retry_count"] == 0
    assert len(with_bedrock.requests) == 1
    assert [key for key in documents(pipeline) if "_part" in key] == []
