"""The one place that turns errors into HTTP responses, and builds each function's resolver.

Every API error has the shape ``{"error": "<what was wrong>", "error_code": "<CODE>"}``
(plus ``details`` where useful). Status codes come from the error classes
(``docjobs.core.errors``); nothing here matches on message text.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import CORSConfig, Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from docjobs.core.errors import (
    DocjobsError,
    InputValidationError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
)
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


#: The request being resolved in this context (thread): its resolver, event and Lambda context.
#: Powertools keeps ``current_event`` and ``lambda_context`` as class attributes of
#: ``BaseRouter``, shared by every resolver of the process, and a ``Router`` delegates to the
#: last resolver that included it. One request per process (Lambda) never notices; several at
#: once in one process (the local runtime, threaded tests) read each other's request. Here they
#: are per context.
_current_request: ContextVar[tuple[APIGatewayRestResolver, BaseProxyEvent, Any] | None] = ContextVar(
    "docjobs_request", default=None
)


#: How deep a request body may nest (the deepest valid request is far shallower); deeper
#: bodies are refused before parsing, which would otherwise recurse without bound.
MAX_BODY_DEPTH = 64
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")


def is_json_media_type(content_type: str) -> bool:
    """``application/json`` and its variants (``application/vnd.api+json``, any case, any
    parameters); an absent type counts as JSON, as API Gateway's proxy integration passes it."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not media_type:
        return True
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether a JSON text nests deeper than ``limit`` (brackets outside strings), unparsed."""
    depth = 0
    for char in _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", body)):
        depth += 1 if char in b"[{" else -1
        if depth > limit:
            return True
    return False


def check_request_body(event: dict[str, Any]) -> None:
    """Refuse, before Powertools sees it, a body that is not JSON (415) or nests too deeply
    (400); a JSON variant's Content-Type is normalised to ``application/json``."""
    if str(event.get("httpMethod", "")).upper() not in _BODY_METHODS:
        return
    headers = dict(event.get("headers") or {})
    names = [name for name in headers if name.lower() == "content-type"]
    content_type = str(headers[names[0]]) if names else ""
    body = event.get("body") or ""
    if not is_json_media_type(content_type):
        raise UnsupportedMediaTypeError(
            f"Content-Type {content_type.split(';', 1)[0].strip()!r} is not supported: "
            "send the body as JSON with Content-Type: application/json",
            details={"content_type": content_type[:200]},
        )
    for name in names:
        del headers[name]
    headers["Content-Type"] = "application/json"
    event["headers"] = headers
    multi = event.get("multiValueHeaders")
    if isinstance(multi, dict):
        multi = {name: value for name, value in multi.items() if name.lower() != "content-type"}
        multi["Content-Type"] = ["application/json"]
        event["multiValueHeaders"] = multi
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw)
        except ValueError as exc:
            raise InputValidationError("the request body is not valid base64") from exc
    if nests_deeper_than(raw, MAX_BODY_DEPTH):
        raise InputValidationError(f"the request body nests deeper than {MAX_BODY_DEPTH} levels")


class RequestScopedResolver(APIGatewayRestResolver):
    """A REST resolver whose request state (``current_event``, ``lambda_context``) belongs to the
    request resolved in this context, and which refuses bodies that are not JSON (415) or nest
    too deeply (400) before Powertools parses them."""

    @property
    def current_event(self) -> APIGatewayProxyEvent:
        request = _current_request.get()
        if request is None:
            raise RuntimeError("no request is being resolved in this context")
        return request[1]  # type: ignore[return-value]

    @current_event.setter
    def current_event(self, value: BaseProxyEvent) -> None:
        request = _current_request.get()
        _current_request.set((self, value, request[2] if request else None))

    @property
    def lambda_context(self) -> Any:
        request = _current_request.get()
        return request[2] if request else None

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        request = _current_request.get()
        if request is not None:
            _current_request.set((request[0], request[1], value))

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        event = dict(event)
        try:
            check_request_body(event)
        except DocjobsError as exc:
            return _proxy_error(exc)
        token = _current_request.set((self, self._to_proxy_event(event), context))
        try:
            return super().resolve(event, context)
        finally:
            _current_request.reset(token)


def _proxy_error(exc: DocjobsError) -> dict[str, Any]:
    """A refused request as a Lambda proxy response (before routing, so no resolver builds it)."""
    body: dict[str, Any] = {"error": exc.message, "error_code": exc.error_code}
    if exc.details:
        body["details"] = exc.details
    return {
        "statusCode": exc.http_status,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def current_resolver() -> APIGatewayRestResolver:
    request = _current_request.get()
    if request is None:
        raise RuntimeError("no request is being resolved in this context")
    return request[0]


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
    app = RequestScopedResolver(enable_validation=True, cors=cors_config())
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

    @app.exception_handler(RecursionError)
    def _too_deep(exc: RecursionError) -> Response[Any]:
        return error_response(400, InputValidationError.error_code, "the request body nests too deeply")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[Any]:
        logger.exception("unexpected error")
        return error_response(500, "INTERNAL_ERROR", "internal error; the request id is in the logs")

    return app


def tenant_of() -> str:
    """The tenant the Lambda authorizer attached to the request being resolved."""
    event = current_resolver().current_event
    authorizer = event.request_context.authorizer.raw_event or {}
    tenant = authorizer.get("tenant_id") if isinstance(authorizer, dict) else None
    if not tenant:
        raise UnauthorizedError("the request carries no tenant: is the authorizer attached to this route?")
    return str(tenant)
