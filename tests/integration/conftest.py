"""Fixtures for the pipeline tests: template.yaml deployed into moto, the real ASL executed.

``pipeline_stack`` deploys the stack once per test module (about 2 s) inside
``moto.mock_aws(config=MOTO_CONFIG)``: every Lambda invocation (Step Functions tasks,
EventBridge rules, S3 notifications, API Gateway) runs the real handler in this process,
so a test can monkeypatch stage code and block it on a ``threading.Event``.

``pipeline`` is the per-test view: its own tenant and API key, helpers to submit documents
through the API and wait for the execution, and ``configure(**env)`` to change settings
(environment + ``get_settings.cache_clear()``), undone after the test.

Every execution's history is kept in ``execution_histories`` (session scope) when its module's
stack is torn down; ``test_state_coverage.py`` checks that every ASL state was entered.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from docjobs_local.emulator import MOTO_CONFIG, EmulatedStack

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
STATE_MACHINE = "ParseStateMachine"
EXECUTION_TIMEOUT = 60.0

# Settings every pipeline test starts from (the template's values plus small, fast limits).
BASE_ENV = {
    "OCR_ENGINE": "tesseract",
    "OCR_BATCH_PAGES": "1",
    "TEXTRACT_POLL_SECONDS": "0",
    "CHILD_POLL_SECONDS": "0",
    "STAGE_TIMEOUT_SECONDS": "60",
}

_tenant_numbers = itertools.count(1)


def _clear_caches() -> None:
    import docjobs.adapters.aws_clients
    import docjobs.core.settings
    import docjobs.engines.vectorizing

    docjobs.adapters.aws_clients.reset_clients()
    docjobs.core.settings.get_settings.cache_clear()
    docjobs.engines.vectorizing.reset_clients()


@dataclass
class ExecutionHistories:
    """Histories of every execution the integration session ran, by execution ARN."""

    by_arn: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def entered_states(self, job_type: str | None = None) -> set[str]:
        """States entered by any execution, or by executions of ``job_type``'s state machine
        (named ``<stack>-<type>``: its executions are ``...:execution:<stack>-<type>:<job id>``)."""
        return {
            event["stateEnteredEventDetails"]["name"]
            for arn, events in self.by_arn.items()
            if job_type is None or arn.rsplit(":", 2)[-2].endswith(f"-{job_type}")
            for event in events
            if "stateEnteredEventDetails" in event
        }


@pytest.fixture(scope="session")
def execution_histories() -> ExecutionHistories:
    return ExecutionHistories()


def _collect_histories(stack: EmulatedStack, into: ExecutionHistories) -> None:
    sfn = stack.client("stepfunctions")
    for machine in sfn.list_state_machines()["stateMachines"]:
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine["stateMachineArn"]):
            for execution in page["executions"]:
                arn = execution["executionArn"]
                into.by_arn[arn] = stack.execution_history(arn)


@pytest.fixture(scope="module")
def pipeline_stack(execution_histories: ExecutionHistories) -> Iterator[EmulatedStack]:
    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            **BASE_ENV,
        }
    )
    try:
        with mock_aws(config=MOTO_CONFIG):
            stack = EmulatedStack(TEMPLATE, parameters={"OcrEngine": "tesseract"}).deploy()
            _clear_caches()
            try:
                yield stack
            finally:
                try:
                    stack.wait_idle(10)
                    _collect_histories(stack, execution_histories)
                finally:
                    stack.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        _clear_caches()


@dataclass
class Submitted:
    job_id: str
    execution_arn: str


class Pipeline:
    """One test's tenant on the deployed stack."""

    def __init__(self, stack: EmulatedStack, monkeypatch: pytest.MonkeyPatch) -> None:
        from docjobs.adapters import api_keys

        self.stack = stack
        self.monkeypatch = monkeypatch
        self.tenant = f"tenant-{next(_tenant_numbers)}"
        self.key = api_keys.create_api_key(self.tenant, name="tests")
        self.headers = {"Authorization": f"Bearer {self.key}"}

    # ---- settings

    def configure(self, **env: str | None) -> None:
        """Set (or, with None, unset) environment variables and re-read the settings."""
        for name, value in env.items():
            if value is None:
                self.monkeypatch.delenv(name, raising=False)
            else:
                self.monkeypatch.setenv(name, value)
        _clear_caches()

    def use_pinecone(self, fake: Any) -> None:
        """Point vectorizing at a FakePinecone (the real SDK talks HTTP to it)."""
        self.configure(
            PINECONE_API_KEY=fake.api_key,
            PINECONE_INDEX_HOST=fake.url,
            PINECONE_CONTROLLER_HOST=fake.url,
            PINECONE_SECRET_ARN="",
        )

    # ---- names

    @property
    def bucket(self) -> str:
        return self.stack.physical_name("DocumentsBucket")

    def execution_arn(self, job_id: str) -> str:
        machine = self.stack.state_machine_arn(STATE_MACHINE)
        return machine.replace(":stateMachine:", ":execution:", 1) + ":" + job_id

    # ---- API

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, _headers, raw = self.stack.api_request(method, path, headers=self.headers, body=body)
        return status, json.loads(raw) if raw else None

    def upload_document(self, data: bytes, filename: str) -> str:
        """POST /api/documents, then put the bytes where its presigned URL points."""
        status, body = self.api("POST", "/api/documents", {"filename": filename})
        assert status == 201, body
        key = f"documents/{self.tenant}/{body['document_id']}/{filename}"
        self.stack.client("s3").put_object(Bucket=self.bucket, Key=key, Body=data)
        return str(body["document_id"])

    def submit(self, data: bytes, filename: str = "document.pdf", **options: Any) -> Submitted:
        document_id = self.upload_document(data, filename)
        status, body = self.api(
            "POST", "/api/jobs", {"type": "parse", "document_id": document_id, "options": options}
        )
        assert status == 202, body
        return Submitted(body["id"], self.execution_arn(body["id"]))

    def get(self, job_id: str) -> dict[str, Any]:
        status, body = self.api("GET", f"/api/jobs/{job_id}")
        assert status == 200, body
        return dict(body)

    # ---- execution

    def wait(self, submitted: Submitted, timeout: float = EXECUTION_TIMEOUT) -> dict[str, Any]:
        """Wait for the execution (and its status-change event); the job as the API shows it."""
        self.stack.wait_for_execution(submitted.execution_arn, timeout=timeout)
        return self.get(submitted.job_id)

    def execution_status(self, submitted: Submitted) -> str:
        sfn = self.stack.client("stepfunctions")
        return str(sfn.describe_execution(executionArn=submitted.execution_arn)["status"])

    def states_entered(self, submitted: Submitted) -> list[str]:
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.stack.execution_history(submitted.execution_arn)
            if "stateEnteredEventDetails" in event
        ]

    def _states_so_far(self, submitted: Submitted) -> list[str]:
        sfn = self.stack.client("stepfunctions")
        try:
            return self.states_entered(submitted)
        except sfn.exceptions.ExecutionDoesNotExist:
            return []  # not started yet: jobs start from the intake queue

    def wait_for_state(self, submitted: Submitted, state: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while state not in self._states_so_far(submitted):
            if time.monotonic() > deadline:
                raise AssertionError(f"state {state} never entered: {self._states_so_far(submitted)}")
            time.sleep(0.05)

    def record(self, job_id: str) -> Any:
        from docjobs.adapters import job_store

        return job_store.get_job(self.tenant, job_id)

    def result_keys(self, job_id: str) -> list[str]:
        listing = self.stack.client("s3").list_objects_v2(
            Bucket=self.bucket, Prefix=f"results/{self.tenant}/{job_id}/"
        )
        return [obj["Key"] for obj in listing.get("Contents", [])]


@pytest.fixture
def pipeline(pipeline_stack: EmulatedStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    _clear_caches()
    yield Pipeline(pipeline_stack, monkeypatch)
    pipeline_stack.wait_idle(10)
    monkeypatch.undo()  # before re-reading settings: the environment is restored first
    _clear_caches()


@dataclass
class StatusSpy:
    """Every job write through ``job_store.update_job``: (status, stage, progress), in order."""

    seen: dict[str, list[tuple[str, str | None, int]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def writes(self, job_id: str) -> list[tuple[str, str | None, int]]:
        with self.lock:
            return list(self.seen.get(job_id, []))

    def statuses(self, job_id: str) -> list[str]:
        return [status for status, _stage, _progress in self.writes(job_id)]

    def stages(self, job_id: str) -> list[str]:
        """The stages the job went through, in order, each once."""
        order: list[str] = []
        for _status, stage, _progress in self.writes(job_id):
            if stage and (not order or order[-1] != stage):
                order.append(stage)
        return order


@pytest.fixture
def status_spy(monkeypatch: pytest.MonkeyPatch) -> StatusSpy:
    from docjobs.adapters import job_store

    spy = StatusSpy()
    original: Callable[..., Any] = job_store.update_job

    def recording(tenant_id: str, job_id: str, change: Any, *args: Any, **kwargs: Any) -> Any:
        job = original(tenant_id, job_id, change, *args, **kwargs)
        with spy.lock:
            spy.seen.setdefault(job_id, []).append((job.status, job.stage, job.progress))
        return job

    monkeypatch.setattr(job_store, "update_job", recording)
    return spy


@pytest.fixture(scope="module")
def fake_pinecone() -> Iterator[Any]:
    from tests.fakes.pinecone_server import FakePinecone

    fake = FakePinecone(api_key="pc-test-key-0123456789").start()
    try:
        yield fake
    finally:
        fake.stop()


class Gate:
    """Blocks a stage on a ``threading.Event``: ``entered`` is set when the stage reaches it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def block(self) -> None:
        self.entered.set()
        if not self.release.wait(30):
            raise AssertionError("the test never released the blocked stage")

    def wait_entered(self, timeout: float = 30.0) -> None:
        assert self.entered.wait(timeout), "the stage never reached the gate"


@pytest.fixture
def gate() -> Iterator[Gate]:
    g = Gate()
    yield g
    g.release.set()  # never leave a stage thread blocked


def block_after_stage_begins(monkeypatch: pytest.MonkeyPatch, stage: str, gate: Gate) -> None:
    """Block the stage runner once ``stage`` has begun (docjobs.pipeline.runner)."""
    from docjobs.domain import transitions

    real = transitions.begin_stage

    def blocked(tenant_id: str, job_id: str, name: str, *, retrying: bool) -> Any:
        value = real(tenant_id, job_id, name, retrying=retrying)  # type: ignore[arg-type]
        if name == stage:
            gate.block()
        return value

    monkeypatch.setattr(transitions, "begin_stage", blocked)
