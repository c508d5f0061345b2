"""The OpenAPI document, generated from the routes' pydantic models (never written by hand).

The API functions validate requests themselves (docjobs.api.http); the document is generated
here by Powertools' OpenAPI generator, fed the same routes: each route's handler signature
(parameters and their constraints, the body model, the return model) and its responses. Only
this module (the openapi function, ``make openapi``) imports Powertools' event_handler.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
from pathlib import Path
from typing import Annotated, Any

from docjobs.api.http import Path as PathParam
from docjobs.api.http import Resolver, Response, Route, cors_config, error_response
from docjobs.jobtypes.registry import enabled_job_types

TITLE = "docjobs Jobs API"
VERSION = "1.0.0"


def _documented(route: Route) -> Any:
    """A stand-in for the route's handler with Powertools' parameter markers, for the generator."""
    from aws_lambda_powertools.event_handler.openapi import params

    markers = {"path": params.Path, "query": params.Query, "header": params.Header}
    signature = []
    for param in route.params:
        annotation = param.annotation
        if param.location != "body":
            marker = markers[param.location](alias=param.alias, **param.constraints)
            annotation = Annotated[annotation, marker]
        default = inspect.Parameter.empty if param.required else param.default
        kind = inspect.Parameter.KEYWORD_ONLY
        signature.append(inspect.Parameter(param.name, kind, default=default, annotation=annotation))

    def endpoint(**kwargs: Any) -> Any:
        raise NotImplementedError("documentation only: the API functions answer this route")

    endpoint.__name__ = route.handler.__name__
    endpoint.__doc__ = route.handler.__doc__
    # A route that builds its own Response (DELETE's 204) documents no body.
    returns = None if route.return_annotation is Response else route.return_annotation
    endpoint.__signature__ = inspect.Signature(signature, return_annotation=returns)  # type: ignore[attr-defined]
    return endpoint


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3 document of every route, with the bearer-key security scheme."""
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    from docjobs.api.routes import ALL_ROUTERS

    generator = APIGatewayRestResolver(enable_validation=True)
    for router in ALL_ROUTERS:
        for route in router.routes:
            generator.route(
                route.rule,
                route.method,
                status_code=route.status_code,
                summary=route.summary,
                responses=route.responses,
            )(_documented(route))
    schema = json.loads(
        generator.get_openapi_json_schema(
            title=TITLE,
            version=VERSION,
            description="Submit, list, get and cancel document-processing jobs.",
            security_schemes={"bearerAuth": {"type": "http", "scheme": "bearer"}},  # type: ignore[dict-item]
            security=[{"bearerAuth": []}],
        )
    )
    # The types this deployment runs (the registry's), so clients (the dashboard, Swagger UI)
    # can offer exactly those; any other is a 400 VALIDATION_ERROR.
    job_type = schema["components"]["schemas"]["SubmitJobRequest"]["properties"]["type"]
    job_type["enum"] = sorted(enabled_job_types())
    # Powertools documents a 422 for request validation; this API answers 400 VALIDATION_ERROR.
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    return schema  # type: ignore[no-any-return]


#: Swagger UI's files, served from the pinned ``swagger-ui-py`` package (functions/openapi/
#: requirements.txt) so the page works offline and behind firewalls: no CDN.
SWAGGER_ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
}

_SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{assets}/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({{url: "{spec_url}", dom_id: "#ui",
  persistAuthorization: false, validatorUrl: null}});</script>
</body></html>"""


def swagger_assets_dir() -> Path | None:
    """Where the Swagger UI files are: the ``swagger_ui`` package's ``static`` folder.

    Found without importing the package (its Python code is not needed, and in Lambda only
    the static files are packaged, see functions/openapi/Makefile).
    """
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None:
        return None
    for location in spec.submodule_search_locations or []:
        static = Path(location) / "static"
        if (static / "swagger-ui-bundle.js").is_file():
            return static
    return None


def _stage_prefix(app: Resolver) -> str:
    """``/Prod`` on an execute-api host (the stage is part of the URL), else nothing."""
    stage = app.current_event.stage
    host = app.current_event.header("Host") or ""
    if stage in (None, "", "$default") or not host.endswith("amazonaws.com"):
        return ""
    return f"/{stage}"


def build_openapi_resolver() -> Resolver:
    app = Resolver(cors=cors_config())

    @app.get("/api/openapi.json")
    def openapi_json() -> dict[str, Any]:
        return openapi_document()

    @app.get("/api/docs")
    def swagger_ui() -> Response:
        prefix = _stage_prefix(app)
        page = _SWAGGER_PAGE.format(
            title=TITLE, spec_url=f"{prefix}/api/openapi.json", assets=f"{prefix}/api/docs"
        )
        return Response(200, "text/html", page, headers={"Cache-Control": "no-cache"})

    @app.get("/api/docs/<asset>")
    def swagger_asset(asset: Annotated[str, PathParam(max_length=64)]) -> Response:
        folder = swagger_assets_dir()
        if asset not in SWAGGER_ASSETS or folder is None:
            return error_response(404, "NOT_FOUND", f"no Swagger UI file named {asset!r}")
        return Response(
            200,
            SWAGGER_ASSETS[asset],
            (folder / asset).read_text(encoding="utf-8"),
            headers={"Cache-Control": "public, max-age=86400"},
        )

    return app


if __name__ == "__main__":
    print(json.dumps(openapi_document(), indent=2))
