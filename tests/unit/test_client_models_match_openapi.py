"""The SDK's models (clients/python, docjobs_client.models) against the server's OpenAPI document.

The document is generated here from the server's routes, exactly as ``/api/openapi.json``
serves it; every field an SDK model declares must exist in the matching response schema with
the same JSON type, and a field the server may leave out or null must be optional in the SDK.
The SDK never imports the server package; only this test looks at both.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from docjobs.api.openapi import openapi_document
from docjobs_client import models

DOC = openapi_document()

#: SDK model -> (method, path, status) of the response it reads.
RESPONSES: list[tuple[type[BaseModel], str, str, str]] = [
    (models.Job, "get", "/api/jobs/{id}", "200"),
    (models.SubmittedJob, "post", "/api/jobs", "202"),
    (models.JobPage, "get", "/api/jobs", "200"),
    (models.UploadTarget, "post", "/api/documents", "201"),
    (models.CancelResult, "delete", "/api/jobs/{id}", "200"),
    (models.Document, "get", "/api/documents/{id}", "200"),
    (models.Usage, "get", "/api/usage", "200"),
]
#: Models nested in others, checked where the server nests them.
NESTED: list[tuple[type[BaseModel], str, str]] = [
    (models.JobSummary, "JobListResponse", "jobs"),
    (models.DocumentMetadata, "JobDetail", "metadata"),
    (models.JobCredits, "JobDetail", "credits"),
    (models.TypeUsage, "UsageResponse", "by_type"),
]


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        *_, section, name = schema["$ref"].split("/")
        schema = root[section][name] if section in root else root["components"][section][name]
    return schema


def _json_types(schema: dict[str, Any], root: dict[str, Any]) -> set[str]:
    """The JSON types a schema admits ("integer" counts as a number)."""
    schema = _resolve(schema, root)
    if "anyOf" in schema or "oneOf" in schema:
        return set().union(*(_json_types(s, root) for s in schema.get("anyOf", schema.get("oneOf", []))))
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return {"number" if k == "integer" else k for k in kinds}
    if "const" in schema:
        return {type(schema["const"]).__name__.replace("bool", "boolean").replace("str", "string")}
    if "properties" in schema or "additionalProperties" in schema:
        return {"object"}
    return {"any"}


def _response_schema(method: str, path: str, status: str) -> dict[str, Any] | None:
    operation = DOC["paths"].get(path, {}).get(method)
    if operation is None:
        return None
    content = operation["responses"][status]["content"]["application/json"]["schema"]
    return _resolve(content, DOC)


def _check_model(model: type[BaseModel], server: dict[str, Any]) -> list[str]:
    sdk = model.model_json_schema(ref_template="#/$defs/{model}")
    sdk_root = {"$defs": sdk.get("$defs", {})}
    server_fields = server.get("properties", {})
    server_required = set(server.get("required", []))
    problems = []
    for name, field in model.model_fields.items():
        if name not in server_fields:
            problems.append(f"{model.__name__}.{name} is not in the server's {server.get('title')}")
            continue
        theirs = _json_types(server_fields[name], DOC)
        ours = _json_types(sdk["properties"][name], sdk_root)
        if theirs - {"null"} != ours - {"null"}:
            problems.append(f"{model.__name__}.{name}: SDK {sorted(ours)} vs server {sorted(theirs)}")
        server_may_omit = name not in server_required or "null" in theirs
        if server_may_omit and field.is_required() and "null" not in ours:
            problems.append(f"{model.__name__}.{name} is required in the SDK, optional on the server")
    return problems


@pytest.mark.parametrize(
    ("model", "method", "path", "status"), RESPONSES, ids=lambda v: getattr(v, "__name__", str(v))
)
def test_sdk_model_fields_exist_on_the_server_with_the_same_types(model, method, path, status):
    server = _response_schema(method, path, status)
    if server is None:
        pytest.skip(f"the server has no {method.upper()} {path} yet (its issue is open)")
    assert _check_model(model, server) == []


@pytest.mark.parametrize(("model", "parent", "field"), NESTED, ids=lambda v: getattr(v, "__name__", str(v)))
def test_nested_sdk_models_match_where_the_server_nests_them(model, parent, field):
    container = DOC["components"]["schemas"][parent]["properties"][field]
    for key in ("items", "additionalProperties"):
        container = container.get(key, container)
    if "anyOf" in container:  # optional: the non-null member
        container = next(member for member in container["anyOf"] if member.get("type") != "null")
    server = _resolve(container, DOC)
    assert _check_model(model, server) == []


def test_the_check_catches_a_drifted_field():
    class Drifted(BaseModel):
        id: int  # the server says string
        progress: int
        colour: str = ""  # the server has no such field

    problems = _check_model(Drifted, _response_schema("get", "/api/jobs/{id}", "200") or {})
    assert any("Drifted.id" in p for p in problems)
    assert any("Drifted.colour" in p for p in problems)
    assert not any("progress" in p for p in problems)


def test_the_cli_offers_commands_only_for_types_the_server_runs():
    from docjobs_client.cli import JOB_TYPE_COMMANDS

    job_type = DOC["components"]["schemas"]["SubmitJobRequest"]["properties"]["type"]
    assert JOB_TYPE_COMMANDS, "the CLI has no job command"
    assert set(JOB_TYPE_COMMANDS) <= set(job_type["enum"])
