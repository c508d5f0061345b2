"""DashboardFunction and the Swagger UI assets: what they serve, under which headers."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "functions" / "dashboard" / "static"
EVENTS = ROOT / "events"


@pytest.fixture(scope="module")
def stack(module_stack):
    return module_stack


def _dashboard():
    path = ROOT / "functions" / "dashboard" / "app.py"
    spec = importlib.util.spec_from_file_location("dashboard_app", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _event(name: str, **changes) -> dict:
    event = json.loads((EVENTS / name).read_text())
    event.update(changes)
    return event


def test_every_file_the_page_loads_is_served_and_every_served_file_exists():
    dashboard = _dashboard()
    html = (STATIC / "index.html").read_text()
    referenced = set(re.findall(r'(?:href|src)="dashboard/([^"]+)"', html))
    for script in STATIC.glob("*.js"):
        referenced |= set(re.findall(r'from "\./([^"]+)"', script.read_text()))
    assert referenced <= set(dashboard.ASSETS)
    assert set(dashboard.ASSETS) == {p.name for p in STATIC.iterdir() if p.name != "index.html"}


def test_index_carries_the_stage_prefix_on_execute_api_hosts_only():
    dashboard = _dashboard()
    deployed = dashboard.lambda_handler(_event("dashboard.json"), None)
    assert deployed["statusCode"] == 200
    assert '<base href="/Prod/">' in deployed["body"]
    local = _event("dashboard.json")
    local["headers"]["Host"] = "127.0.0.1:3000"
    assert '<base href="/">' in dashboard.lambda_handler(local, None)["body"]


def test_assets_have_their_types_and_a_strict_content_security_policy():
    dashboard = _dashboard()
    response = dashboard.lambda_handler(_event("dashboard_asset.json"), None)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("text/javascript")
    csp = response["headers"]["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


def test_an_unknown_or_traversing_asset_is_a_404():
    dashboard = _dashboard()
    for name in ("nope.js", "../app.py", "index.html"):
        event = _event("dashboard_asset.json", pathParameters={"asset": name})
        response = dashboard.lambda_handler(event, None)
        assert response["statusCode"] == 404, name
        assert json.loads(response["body"])["error_code"] == "NOT_FOUND"


def test_swagger_ui_files_come_from_the_pinned_package_not_a_cdn(api_client):
    page = api_client(None).get("/api/docs")
    assert page.status == 200
    assert b"unpkg" not in page.raw and b"cdn" not in page.raw.lower()
    assert b'src="/api/docs/swagger-ui-bundle.js"' in page.raw
    bundle = api_client(None).get("/api/docs/swagger-ui-bundle.js")
    assert bundle.status == 200 and bundle.headers["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in bundle.raw
    assert api_client(None).get("/api/docs/swagger-ui.css").status == 200
    missing = api_client(None).get("/api/docs/secrets.txt")
    assert missing.status == 404 and missing.json["error_code"] == "NOT_FOUND"


def test_swagger_page_uses_the_stage_prefix_on_execute_api_hosts(stack):
    response = stack.invoke("OpenApiFunction", json.loads((EVENTS / "openapi_docs.json").read_text()))
    assert 'src="/Prod/api/docs/swagger-ui-bundle.js"' in response["body"]
    assert 'url: "/Prod/api/openapi.json"' in response["body"]
