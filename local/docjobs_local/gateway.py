"""API Gateway (REST API, Lambda proxy integration, payload v1) emulation driven by the template.

Read from the template: routes (functions' ``Type: Api`` events on a ``AWS::Serverless::Api``,
or the implicit API when ``RestApiId`` is absent), the API's ``Auth`` (``DefaultAuthorizer``,
``Authorizers`` TOKEN/REQUEST Lambda authorizers, ``Identity.Header``/``ReauthorizeEvery``/
``ValidationExpression``, per-route ``Auth.Authorizer: NONE``), ``GatewayResponses``,
``Cors``, ``BinaryMediaTypes``.

Behaviour follows API Gateway REST APIs: an unknown resource or method answers
MISSING_AUTHENTICATION_TOKEN (403), a missing token or an authorizer raising
``Exception("Unauthorized")`` UNAUTHORIZED (401), a policy that does not allow the method ARN
ACCESS_DENIED (403), an authorizer crash AUTHORIZER_FAILURE (500), a handler error or a
malformed proxy response DEFAULT_5XX (502), a handler running past min(Timeout, 29 s)
INTEGRATION_TIMEOUT (504), a body over 10 MB REQUEST_TOO_LARGE (413). Each uses the
template's GatewayResponses entry for that type if any, else DEFAULT_4XX/DEFAULT_5XX, else
API Gateway's built-in ``{"message": ...}`` body.
"""

from __future__ import annotations

import base64
import datetime
import fnmatch
import json
import re
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from .runtime import FunctionSpec
from .template import LOCAL_API_ID

if TYPE_CHECKING:
    from .emulator import EmulatedStack

STAGE = "Prod"
MAX_BODY_BYTES = 10 * 1024 * 1024
INTEGRATION_TIMEOUT_SECONDS = 29.0
IMPLICIT_API = "ServerlessRestApi"

