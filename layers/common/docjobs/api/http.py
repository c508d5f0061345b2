"""The one place that turns errors into HTTP responses, and builds each function's resolver.

Every API error has the shape ``{"error": "<what was wrong>", "error_code": "<CODE>"}``
(plus ``details`` where useful). Status codes come from the error classes
(``docjobs.core.errors``); nothing here matches on message text.
"""

from __future__ import annotations

from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import CORSConfig, Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from docjobs.core.errors import DocjobsError, InputValidationError, UnauthorizedError
from docjobs.core.observability import logger


def error_response(
    status: int, error_code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> Response[Any]:
    body: dict[str, Any] = {"error": message, "error_code": error_code}
    if details:
        body["details"] = details
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers or None
    )


def _describe_validation_errors(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    described = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        described.append({"loc": loc, "msg": str(err.get("msg", "invalid"))})
    message = "; ".join(f"{'.'.join(d['loc']) or 'request'}: {d['msg']}" for d in described)
    return message or "the request is not valid", described


#: Headers a browser may send and read across origins.
CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key"]
CORS_EXPOSE_HEADERS = ["Retry-After", "x-amzn-RequestId"]


def cors_config() -> CORSConfig | None:
    """CORS for the origins in CORS_ALLOW_ORIGINS (none: no CORS headers, preflights are 404s)."""
    from docjobs.core.settings import CorsSettings

    origins = CorsSettings().origins
    if not origins:
        return None
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        allow_headers=CORS_ALLOW_HEADERS,
        expose_headers=CORS_EXPOSE_HEADERS,
        max_age=600,
    )


def build_resolver(*routers: Router) -> APIGatewayRestResolver:
    """A REST (v1 payload) resolver with validation, CORS, the given routes and the error mapping."""
    app = APIGatewayRestResolver(enable_validation=True, cors=cors_config())
    for router in routers:
        app.include_router(router)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(exc: RequestValidationError) -> Response[Any]:
        message, described = _describe_validation_errors(list(exc.errors()))
        return error_response(400, InputValidationError.error_code, message, {"errors": described})

    @app.exception_handler(DocjobsError)
    def _domain_error(exc: DocjobsError) -> Response[Any]:
        if exc.http_status >= 500:
            logger.exception("request failed", extra={"error_code": exc.error_code})
        return error_response(exc.http_status, exc.error_code, exc.message, exc.details, exc.headers)

    @app.not_found
    def _no_route(exc: Exception) -> Response[Any]:
        return error_response(
            404, "NOT_FOUND", f"no route for {app.current_event.http_method} {app.current_event.path}"
        )

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[Any]:
        logger.exception("unexpected error")
        return error_response(500, "INTERNAL_ERROR", "internal error; the request id is in the logs")

    return app


def tenant_of(app: APIGatewayRestResolver | Router) -> str:
    """The tenant the Lambda authorizer attached to this request."""
    event = cast(APIGatewayProxyEvent, app.current_event)
    authorizer = event.request_context.authorizer.raw_event or {}
    tenant = authorizer.get("tenant_id") if isinstance(authorizer, dict) else None
    if not tenant:
        raise UnauthorizedError("the request carries no tenant: is the authorizer attached to this route?")
    return str(tenant)
