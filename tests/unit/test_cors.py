"""CORS: every API path answers browsers' preflights, for the configured origins only.

The template declares one OPTIONS route per API path on CorsPreflightFunction (API Gateway
matches the most specific resource, so a path without its own OPTIONS would refuse
preflights); the functions answer with the headers of CORS_ALLOW_ORIGINS
(template parameter CorsAllowOrigins).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docjobs_local.template import ResolvedTemplate

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ResolvedTemplate.from_file(ROOT / "template.yaml")
PUBLIC = {"/", "/dashboard/{asset}", "/api/openapi.json", "/api/docs", "/api/docs/{asset}"}


def _routes() -> dict[tuple[str, str], str]:
    routes = {}
    for logical in TEMPLATE.resources_of_type("AWS::Serverless::Function"):
        for event in (TEMPLATE.function_properties(logical).get("Events") or {}).values():
            if event.get("Type") == "Api":
                props = event["Properties"]
                routes[(str(props["Method"]).upper(), str(props["Path"]))] = logical
    return routes


def test_every_api_path_has_a_preflight_route_without_authorizer():
    routes = _routes()
    api_paths = {path for method, path in routes if method != "OPTIONS" and path not in PUBLIC}
    preflights = {path for method, path in routes if method == "OPTIONS"}
    assert api_paths == preflights
    assert {routes[("OPTIONS", p)] for p in preflights} == {"CorsPreflightFunction"}
    for event in TEMPLATE.function_properties("CorsPreflightFunction")["Events"].values():
        assert event["Properties"]["Auth"] == {"Authorizer": "NONE"}


def test_the_allowed_origins_are_a_template_parameter():
    from docjobs_local.template import load_template

    raw = load_template(ROOT / "template.yaml")
    assert raw["Parameters"]["CorsAllowOrigins"]["Default"] == ""
    variables = raw["Globals"]["Function"]["Environment"]["Variables"]
    assert str(getattr(variables["CORS_ALLOW_ORIGINS"], "value", variables["CORS_ALLOW_ORIGINS"])) in (
        "CorsAllowOrigins",
        "{'Ref': 'CorsAllowOrigins'}",
    )


def _preflight(origin: str) -> dict:
    event = json.loads((ROOT / "events" / "cors_preflight.json").read_text())
    event["headers"]["Origin"] = origin
    event["multiValueHeaders"]["Origin"] = [origin]
    return event


@pytest.fixture
def lambda_context():
    class Context:
        function_name = "CorsPreflightFunction"
        memory_limit_in_mb = 256
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:CorsPreflightFunction"
        aws_request_id = "req-1"

    return Context()


@pytest.fixture
def cors_app(monkeypatch):
    def build(origins: str):
        monkeypatch.setenv("CORS_ALLOW_ORIGINS", origins)
        from docjobs.api.http import build_resolver
        from docjobs.api.routes import ALL_ROUTERS

        return build_resolver(*ALL_ROUTERS)

    return build


def test_preflight_from_an_allowed_origin_gets_the_cors_headers(cors_app, lambda_context):
    app = cors_app("https://ops.example.com,http://localhost:5173")
    response = app.resolve(_preflight("http://localhost:5173"), lambda_context)
    headers = response["multiValueHeaders"] or {}
    flat = {k: v[0] for k, v in headers.items()} | (response.get("headers") or {})
    assert response["statusCode"] == 204
    assert flat["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert {"GET", "POST", "DELETE"} <= set(flat["Access-Control-Allow-Methods"].split(","))
    assert "Idempotency-Key" in flat["Access-Control-Allow-Headers"]


def test_preflight_from_another_origin_gets_no_cors_headers(cors_app, lambda_context):
    app = cors_app("https://ops.example.com")
    response = app.resolve(_preflight("https://evil.example.net"), lambda_context)
    headers = {k.lower() for k in (response.get("multiValueHeaders") or {})} | {
        k.lower() for k in (response.get("headers") or {})
    }
    assert "access-control-allow-origin" not in headers


def test_without_origins_a_preflight_is_a_plain_404(cors_app, lambda_context):
    app = cors_app("")
    response = app.resolve(_preflight("https://ops.example.com"), lambda_context)
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error_code"] == "NOT_FOUND"


def test_a_malformed_origin_list_is_refused():
    from pydantic import ValidationError

    from docjobs.core.settings import CorsSettings

    with pytest.raises(ValidationError):
        CorsSettings(cors_allow_origins="ops.example.com")  # no scheme
    assert CorsSettings(cors_allow_origins="*").origins == ["*"]
