"""The API functions' HTTP layer: routing, request validation, CORS and the error envelope.

Each API function carries one route (``docjobs.api.routes.<name>``) and answers API Gateway's
REST (v1 payload) proxy events with it. A route declares its inputs in its handler's signature:
``Annotated[T, Path(...)]``, ``Query(...)`` or ``Header(...)`` for parameters (the keywords are
pydantic ``Field`` constraints), and a pydantic model for the JSON body. They are validated with
pydantic models built from that signature; the OpenAPI document is generated from the same
routes (``docjobs.api.openapi``).

Powertools' event_handler is not used here: with validation on it costs an API function more
cold-start time than boto3 itself (docs/decisions.md, "API cold starts").

Every API error has the shape ``{"error": "<what was wrong>", "error_code": "<CODE>"}``
(plus ``details`` where useful). Status codes come from the error classes
(``docjobs.core.errors``); nothing here matches on message text.
"""

from __future__ import annotations

import base64
import json
import re
import typing
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from pydantic import BaseModel, Field, ValidationError, create_model

from docjobs.core.errors import (
    DocjobsError,
    InputValidationError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
)
from docjobs.core.observability import logger

JSON_CONTENT_TYPE = "application/json"

# ----------------------------------------------------------------------------- declaring routes


class Param:
    """Marks a handler parameter as read from the request's path, query string or headers; the
    keywords are the pydantic ``Field`` constraints and documentation of the parameter."""

    location: ClassVar[str] = ""

    def __init__(self, *, alias: str | None = None, **constraints: Any) -> None:
        self.alias = alias
        self.constraints = constraints


class Path(Param):
    location = "path"


class Query(Param):
    location = "query"


class Header(Param):
    location = "header"


@dataclass(frozen=True)
class RouteParam:
    """One input of a route: where it comes from, its type and its constraints."""

    name: str
    location: str  # path, query, header or body
    annotation: Any
    default: Any
    alias: str | None = None
    constraints: Mapping[str, Any] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    @property
    def key(self) -> str:
        """The name the request uses for it (a header's name, a query parameter's)."""
        return self.alias or self.name


_REQUIRED: Any = object()


