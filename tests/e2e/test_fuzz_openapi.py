"""Property-based fuzzing of every route against the API's own OpenAPI document (schemathesis),
on the local server: no request, valid or not, may answer a 5xx.

Bounded: ``FUZZ_EXAMPLES`` examples per operation and generation mode (positive: what the
document allows; negative: what it forbids). The server runs offline (tests/e2e/conftest.py),
so the URLs the fuzzer invents for ``input`` and ``webhook_url`` never leave the machine.
(schemathesis is used as a library, with Hypothesis' ``given``: its pytest plugin does not
support the pinned pytest.)
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

pytestmark = pytest.mark.e2e

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@pytest.fixture(scope="module")
def api_schema(local_api):
    return schemathesis.openapi.from_url(f"{local_api.url}/api/openapi.json")


def _operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]


def test_the_document_has_every_route(api_schema) -> None:
    labels = {operation.label for operation in _operations(api_schema)}
    assert {"POST /api/jobs", "GET /api/jobs", "GET /api/jobs/{id}", "DELETE /api/jobs/{id}"} <= labels
    assert "POST /api/documents" in labels


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
def test_no_request_answers_a_server_error(api_schema, local_api, mode: GenerationMode) -> None:
    failures: list[str] = []
    answered: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {local_api.key}"}

    for operation in _operations(api_schema):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case) -> None:
            response = case.call(base_url=local_api.url, headers=headers, timeout=60)
            answered[response.status_code] = answered.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]}\n  {case.as_curl_command()}"
                )

        fuzz()

    assert not failures, "\n".join(failures[:10])
    assert sum(answered.values()) >= len(_operations(api_schema)) * 5, answered
    print(f"{mode.value}: answers by status {dict(sorted(answered.items()))}")