_DEFAULT_RESPONSES: dict[str, tuple[int, str | None, str]] = {
    # type: (status, message, x-amzn-ErrorType)
    "MISSING_AUTHENTICATION_TOKEN": (
        403,
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
    ),
    "UNAUTHORIZED": (401, "Unauthorized", "UnauthorizedException"),
    "ACCESS_DENIED": (
        403,
        "User is not authorized to access this resource with an explicit deny",
        "AccessDeniedException",
    ),
    "AUTHORIZER_FAILURE": (500, None, "AuthorizerFailureException"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, None, "AuthorizerConfigurationException"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out", "InternalServerErrorException"),
    "INTEGRATION_FAILURE": (502, "Internal server error", "InternalServerErrorException"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long", "RequestTooLargeException"),
    "THROTTLED": (429, "Too Many Requests", "TooManyRequestsException"),
    "DEFAULT_5XX": (502, "Internal server error", "InternalServerErrorException"),
    "DEFAULT_4XX": (400, "Bad Request", "BadRequestException"),
}


class AuthorizerDenied(Exception):
    def __init__(self, response_type: str) -> None:
        super().__init__(response_type)
        self.response_type = response_type


@dataclass
class Route:
    api: str
    method: str  # upper case, or "ANY"
    resource: str  # "/api/jobs/{id}"
    function: FunctionSpec
    authorizer: str | None  # name, or None for no authorization
    pattern: re.Pattern[str] = field(init=False)
    params: list[str] = field(init=False)
    specificity: tuple[int, int] = field(init=False)

    def __post_init__(self) -> None:
        parts, params, static, greedy = [], [], 0, 0
        for seg in self.resource.strip("/").split("/") if self.resource.strip("/") else []:
            m = re.fullmatch(r"\{(\w+)(\+?)\}", seg)
            if m:
                params.append(m.group(1))
                if m.group(2):
                    greedy += 1
                    parts.append(f"(?P<{m.group(1)}>.+)")
                else:
                    parts.append(f"(?P<{m.group(1)}>[^/]+)")
            else:
                static += 1
                parts.append(re.escape(seg))
        self.pattern = re.compile("^/" + "/".join(parts) + "/?$")
        self.params = params
        # More static segments first; greedy proxies last.
        self.specificity = (-greedy, static)


@dataclass
class Authorizer:
    name: str
    function_arn: str
    kind: str  # TOKEN | REQUEST
    header: str = "Authorization"
    identity_headers: tuple[str, ...] = ()
    identity_query: tuple[str, ...] = ()
    ttl: int = 300
    validation: re.Pattern[str] | None = None


@dataclass
class GatewayResponse:
    status: int | None
    templates: dict[str, str]
    headers: dict[str, str]


class ApiGateway:
    """One stack's REST APIs: ``handle(method, path, ...)`` → (status, headers, body)."""

    def __init__(self, stack: EmulatedStack) -> None:
        self.stack = stack
        self.routes: list[Route] = []
        self.authorizers: dict[tuple[str, str], Authorizer] = {}
        self.responses: dict[str, dict[str, GatewayResponse]] = {}
        self.cors: dict[str, dict[str, str]] = {}
        self.binary_types: dict[str, list[str]] = {}
        self._cache: dict[tuple[str, str, str], tuple[float, dict[str, Any]]] = {}
        self._cache_lock = threading.Lock()
        self.stages: dict[str, str] = {}
        self.throttles: dict[str, _TokenBucket] = {}
        self.throttling = getattr(stack, "throttling", True)
        self._pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="docjobs-local-api")
        self._load()

    # ------------------------------------------------------------------ template

    def _load(self) -> None:
        tpl = self.stack.template
        apis = tpl.resources_of_type("AWS::Serverless::Api")
        default_auth: dict[str, str | None] = {}
        for logical in apis:
            props = tpl.api_properties(logical)
            self._load_api(logical, props)
            default_auth[logical] = (props.get("Auth") or {}).get("DefaultAuthorizer")
        for logical, spec in self.stack.functions.items():
            for event in (tpl.function_properties(logical).get("Events") or {}).values():
                if event.get("Type") != "Api":
                    continue
                ev = event.get("Properties") or {}
                api = ev.get("RestApiId") or IMPLICIT_API
                api = api if api in apis or api == IMPLICIT_API else _api_by_ref(api, apis, tpl)
                if api == IMPLICIT_API and api not in self.responses:
                    self._load_api(api, tpl.resolve(tpl.globals.get("Api") or {}))
                    default_auth[api] = None
                auth = (ev.get("Auth") or {}).get("Authorizer", default_auth.get(api))
                if auth in (None, "NONE", "AWS_IAM"):
                    auth = None
                self.routes.append(
                    Route(
                        api=api,
                        method=str(ev.get("Method", "ANY")).upper(),
                        resource="/" + str(ev["Path"]).strip("/"),
                        function=spec,
                        authorizer=auth,
                    )
                )
        self.routes.sort(key=lambda r: r.specificity, reverse=True)

    def _load_api(self, logical: str, props: dict[str, Any]) -> None:
        auth = props.get("Auth") or {}
        for name, cfg in (auth.get("Authorizers") or {}).items():
            if "FunctionArn" not in cfg:
                continue  # Cognito / IAM authorizers are not emulated
            identity = cfg.get("Identity") or {}
            kind = str(cfg.get("FunctionPayloadType", "TOKEN")).upper()
            validation = identity.get("ValidationExpression")
            self.authorizers[(logical, name)] = Authorizer(
                name=name,
                function_arn=str(cfg["FunctionArn"]),
                kind=kind,
                header=identity.get("Header", "Authorization"),
                identity_headers=tuple(identity.get("Headers") or ()),
                identity_query=tuple(identity.get("QueryStrings") or ()),
                ttl=int(identity.get("ReauthorizeEvery", 300)),
                validation=re.compile(validation) if validation else None,
            )
        responses: dict[str, GatewayResponse] = {}
        for rtype, cfg in (props.get("GatewayResponses") or {}).items():
            cfg = cfg or {}
            params = cfg.get("ResponseParameters") or {}
            headers = {k: _strip_quotes(v) for k, v in (params.get("Headers") or {}).items()}
            status = cfg.get("StatusCode")
            responses[rtype] = GatewayResponse(
                status=int(status) if status is not None else None,
                templates=dict(cfg.get("ResponseTemplates") or {}),
                headers=headers,
            )
        self.responses[logical] = responses
        cors = props.get("Cors")
        if cors:
            if isinstance(cors, str):
                cors = {"AllowOrigin": cors}
            self.cors[logical] = {k: _strip_quotes(str(v)) for k, v in cors.items()}
        self.binary_types[logical] = [str(t).replace("~1", "/") for t in props.get("BinaryMediaTypes") or []]
        self.stages[logical] = str(props.get("StageName") or STAGE)
        for setting in props.get("MethodSettings") or []:
            if setting.get("ResourcePath") == "/*" and setting.get("HttpMethod") == "*":
                if "ThrottlingRateLimit" in setting:
                    rate = float(setting["ThrottlingRateLimit"])
                    burst = float(setting.get("ThrottlingBurstLimit", rate))
                    self.throttles[logical] = _TokenBucket(rate, burst)

    # ------------------------------------------------------------------ request handling

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, path parameters, whether the path exists for some other method)."""
        method = method.upper()
        path_exists = False
        fallback: tuple[Route, dict[str, str]] | None = None
        for route in self.routes:
            m = route.pattern.match(path)
            if not m:
                continue
            path_exists = True
            if route.method == method:
                return route, {k: v for k, v in m.groupdict().items()}, True
            if route.method == "ANY" and fallback is None:
                fallback = (route, m.groupdict())
        if fallback:
            return fallback[0], fallback[1], True
        return None, {}, path_exists

    def handle(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
        query: Mapping[str, Any] | str | list[tuple[str, str]] | None = None,
        body: bytes | None = None,
        source_ip: str = "127.0.0.1",
    ) -> tuple[int, dict[str, str], bytes]:
        request_id = str(uuid.uuid4())
        header_pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])
        query_pairs = _query_pairs(query)
        path = "/" + path.split("?", 1)[0].lstrip("/")
        method = method.upper()
        route, path_params, path_exists = self.match(method, path)
        api = route.api if route else self._api_for_path(path)
        stage = self.stages.get(api, STAGE)
        ctx: dict[str, Any] = {"requestId": request_id, "path": path, "httpMethod": method, "stage": stage}
        ctx["requestHeaders"] = {k.lower(): v for k, v in header_pairs}
        if self.throttling and api in self.throttles and not self.throttles[api].take():
            return self._gateway_response(api, "THROTTLED", ctx)

        if method == "OPTIONS" and route is None and api in self.cors and path_exists:
            return 200, self._cors_preflight(api, request_id), b""
        if route is None:
            return self._gateway_response(api, "MISSING_AUTHENTICATION_TOKEN", ctx)
        if body is not None and len(body) > MAX_BODY_BYTES:
            return self._gateway_response(api, "REQUEST_TOO_LARGE", ctx)

        authorizer_ctx: dict[str, Any] | None = None
        if route.authorizer:
            auth = self.authorizers.get((route.api, route.authorizer))
            if auth is None:
                return self._gateway_response(api, "AUTHORIZER_CONFIGURATION_ERROR", ctx)
            try:
                authorizer_ctx = self._authorize(
                    auth, route, method, path, header_pairs, query_pairs, path_params
                )
            except AuthorizerDenied as denied:
                return self._gateway_response(api, denied.response_type, ctx)
            ctx["authorizer"] = authorizer_ctx

        event = self.proxy_event(
            route,
            method,
            path,
            header_pairs,
            query_pairs,
            path_params,
            body,
            request_id,
            source_ip,
            authorizer_ctx,
        )
        timeout = min(route.function.timeout_seconds, INTEGRATION_TIMEOUT_SECONDS)
        future = self._pool.submit(self.stack.runtime.invoke, route.function, event)
        try:
            payload, function_error = future.result(timeout=timeout + 0.5)
        except FutureTimeout:
            return self._gateway_response(api, "INTEGRATION_TIMEOUT", ctx)
        if function_error:
            return self._gateway_response(api, "DEFAULT_5XX", ctx, status=502)
        status, out_headers, out_body = _proxy_response(payload)
        if status is None:
            return self._gateway_response(api, "DEFAULT_5XX", ctx, status=502)
        out_headers.setdefault("x-amzn-RequestId", request_id)
        if api in self.cors and "AllowOrigin" in self.cors[api]:
            out_headers.setdefault("Access-Control-Allow-Origin", self.cors[api]["AllowOrigin"])
        return status, out_headers, out_body

    def _api_for_path(self, path: str) -> str:
        apis = [a for a in self.responses if a != IMPLICIT_API] or list(self.responses) or [IMPLICIT_API]
        return apis[0]

    # ---- authorizer

    def _authorize(
        self,
        auth: Authorizer,
        route: Route,
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        query: list[tuple[str, str]],
        path_params: dict[str, str],
    ) -> dict[str, Any]:
        method_arn = (
            f"arn:aws:execute-api:{self.stack.region}:{self.stack.template.account_id}:"
            f"{LOCAL_API_ID}/{self.stages.get(route.api, STAGE)}/{method}/{path.lstrip('/')}"
        )
        hmap = {k.lower(): v for k, v in headers}
        if auth.kind == "TOKEN":
            token = hmap.get(auth.header.lower())
            if not token:
                raise AuthorizerDenied("UNAUTHORIZED")
            if auth.validation and not auth.validation.fullmatch(token):
                raise AuthorizerDenied("UNAUTHORIZED")
            cache_key = token
            event: dict[str, Any] = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
        else:
            qmap = dict(query)
            sources = [hmap.get(h.lower()) for h in auth.identity_headers]
            sources += [qmap.get(q) for q in auth.identity_query]
            if (auth.identity_headers or auth.identity_query) and not all(sources):
                raise AuthorizerDenied("UNAUTHORIZED")
            cache_key = json.dumps(sources)
            event = {
                "type": "REQUEST",
                "methodArn": method_arn,
                "resource": route.resource,
                "path": path,
                "httpMethod": method,
                "headers": dict(headers),
                "multiValueHeaders": _multi(headers),
                "queryStringParameters": dict(query) or None,
                "multiValueQueryStringParameters": _multi(query) or None,
                "pathParameters": path_params or None,
                "stageVariables": None,
                "requestContext": self._request_context(
                    route, method, path, str(uuid.uuid4()), "127.0.0.1", hmap
                ),
            }
        key = (route.api, auth.name, cache_key)
        now = time.monotonic()
        cached = None
        if auth.ttl > 0 and (auth.kind == "TOKEN" or auth.identity_headers or auth.identity_query):
            with self._cache_lock:
                hit = self._cache.get(key)
                if hit and hit[0] > now:
                    cached = hit[1]
        if cached is None:
            spec = self.stack.runtime.find(auth.function_arn)
            if spec is None:
                raise AuthorizerDenied("AUTHORIZER_CONFIGURATION_ERROR")
            started = time.monotonic()
            payload, function_error = self.stack.runtime.invoke(spec, event)
            latency = int((time.monotonic() - started) * 1000)
            if function_error:
                error = json.loads(payload)
                if error.get("errorMessage") == "Unauthorized":
                    raise AuthorizerDenied("UNAUTHORIZED")
                raise AuthorizerDenied("AUTHORIZER_FAILURE")
            try:
                result = json.loads(payload)
                policy = result["policyDocument"]
                principal = result["principalId"]
            except (ValueError, KeyError, TypeError):
                raise AuthorizerDenied("AUTHORIZER_CONFIGURATION_ERROR") from None
            cached = {"policy": policy, "principalId": principal, "context": result.get("context") or {}}
            cached["latency"] = latency
            if auth.ttl > 0:
                with self._cache_lock:
                    self._cache[key] = (now + auth.ttl, cached)
        decision = _evaluate_policy(cached["policy"], method_arn)
        if decision != "Allow":
            raise AuthorizerDenied("ACCESS_DENIED")
        out: dict[str, Any] = {"principalId": cached["principalId"], "integrationLatency": cached["latency"]}
        for k, v in cached["context"].items():
            out[k] = _context_value(v)
        return out

    # ---- proxy event

    def _request_context(
        self, route: Route, method: str, path: str, request_id: str, source_ip: str, hmap: dict[str, str]
    ) -> dict[str, Any]:
        now = datetime.datetime.now(tz=datetime.UTC)
        stage = self.stages.get(route.api, STAGE)
        return {
            "resourceId": _resource_id(route.resource),
            "resourcePath": route.resource,
            "httpMethod": method,
            "extendedRequestId": request_id.replace("-", "")[:16] + "=",
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{stage}{path}",
            "accountId": self.stack.template.account_id,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": hmap.get("user-agent"),
                "user": None,
            },
            "domainName": hmap.get("host", "localhost"),
            "apiId": LOCAL_API_ID,
        }

    def proxy_event(
        self,
        route: Route,
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        query: list[tuple[str, str]],
        path_params: dict[str, str],
        body: bytes | None,
        request_id: str,
        source_ip: str,
        authorizer_ctx: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """The REST API Lambda proxy integration event (payload format 1.0)."""
        headers = list(headers)
        present = {k.lower() for k, _ in headers}
        for name, value in (
            ("X-Forwarded-For", source_ip),
            ("X-Forwarded-Port", "443"),
            ("X-Forwarded-Proto", "https"),
            ("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"),
        ):
            if name.lower() not in present:
                headers.append((name, value))
        hmap = {k.lower(): v for k, v in headers}
        request_context = self._request_context(route, method, path, request_id, source_ip, hmap)
        if authorizer_ctx is not None:
            request_context["authorizer"] = authorizer_ctx
        is_b64 = False
        text: str | None = None
        if body is not None and (body or method not in ("GET", "HEAD", "DELETE")):
            ctype = hmap.get("content-type", "").split(";", 1)[0].strip()
            if any(fnmatch.fnmatch(ctype, t) for t in self.binary_types.get(route.api, [])):
                is_b64 = True
                text = base64.b64encode(body).decode("ascii")
            else:
                text = body.decode("utf-8", errors="replace")
        single_headers: dict[str, str] = {}
        for k, v in headers:
            single_headers[k] = v
        return {
            "resource": route.resource,
            "path": path,
            "httpMethod": method,
            "headers": single_headers or None,
            "multiValueHeaders": _multi(headers) or None,
            "queryStringParameters": dict(query) or None,
            "multiValueQueryStringParameters": _multi(query) or None,
            "pathParameters": path_params or None,
            "stageVariables": None,
            "requestContext": request_context,
            "body": text,
            "isBase64Encoded": is_b64,
        }

    # ---- gateway responses

    def _gateway_response(
        self, api: str, rtype: str, ctx: dict[str, Any], status: int | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        default_status, message, error_type = _DEFAULT_RESPONSES.get(
            rtype, (500, "Internal server error", "")
        )
        declared = self.responses.get(api, {})
        family = "DEFAULT_4XX" if (status or default_status) < 500 else "DEFAULT_5XX"
        chosen = declared.get(rtype) or declared.get(family)
        final_status = status or default_status
        if chosen and chosen.status is not None:
            final_status = chosen.status
        headers = {"Content-Type": "application/json", "x-amzn-RequestId": ctx["requestId"]}
        if error_type:
            headers["x-amzn-ErrorType"] = error_type
        if chosen is not None:
            headers.update(_response_header_values(chosen.headers, ctx.get("requestHeaders") or {}))
            template = chosen.templates.get("application/json")
            if template is None and chosen.templates:
                template = next(iter(chosen.templates.values()))
            if template is not None:
                body = _render(template, rtype, message, ctx)
                return final_status, headers, body.encode("utf-8")
        return final_status, headers, json.dumps({"message": message}).encode("utf-8")

    def _cors_preflight(self, api: str, request_id: str) -> dict[str, str]:
        cors = self.cors[api]
        headers = {"x-amzn-RequestId": request_id, "Content-Type": "application/json"}
        mapping = {
            "AllowOrigin": "Access-Control-Allow-Origin",
            "AllowHeaders": "Access-Control-Allow-Headers",
            "AllowMethods": "Access-Control-Allow-Methods",
            "MaxAge": "Access-Control-Max-Age",
            "AllowCredentials": "Access-Control-Allow-Credentials",
        }
        for key, header in mapping.items():
            if key in cors:
                headers[header] = cors[key]
        return headers


# --------------------------------------------------------------------------- helpers


class _TokenBucket:
    """API Gateway's stage throttling: ``rate`` requests/s steady state, ``burst`` at once."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, max(burst, 1.0)
        self.tokens = self.burst
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


