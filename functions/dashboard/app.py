"""Serves the jobs dashboard: static HTML, JS modules and CSS from ./static (no authorizer).

The page asks for an API key and calls the API from the browser; nothing here touches a
table or a bucket. ``<base href>`` carries the stage prefix (``/Prod/``) on execute-api hosts
so the page's relative URLs (assets and API calls) work under a stage and on a custom domain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"
ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "api.js": "text/javascript; charset=utf-8",
    "views.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
SECURITY_HEADERS = {
    # Scripts and styles only from here; API calls and presigned uploads may go anywhere https
    # (the API URL can be another origin, uploads go to S3).
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self' https: http://127.0.0.1:* http://localhost:*; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _response(status: int, content_type: str, body: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_type, **SECURITY_HEADERS},
        "body": body,
        "isBase64Encoded": False,
    }


def _base_href(event: dict[str, Any]) -> str:
    context = event.get("requestContext") or {}
    stage = context.get("stage")
    host = (event.get("headers") or {}).get("Host") or (event.get("headers") or {}).get("host") or ""
    if stage and stage != "$default" and host.endswith("amazonaws.com"):
        return f"/{stage}/"
    return "/"


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    asset = (event.get("pathParameters") or {}).get("asset")
    if asset is None:
        page = (STATIC / "index.html").read_text(encoding="utf-8")
        return _response(200, "text/html; charset=utf-8", page.replace("{{BASE_HREF}}", _base_href(event)))
    if asset not in ASSETS:
        return _response(
            404, "application/json", '{"error": "no such dashboard file", "error_code": "NOT_FOUND"}'
        )
    return _response(200, ASSETS[asset], (STATIC / asset).read_text(encoding="utf-8"))
