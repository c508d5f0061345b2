"""Shared fixtures: template.yaml deployed into moto (``stack``), API keys per tenant, an API client.

``stack`` is per test (a fresh moto account each time, about 2 s); ``module_stack`` is one
deployment per test module for read-mostly tests that tolerate shared state. Both yield a
``docjobs_local.emulator.EmulatedStack`` with ``docjobs``' cached clients and settings reset
to it, so ``docjobs.adapters.job_store`` & co. talk to the stack's tables.

Other suites (tests/integration/conftest.py) build on ``stack``; keep this file generic.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"

_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None


@dataclass
class ApiClient:
    """Calls ``stack.api_request`` as one tenant (``key=None``: no Authorization header)."""

    stack: Any
    key: str | None
    tenant_id: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> ApiResponse:
        hdrs = dict(self.extra_headers)
        if self.key is not None:
            hdrs["Authorization"] = f"Bearer {self.key}"
        hdrs.update(headers or {})
        status, out_headers, raw = self.stack.api_request(method, path, headers=hdrs, query=query, body=body)
        return ApiResponse(status, dict(out_headers), raw)

    def get(self, path: str, **kw: Any) -> ApiResponse:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> ApiResponse:
        return self.request("POST", path, body=body, **kw)

    def delete(self, path: str, **kw: Any) -> ApiResponse:
        return self.request("DELETE", path, **kw)


# --------------------------------------------------------------------------- no network

_real_getaddrinfo = socket.getaddrinfo
_stray_lookups: list[tuple[str, str]] = []


def _is_local(host: Any) -> bool:
    if host in (None, "", "localhost", b"localhost"):
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    try:
        return ipaddress.ip_address(text.strip("[]")).is_loopback
    except ValueError:
        return text.endswith(".localhost")


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_local(host):
        _stray_lookups.append((str(host), threading.current_thread().name))
        raise socket.gaierror(socket.EAI_NONAME, f"tests may not resolve {host!r}: fake the resolver")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _guarded_getaddrinfo  # every test tier: nothing reaches past loopback


@pytest.fixture(autouse=True)
def _no_stray_dns_lookup() -> Iterator[None]:
    """A test whose own code resolves a non-loopback name fails; lookups made by background
    pipeline threads are refused (the guard above) but not blamed on the running test."""
    before = len(_stray_lookups)
    yield
    mine = [host for host, thread in _stray_lookups[before:] if thread == threading.main_thread().name]
    assert not mine, f"the test resolved {mine}: fake the resolver"


@pytest.fixture(scope="session", autouse=True)
def _no_real_network() -> Iterator[None]:
    """For the whole session (executions still running after their test included), client-chosen
    URLs (``docjobs.url_safety``) resolve through fake DNS and connect to 127.0.0.0/8 only."""
    from docjobs.domain import url_safety
    from tests.fakes import network

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(url_safety, "resolve_host", network.resolve)
        patch.setattr(url_safety, "open_connection", network.connect)
        yield


@pytest.fixture(autouse=True)
def fake_network() -> Any:
    """This test's fake network (tests/fakes/network.py): names, routes, and what was used."""
    from tests.fakes import network

    return network.use(network.default_network())


def reset_docjobs_caches() -> None:
    """Make ``docjobs`` re-read the environment and recreate its boto3 clients."""
    from docjobs.adapters import aws_clients
    from docjobs.api.result_cache import RESULTS
    from docjobs.core.settings import get_settings

    aws_clients.reset_clients()
    get_settings.cache_clear()
    RESULTS.clear()


@pytest.fixture(scope="session")
def template_path() -> Path:
    return TEMPLATE


def _deploy(env: dict[str, str] | None = None) -> Iterator[Any]:
    from moto import mock_aws

    from docjobs_local.emulator import MOTO_CONFIG, EmulatedStack

    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(_AWS_ENV)
    try:
        with mock_aws(config=MOTO_CONFIG):
            stack = EmulatedStack(TEMPLATE, throttling=False, env_overrides=env).deploy()
            reset_docjobs_caches()
            try:
                yield stack
            finally:
                stack.close()
                reset_docjobs_caches()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_docjobs_caches()


@pytest.fixture
def stack() -> Iterator[Any]:
    """template.yaml deployed into a fresh moto for this test (API throttling off)."""
    yield from _deploy()


@pytest.fixture(scope="module")
def module_stack() -> Iterator[Any]:
    """One deployment shared by a module's tests: use fresh tenants (``tenant_factory``) per test."""
    yield from _deploy()


def _make_key_factory(stack: Any) -> Callable[[str], str]:
    from docjobs.adapters.api_keys import create_api_key

    keys: dict[str, str] = {}

    def key_for(tenant_id: str) -> str:
        if tenant_id not in keys:
            keys[tenant_id] = create_api_key(tenant_id, name=f"test-{tenant_id}")
        return keys[tenant_id]

    return key_for


@pytest.fixture
def api_key(stack: Any) -> Callable[[str], str]:
    """``api_key("acme")``: a (cached) API key for that tenant in ``stack``."""
    return _make_key_factory(stack)


@pytest.fixture
def api_client(stack: Any, api_key: Callable[[str], str]) -> Callable[..., ApiClient]:
    """``api_client("acme")`` → an ``ApiClient`` sending that tenant's key; ``api_client(None)``
    sends none; ``api_client(key="...")`` sends that exact key."""

    def make(tenant_id: str | None = "acme", *, key: str | None = None) -> ApiClient:
        if key is None and tenant_id is not None:
            key = api_key(tenant_id)
        return ApiClient(stack, key, tenant_id)

    return make


@pytest.fixture
def client(api_client: Callable[..., ApiClient]) -> ApiClient:
    """Tenant ``acme``."""
    return api_client("acme")


@pytest.fixture
def other_client(api_client: Callable[..., ApiClient]) -> ApiClient:
    """Tenant ``globex``."""
    return api_client("globex")


def seed_job_record(tenant_id: str, **fields: Any) -> Any:
    """Write a job straight into the jobs table (no execution): ``job_store.create_job``.

    ``status`` other than ``queued`` is reached through ``job_store.update_job`` so the
    tenant's counters move as they would in the pipeline.
    """
    from datetime import timedelta

    from docjobs.adapters import job_store
    from docjobs.core.models import JobRecord
    from docjobs.core.values import new_id, utc_now

    status = fields.pop("status", "queued")
    now = utc_now()
    job = JobRecord(
        id=fields.pop("id", None) or new_id(),
        tenant_id=tenant_id,
        type=fields.pop("type", "parse"),
        status="queued",
        input_url=fields.pop("input_url", "https://example.com/doc.pdf"),
        metadata=fields.pop("metadata", {"filename": "doc.pdf", "file_type": "pdf"}),
        created_at=now,
        updated_at=now,
        expires_at=int((now + timedelta(days=90)).timestamp()),
        **fields,
    )
    job_store.create_job(job)
    if status != "queued":

        def move(current: Any) -> Any:
            current.status = status
            if status in {"completed", "failed", "cancelled"}:
                current.completed_at = utc_now()
                current.progress = 100 if status == "completed" else current.progress
            return current

        job = job_store.update_job(tenant_id, job.id, move)
    return job


@pytest.fixture
def seed_job(stack: Any) -> Callable[..., Any]:
    """``seed_job("acme", status="completed", type="parse")`` → the stored ``JobRecord``."""
    return seed_job_record