def _api_by_ref(value: str, apis: Mapping[str, Any], tpl: Any) -> str:
    # RestApiId resolves (via !Ref) to the local API id; with one API that is the one.
    if len(apis) == 1:
        return next(iter(apis))
    raise ValueError(f"cannot tell which API RestApiId {value!r} refers to; use !Ref <ApiLogicalId>")


def _response_header_values(declared: dict[str, str], request_headers: dict[str, str]) -> dict[str, str]:
    """Gateway response headers: static values, or ``method.request.header.<name>`` mappings
    (the request's header; left out when the request has none)."""
    out = {}
    for name, value in declared.items():
        if value.startswith("method.request.header."):
            found = request_headers.get(value.removeprefix("method.request.header.").lower())
            if found is not None:
                out[name] = found
        else:
            out[name] = value
    return out


def _strip_quotes(value: Any) -> str:
    text = str(value)
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    return text


def _query_pairs(query: Mapping[str, Any] | str | list[tuple[str, str]] | None) -> list[tuple[str, str]]:
    if query is None:
        return []
    if isinstance(query, str):
        return parse_qsl(query.lstrip("?"), keep_blank_values=True)
    if isinstance(query, Mapping):
        pairs: list[tuple[str, str]] = []
        for k, v in query.items():
            if isinstance(v, list | tuple):
                pairs.extend((k, str(x)) for x in v)
            elif v is not None:
                pairs.append((k, str(v)))
        return pairs
    return [(k, v) for k, v in query]


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def _resource_id(resource: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, resource).hex[:6]


