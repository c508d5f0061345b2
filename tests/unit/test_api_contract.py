"""template.yaml's Api events and the routers agree exactly; the OpenAPI document has every route."""

from __future__ import annotations

import re
from pathlib import Path

from docjobs_local.template import ResolvedTemplate

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ResolvedTemplate.from_file(ROOT / "template.yaml")
OPENAPI_FUNCTION_ROUTES = {("GET", "/api/openapi.json"), ("GET", "/api/docs"), ("GET", "/api/docs/{asset}")}
DASHBOARD_ROUTES = {("GET", "/"), ("GET", "/dashboard/{asset}")}


def _template_routes() -> dict[tuple[str, str], str]:
    routes: dict[tuple[str, str], str] = {}
    for logical in TEMPLATE.resources_of_type("AWS::Serverless::Function"):
        for event in (TEMPLATE.function_properties(logical).get("Events") or {}).values():
            if event.get("Type") == "Api":
                props = event["Properties"]
                key = (str(props["Method"]).upper(), str(props["Path"]))
                assert key not in routes, f"{key} declared twice"
                routes[key] = logical
    return routes


def _router_routes(router) -> set[tuple[str, str]]:
    """(METHOD, /path/{param}) of a Router (``_routes`` keys) or a resolver (its Route objects)."""
    out = set()
    if hasattr(router, "_routes"):
        pairs = [(key[0], key[1]) for key in router._routes]
    else:
        pairs = [(r.path, r.method) for r in router._static_routes + router._dynamic_routes]
    for rule, methods in pairs:
        path = re.sub(r"<(\w+)>", r"{\1}", rule)
        for method in methods if isinstance(methods, tuple | list) else (methods,):
            out.add((str(method).upper(), path))
    return out


def _handler_router(code_dir: str):
    """The router each API handler module includes (read from its source, not imported)."""
    source = (ROOT / "functions" / code_dir / "app.py").read_text()
    match = re.search(r"build_resolver\((\w+)\)", source)
    return match.group(1) if match else None


def _not_api_routes() -> set[tuple[str, str]]:
    """The OpenAPI/Swagger routes, the dashboard's, and the CORS preflights (OPTIONS)."""
    preflights = {key for key in _template_routes() if key[0] == "OPTIONS"}
    return OPENAPI_FUNCTION_ROUTES | DASHBOARD_ROUTES | preflights


def test_template_routes_and_routers_agree_exactly():
    from docjobs.api import routes as api_routes

    template = _template_routes()
    from_routers: set[tuple[str, str]] = set()
    for router in api_routes.ALL_ROUTERS:
        from_routers |= _router_routes(router)
    assert set(template) - _not_api_routes() == from_routers


def test_each_function_includes_the_router_of_its_own_routes():
    from docjobs.api import routes as api_routes

    template = _template_routes()
    for logical in {v for k, v in template.items() if k not in _not_api_routes()}:
        code_dir = Path(str(TEMPLATE.function_properties(logical)["CodeUri"])).name
        name = _handler_router(code_dir)
        assert name, f"{logical} builds no resolver from a router"
        declared = {k for k, v in template.items() if v == logical}
        assert _router_routes(getattr(api_routes, name)) == declared, logical


def test_openapi_function_serves_exactly_its_template_routes():
    from docjobs.api.openapi import build_openapi_resolver

    app = build_openapi_resolver()
    served = _router_routes(app)
    assert served == {k for k, v in _template_routes().items() if v == "OpenApiFunction"}


def test_openapi_document_has_every_api_route():
    from docjobs.api.openapi import openapi_document

    doc = openapi_document()
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == set(_template_routes()) - _not_api_routes()
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            responses = op["responses"]
            assert "401" in responses and "400" in responses, (method, path)
            assert "422" not in responses, (method, path)  # validation errors are 400s
            assert any(code.startswith("2") for code in responses), (method, path)
    assert "404" in doc["paths"]["/api/jobs/{id}"]["get"]["responses"]
    assert "409" in doc["paths"]["/api/jobs/{id}"]["delete"]["responses"]
    assert "202" in doc["paths"]["/api/jobs"]["post"]["responses"]
    assert "201" in doc["paths"]["/api/documents"]["post"]["responses"]
    ok = doc["paths"]["/api/jobs"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/JobListResponse"}


def test_openapi_list_parameters_match_the_spec():
    from docjobs.api.openapi import openapi_document

    params = {p["name"]: p for p in openapi_document()["paths"]["/api/jobs"]["get"]["parameters"]}
    assert {"status", "type", "limit", "offset", "page_token"} <= set(params)
    limit = params["limit"]["schema"]
    assert (limit["default"], limit["minimum"], limit["maximum"]) == (50, 1, 100)
    assert params["offset"]["schema"]["default"] == 0
