"""The TOKEN authorizer: hashed keys only, the tenant reaches the handler, Bearer parsing."""

from __future__ import annotations

import hashlib
import json

import pytest

from docjobs.domain.authorization import bearer_key

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/api/jobs"


@pytest.fixture(scope="module")
def stack(module_stack):
    return module_stack


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer dj_abc", "dj_abc"),
        ("bearer dj_abc", "dj_abc"),
        ("BEARER dj_abc", "dj_abc"),
        ("  Bearer   dj_abc  ", "dj_abc"),
        ("Bearer\tdj_abc", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("Bearer    ", None),
        ("Basic dj_abc", None),
        ("Token dj_abc", None),
        ("dj_abc", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_parsing(header, expected):
    assert bearer_key(header) == expected


def test_keys_table_holds_only_hashes(stack):
    from docjobs.adapters.api_keys import create_api_key

    key = create_api_key("hash-check", name="ci")
    items = stack.client("dynamodb").scan(TableName=stack.physical_name("ApiKeysTable"))["Items"]
    mine = [i for i in items if i["tenant_id"]["S"] == "hash-check"]
    assert len(mine) == 1
    assert mine[0]["key_hash"]["S"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in json.dumps(items)
    assert mine[0]["key_hint"]["S"] == key[:7]  # a hint, never enough to use
    assert key.startswith("dj_") and len(key) >= 40


def test_create_api_key_refuses_bad_tenant_and_short_key(stack):
    from docjobs.adapters.api_keys import create_api_key
    from docjobs.core.errors import InputValidationError

    for tenant in ("", "a b", "x" * 65, "acme/other"):
        with pytest.raises(InputValidationError):
            create_api_key(tenant)
    with pytest.raises(InputValidationError):
        create_api_key("acme", key="short")


def _token_event(token: str) -> dict:
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": METHOD_ARN}


def test_authorizer_allows_a_known_key_with_the_tenant_in_context(stack):
    from docjobs.adapters.api_keys import create_api_key

    key = create_api_key("ctx-tenant", name="ci")
    policy = stack.invoke("AuthorizerFunction", _token_event(f"Bearer {key}"))
    assert policy["principalId"] == "ctx-tenant"
    assert policy["context"] == {"tenant_id": "ctx-tenant", "key_name": "ci"}
    statement = policy["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    assert resources == ["arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/*/*"]


@pytest.mark.parametrize(
    "token", ["Bearer dj_unknown-key-000000000000000", "dj_raw-key", "Bearer ", "Basic x"]
)
def test_authorizer_rejects_unknown_or_malformed_tokens_with_unauthorized(stack, token):
    from docjobs_local.emulator import LambdaFunctionError

    with pytest.raises(LambdaFunctionError) as err:
        stack.invoke("AuthorizerFunction", _token_event(token))
    assert err.value.error_message == "Unauthorized"


def test_key_hash_as_token_is_rejected(stack):
    """Someone who read the table cannot use a stored hash as a key."""
    from docjobs.adapters.api_keys import create_api_key, hash_key
    from docjobs_local.emulator import LambdaFunctionError

    key = create_api_key("hash-as-key")
    with pytest.raises(LambdaFunctionError):
        stack.invoke("AuthorizerFunction", _token_event(f"Bearer {hash_key(key)}"))


def test_tenant_from_the_authorizer_reaches_the_handler(stack, api_client):
    client = api_client("reach-a")
    created = client.post("/api/jobs", {"type": "parse", "input": "https://example.com/doc.pdf"})
    assert created.status == 202
    from docjobs.adapters import job_store

    assert job_store.get_job("reach-a", created.json["id"]).tenant_id == "reach-a"
    assert client.get("/api/jobs").json["total"] == 1


def test_handler_without_authorizer_context_answers_401_not_500(stack):
    event = json.loads((stack.project_root / "events" / "list_jobs.json").read_text())
    del event["requestContext"]["authorizer"]
    response = stack.invoke("ListJobsFunction", event)
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error_code"] == "UNAUTHORIZED"