def _context_value(value: Any) -> Any:
    # REST API authorizer context values may only be strings, numbers or booleans; the proxy
    # event carries them as strings.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _evaluate_policy(policy: Any, method_arn: str) -> str:
    """IAM evaluation of an authorizer policy for ``execute-api:Invoke`` on ``method_arn``."""
    if not isinstance(policy, dict):
        return "Deny"
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for st in statements:
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(fnmatch.fnmatchcase("execute-api:Invoke", a) for a in actions):
            continue
        resources = st.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if not any(fnmatch.fnmatchcase(method_arn, r) for r in resources):
            continue
        if st.get("Effect") == "Deny":
            return "Deny"
        if st.get("Effect") == "Allow":
            allowed = True
    return "Allow" if allowed else "Deny"


_VTL_RE = re.compile(r"\$\{?context\.([A-Za-z0-9_.]+)\}?")


def _render(template: str, rtype: str, message: str | None, ctx: dict[str, Any]) -> str:
    """Render the ``$context.*`` variables a gateway response template may use."""

    def value(name: str) -> str:
        if name == "error.message":
            return message if message is not None else "null"
        if name == "error.messageString":
            return json.dumps(message)
        if name == "error.responseType":
            return rtype
        if name.startswith("authorizer."):
            return str((ctx.get("authorizer") or {}).get(name.split(".", 1)[1], ""))
        node: Any = ctx
        for part in name.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return "" if node is None else str(node)

    return _VTL_RE.sub(lambda m: value(m.group(1)), template)


def _proxy_response(payload: bytes) -> tuple[int | None, dict[str, str], bytes]:
    """Decode a proxy integration response; status None if malformed (API Gateway answers 502)."""
    try:
        result = json.loads(payload)
    except ValueError:
        return None, {}, b""
    if not isinstance(result, dict):
        return None, {}, b""
    try:
        status = int(result.get("statusCode", 200))
    except (TypeError, ValueError):
        return None, {}, b""
    headers: dict[str, str] = {}
    for k, values in (result.get("multiValueHeaders") or {}).items():
        headers[k] = ",".join(str(v) for v in values)
    for k, v in (result.get("headers") or {}).items():
        headers[k] = str(v)
    body = result.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        return None, {}, b""
    elif result.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = body.encode("utf-8")
    return status, headers, data