@dataclass
class Response:
    """A response a route builds itself (another status, content type or headers)."""

    status_code: int
    content_type: str | None = JSON_CONTENT_TYPE
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class Route:
    """A method and path, the handler that answers it, and how the OpenAPI document shows it."""

    def __init__(
        self,
        method: str,
        rule: str,
        handler: Callable[..., Any],
        *,
        status_code: int = 200,
        summary: str | None = None,
        responses: Mapping[int, Any] | None = None,
    ) -> None:
        self.method = method.upper()
        self.rule = rule
        self.handler = handler
        self.status_code = status_code
        self.summary = summary
        self.responses = dict(responses or {})
        self.pattern = re.compile("^" + re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", rule) + "$")
        self.params = _route_params(handler)
        self.return_annotation = typing.get_type_hints(handler).get("return")
        self._validators: dict[str, type[BaseModel]] = {
            location: _params_model(handler.__name__, location, params)
            for location, params in _by_location(self.params).items()
            if location != "body"
        }

    def arguments(self, request: Request, path_values: Mapping[str, str]) -> dict[str, Any]:
        """The handler's keyword arguments, validated; RequestValidationError lists every problem."""
        errors: list[dict[str, Any]] = []
        arguments: dict[str, Any] = {}
        sources = {"path": path_values, "query": request.query, "header": request.lower_headers}
        for location, model in self._validators.items():
            source = sources[location]
            params = [p for p in self.params if p.location == location]
            values = {
                p.key: source[key]
                for p in params
                if (key := p.key.lower() if location == "header" else p.key) in source
            }
            try:
                validated = model.model_validate(values)
            except ValidationError as exc:
                errors += [{**e, "loc": (location, *e["loc"])} for e in exc.errors(include_url=False)]
                continue
            arguments |= {p.name: getattr(validated, p.name) for p in params}
        for param in self.params:
            if param.location != "body":
                continue
            try:
                arguments[param.name] = param.annotation.model_validate(request.json_body)
            except ValidationError as exc:
                errors += [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            except ValueError as exc:
                errors.append({"loc": ("body",), "msg": f"the body is not valid JSON ({exc})"})
        if errors:
            raise RequestValidationError(errors)
        return arguments


def _route_params(handler: Callable[..., Any]) -> list[RouteParam]:
    import inspect

    hints = typing.get_type_hints(handler, include_extras=True)
    params = []
    for name, parameter in inspect.signature(handler).parameters.items():
        annotation = hints.get(name, Any)
        default = _REQUIRED if parameter.default is inspect.Parameter.empty else parameter.default
        marker = None
        if typing.get_origin(annotation) is typing.Annotated:
            base, *extras = typing.get_args(annotation)
            marker = next((extra for extra in extras if isinstance(extra, Param)), None)
            if marker is not None:
                annotation = base
        if marker is not None:
            params.append(
                RouteParam(name, marker.location, annotation, default, marker.alias, marker.constraints)
            )
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            params.append(RouteParam(name, "body", annotation, default))
        else:
            raise TypeError(f"{handler.__name__}({name}): mark it Path, Query or Header, or use a model")
    return params


def _by_location(params: list[RouteParam]) -> dict[str, list[RouteParam]]:
    grouped: dict[str, list[RouteParam]] = {}
    for param in params:
        grouped.setdefault(param.location, []).append(param)
    return grouped


def _params_model(name: str, location: str, params: list[RouteParam]) -> type[BaseModel]:
    """A model of one location's parameters: each field keyed by the name the request uses."""
    fields: dict[str, Any] = {}
    for param in params:
        info = Field(... if param.required else param.default, alias=param.alias, **param.constraints)
        fields[param.name] = (param.annotation, info)
    return create_model(f"{name}_{location}", **fields)


class Router:
    """Routes, registered with ``@router.get(...)``, ``.post`` and ``.delete``."""

    def __init__(self) -> None:
        #: (rule, method) → route.
        self._routes: dict[tuple[str, str], Route] = {}

    def route(self, method: str, rule: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            route = Route(method, rule, handler, **options)
            self._routes[(rule, route.method)] = route
            return handler

        return register

    def get(self, rule: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
        return self.route("GET", rule, **options)

    def post(self, rule: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
        return self.route("POST", rule, **options)

    def delete(self, rule: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
        return self.route("DELETE", rule, **options)

    @property
    def routes(self) -> list[Route]:
        return list(self._routes.values())


# ----------------------------------------------------------------------------- the request


class RequestValidationError(Exception):
    """The request's parameters or body do not fit the route (400 VALIDATION_ERROR)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("the request is not valid")
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return self._errors


class Request:
    """The API Gateway (REST, v1 payload) proxy event of the request being resolved."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.raw_event = event
        self.http_method = str(event.get("httpMethod") or "").upper()
        self.path = str(event.get("path") or "/")
        self.headers: dict[str, str] = dict(event.get("headers") or {})
        self.query: dict[str, str] = dict(event.get("queryStringParameters") or {})

    @cached_property
    def lower_headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def header(self, name: str) -> str | None:
        return self.lower_headers.get(name.lower())

    @cached_property
    def body(self) -> str | None:
        body = self.raw_event.get("body")
        if body is not None and self.raw_event.get("isBase64Encoded"):
            body = base64.b64decode(body).decode("utf-8")
        return body

    @cached_property
    def json_body(self) -> Any:
        return None if self.body is None else json.loads(self.body)

    @property
    def request_context(self) -> Mapping[str, Any]:
        return self.raw_event.get("requestContext") or {}

    @property
    def stage(self) -> str | None:
        return self.request_context.get("stage")


#: The request being resolved in this context (thread): its resolver, event and Lambda context.
#: The local runtime and threaded tests resolve several requests at once in one process, so the
#: request state is per context, never an attribute of the resolver.
_current_request: ContextVar[tuple[Resolver, Request, Any] | None] = ContextVar(
    "docjobs_request", default=None
)


def current_resolver() -> Resolver:
    request = _current_request.get()
    if request is None:
        raise RuntimeError("no request is being resolved in this context")
    return request[0]


def tenant_of() -> str:
    """The tenant the Lambda authorizer attached to the request being resolved."""
    authorizer = current_resolver().current_event.request_context.get("authorizer") or {}
    tenant = authorizer.get("tenant_id") if isinstance(authorizer, dict) else None
    if not tenant:
        raise UnauthorizedError("the request carries no tenant: is the authorizer attached to this route?")
    return str(tenant)


# ----------------------------------------------------------------------------- request bodies

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


def check_request_body(request: Request) -> None:
    """Refuse, before parsing it, a body that is not JSON (415) or nests too deeply (400)."""
    if request.http_method not in _BODY_METHODS:
        return
    content_type = request.header("content-type") or ""
    if not is_json_media_type(content_type):
        raise UnsupportedMediaTypeError(
            f"Content-Type {content_type.split(';', 1)[0].strip()!r} is not supported: "
            "send the body as JSON with Content-Type: application/json",
            details={"content_type": content_type[:200]},
        )
    body = request.raw_event.get("body") or ""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)
    if request.raw_event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw)
            request.__dict__["body"] = raw.decode("utf-8")
        except ValueError as exc:
            raise InputValidationError("the request body is not valid base64 of UTF-8 text") from exc
    if nests_deeper_than(raw, MAX_BODY_DEPTH):
        raise InputValidationError(f"the request body nests deeper than {MAX_BODY_DEPTH} levels")


# ----------------------------------------------------------------------------- responses


def error_response(
    status: int, error_code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {"error": message, "error_code": error_code}
    if details:
        body["details"] = details
    return Response(status, JSON_CONTENT_TYPE, body, dict(headers or {}))


def _describe_validation_errors(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    described = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        described.append({"loc": loc, "msg": str(err.get("msg", "invalid"))})
    message = "; ".join(f"{'.'.join(d['loc']) or 'request'}: {d['msg']}" for d in described)
    return message or "the request is not valid", described


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _proxy(response: Response) -> dict[str, Any]:
    """A response as API Gateway's Lambda proxy integration expects it."""
    headers = dict(response.headers)
    body = response.body
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    if response.content_type is not None:
        headers.setdefault("Content-Type", response.content_type)
        if response.content_type.startswith(JSON_CONTENT_TYPE) and not isinstance(body, str):
            body = _json(body)
    return {
        "statusCode": response.status_code,
        "headers": headers,
        "multiValueHeaders": {},
        "body": "" if body is None else body,
        "isBase64Encoded": False,
    }


# ----------------------------------------------------------------------------- CORS

#: Headers a browser may send and read across origins.
CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key"]
CORS_EXPOSE_HEADERS = ["Retry-After", "x-amzn-RequestId"]
#: What API Gateway itself needs a browser to be allowed to send (SigV4 and API-key headers).
_GATEWAY_HEADERS = ["Authorization", "Content-Type", "X-Amz-Date", "X-Api-Key", "X-Amz-Security-Token"]


@dataclass(frozen=True)
class CorsConfig:
    """Which browser origins may call the API, and what they may send and read."""

    origins: tuple[str, ...]
    allow_headers: tuple[str, ...] = tuple(sorted(set(_GATEWAY_HEADERS + CORS_ALLOW_HEADERS)))
    expose_headers: tuple[str, ...] = tuple(CORS_EXPOSE_HEADERS)
    max_age: int = 600

    def headers_for(self, origin: str | None) -> dict[str, str]:
        """The CORS headers of a response to ``origin`` (none for an origin not allowed)."""
        if not origin or (origin not in self.origins and "*" not in self.origins):
            return {}
        return {
            "Access-Control-Allow-Origin": origin if origin in self.origins else "*",
            "Access-Control-Allow-Headers": ",".join(self.allow_headers),
            "Access-Control-Expose-Headers": ",".join(self.expose_headers),
            "Access-Control-Max-Age": str(self.max_age),
        }


def cors_config() -> CorsConfig | None:
    """CORS for the origins in CORS_ALLOW_ORIGINS (none: no CORS headers, preflights are 404s)."""
    from docjobs.core.settings import CorsSettings

    origins = CorsSettings.from_environment().origins
    return CorsConfig(tuple(origins)) if origins else None


# ----------------------------------------------------------------------------- resolving


class Resolver(Router):
    """Answers proxy events with its routes: validation, CORS, and every error as the envelope."""

    def __init__(self, cors: CorsConfig | None = None) -> None:
        super().__init__()
        self.cors = cors

    def include_router(self, router: Router) -> None:
        self._routes.update(router._routes)

    @property
    def current_event(self) -> Request:
        request = _current_request.get()
        if request is None:
            raise RuntimeError("no request is being resolved in this context")
        return request[1]

    @property
    def lambda_context(self) -> Any:
        request = _current_request.get()
        return request[2] if request else None

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        request = Request(event)
        token = _current_request.set((self, request, context))
        try:
            response = self._respond(request)
        finally:
            _current_request.reset(token)
        if self.cors is not None:
            response.headers.update(self.cors.headers_for(request.header("origin")))
        return _proxy(response)

    def __call__(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        return self.resolve(event, context)

    def _respond(self, request: Request) -> Response:
        try:
            route, path_values = self._match(request)
            if route is None:
                return self._no_route(request)
            check_request_body(request)
            result = route.handler(**route.arguments(request, path_values))
        except RequestValidationError as exc:
            message, described = _describe_validation_errors(exc.errors())
            return error_response(400, InputValidationError.error_code, message, {"errors": described})
        except DocjobsError as exc:
            if exc.http_status >= 500:
                logger.exception("request failed", extra={"error_code": exc.error_code})
            return error_response(exc.http_status, exc.error_code, exc.message, exc.details, exc.headers)
        except RecursionError:
            return error_response(400, InputValidationError.error_code, "the request body nests too deeply")
        except Exception:  # noqa: BLE001 - anything else is a 500 in the envelope, logged
            logger.exception("unexpected error")
            return error_response(500, "INTERNAL_ERROR", "internal error; the request id is in the logs")
        if isinstance(result, Response):
            return result
        return Response(route.status_code, JSON_CONTENT_TYPE, result)

    def _match(self, request: Request) -> tuple[Route | None, dict[str, str]]:
        for route in self._routes.values():
            if route.method == request.http_method and (match := route.pattern.match(request.path)):
                return route, match.groupdict()
        return None, {}

    def _no_route(self, request: Request) -> Response:
        if self.cors is not None and request.http_method == "OPTIONS":
            methods = sorted({"OPTIONS"} | {route.method for route in self._routes.values()})
            return Response(204, None, "", {"Access-Control-Allow-Methods": ",".join(methods)})
        return error_response(404, "NOT_FOUND", f"no route for {request.http_method} {request.path}")


def build_resolver(*routers: Router) -> Resolver:
    """A REST (v1 payload) resolver with CORS, the given routes and the error mapping."""
    app = Resolver(cors=cors_config())
    for router in routers:
        app.include_router(router)
    return app
