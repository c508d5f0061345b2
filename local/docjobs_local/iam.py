"""IAM enforced locally: every function calls AWS with its own role's credentials, and moto refuses
what the role's policies do not allow, as AWS would.

How it works (all of it is local-only; nothing here is deployed):

1. **Roles from the SAM transform.** ``sam_roles`` runs the SAM translator (aws-sam-translator,
   offline: no AWS call) on template.yaml, so policy templates (``LambdaInvokePolicy``...),
   ``EventInvokeConfig`` destinations and ``Globals`` are expanded exactly as SAM expands them on
   deploy. Each ``AWS::IAM::Role`` of the output, with its intrinsics resolved, is created in
   moto's IAM: its inline policies as inline role policies, and the AWS managed policies it
   attaches (``AWSLambdaBasicExecutionRole``...) as inline copies of their documents (moto does
   not load AWS managed policies by default).
2. **Credentials per function.** Each role is assumed with ``sts:AssumeRole`` (moto resolves a
   session key to its role and evaluates the role's policies). ``Runtime.invoke`` makes the
   function's session credentials current (a ``contextvars.ContextVar``) while its handler runs,
   and every botocore request signed in that context (or in a thread pool task it submitted) is
   signed with them; moto's
   Step Functions interpreter invokes Lambda with the execution role's credentials. Requests
   made outside any function (tests, tools, the local server) are signed as an administrator
   user created for that purpose.
3. **Enforcement.** moto's ``INITIAL_NO_AUTH_ACTION_COUNT`` is set to 0 once the stack is
   deployed, which makes moto authenticate every request (signature checked against the
   principal's secret). Which permissions a request needs is decided here, because moto only
   knows the resource for S3, SQS, IAM and STS and evaluates no conditions: ``required_permissions``
   gives the IAM action(s) and resource ARN(s) for DynamoDB (per table and index; a
   TransactWriteItems needs PutItem/UpdateItem/DeleteItem/ConditionCheckItem per item, as on AWS),
   Lambda, Step Functions, Secrets Manager, SNS and S3 (a GetObject/HeadObject of a missing key
   also needs s3:ListBucket, else AWS answers 403 instead of 404). ``evaluate`` applies identity
   policies the AWS way: an explicit Deny wins, an Allow needs its action, resource and
   conditions (StringEquals/StringLike/... on the request's keys, e.g. ``s3:prefix``) to match.
   Presigned URLs are authorised as the principal that signed them.

Not emulated: resource policies (the bucket policy), permission boundaries, SCPs, the trust
policies (the runtime assumes every role), and conditions on keys the request does not carry
(such a condition never matches, so an Allow with it does not apply, as on AWS when the key is
absent).
"""

from __future__ import annotations

import contextvars
import copy
import fnmatch
import functools
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlparse

from botocore.credentials import Credentials

from .template import ResolvedTemplate

ADMIN_USER = "docjobs-local-admin"
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

# The credentials requests are signed with in this context (a function's role while its handler
# runs; the state machine's role while Step Functions invokes a task).
_current: contextvars.ContextVar[Credentials | None] = contextvars.ContextVar(
    "docjobs_local_credentials", default=None
)
_admin: Credentials | None = None  # requests outside any function (tests, tools)
_role_credentials: dict[str, Credentials] = {}  # role ARN → session credentials
_installed = False
_install_lock = threading.Lock()


class IamSetupError(Exception):
    """The template's roles could not be created in moto."""


# --------------------------------------------------------------------------- SAM transform


@dataclass
class RoleSpec:
    logical_id: str  # the role's logical id in the transformed template (``<Function>Role``)
    owner: str  # the function or state machine using it
    name: str
    trust_policy: dict[str, Any]
    inline_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    managed_policy_arns: list[str] = field(default_factory=list)


def sam_transform(template: ResolvedTemplate) -> dict[str, Any]:
    """template.yaml after the SAM transform (local code URIs replaced by placeholders)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    raw = copy.deepcopy(template.raw)
    sections = [r.get("Properties") or {} for r in (raw.get("Resources") or {}).values()]
    sections += [g for g in (raw.get("Globals") or {}).values() if isinstance(g, dict)]
    for props in sections:
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://local-code/{key}"  # SAM requires an S3 URI to transform
    parameters: dict[str, Any] = {
        "AWS::Region": template.region,
        "AWS::AccountId": template.account_id,
        "AWS::Partition": "aws",
        "AWS::StackName": template.stack_name,
        "AWS::URLSuffix": "amazonaws.com",
    }
    parameters.update(template.parameters)
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=template.region))
    return translator.translate(raw, parameter_values=parameters, get_managed_policy_map=dict)  # type: ignore[no-any-return]


_roles_cache: dict[tuple[Any, ...], list[RoleSpec]] = {}


def sam_roles(template: ResolvedTemplate) -> list[RoleSpec]:
    """Every role the SAM transform creates for a function or state machine, intrinsics resolved."""
    cache_key = (
        str(template.path),
        template.path.stat().st_mtime_ns,
        template.stack_name,
        template.region,
        template.account_id,
        json.dumps(template.parameters, sort_keys=True, default=str),
    )
    if cache_key not in _roles_cache:
        _roles_cache[cache_key] = _sam_roles(template)
    return _roles_cache[cache_key]


def _sam_roles(template: ResolvedTemplate) -> list[RoleSpec]:
    transformed = sam_transform(template)
    resources = transformed["Resources"]
    owners: dict[str, str] = {}
    for logical, resource in resources.items():
        role = (resource.get("Properties") or {}).get("Role") or (resource.get("Properties") or {}).get(
            "RoleArn"
        )
        if isinstance(role, dict) and "Fn::GetAtt" in role:
            owners[role["Fn::GetAtt"][0]] = logical
    roles: list[RoleSpec] = []
    for logical, resource in resources.items():
        if resource.get("Type") != "AWS::IAM::Role" or logical not in owners:
            continue
        props = template.resolve(resource.get("Properties") or {})
        name = props.get("RoleName") or f"{template.stack_name}-{logical}"[:64]
        spec = RoleSpec(
            logical_id=logical,
            owner=owners[logical],
            name=name,
            trust_policy=props["AssumeRolePolicyDocument"],
            managed_policy_arns=list(props.get("ManagedPolicyArns") or []),
        )
        for policy in props.get("Policies") or []:
            spec.inline_policies[policy["PolicyName"]] = policy["PolicyDocument"]
        roles.append(spec)
    return roles


@functools.cache
def _managed_policy_documents() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return dict(json.loads(aws_managed_policies_data))


def _managed_policy_document(arn: str) -> dict[str, Any]:
    name = arn.rsplit("/", 1)[-1]
    data = _managed_policy_documents()
    if name not in data:
        raise IamSetupError(f"AWS managed policy {arn} is unknown to moto: cannot emulate it")
    return dict(data[name]["Document"])


# --------------------------------------------------------------------------- setup


@dataclass
class StackIdentities:
    """The roles, their session credentials and the administrator of one deployed stack."""

    role_arns: dict[str, str]  # owner logical id (function / state machine) → role ARN
    credentials: dict[str, Credentials]  # owner logical id → session credentials
    admin: Credentials


def create_identities(template: ResolvedTemplate, iam: Any, sts: Any) -> StackIdentities:
    """Create the template's roles (and the admin user) in moto's IAM and assume each role."""
    role_arns: dict[str, str] = {}
    credentials: dict[str, Credentials] = {}
    for spec in sam_roles(template):
        try:
            arn = iam.create_role(RoleName=spec.name, AssumeRolePolicyDocument=json.dumps(spec.trust_policy))[
                "Role"
            ]["Arn"]
        except iam.exceptions.EntityAlreadyExistsException:
            arn = iam.get_role(RoleName=spec.name)["Role"]["Arn"]
        for policy_name, document in spec.inline_policies.items():
            # SAM writes no Version (IAM then assumes 2008-10-17, same semantics without policy
            # variables); moto only accepts 2012-10-17.
            document = {"Version": "2012-10-17", **document}
            iam.put_role_policy(
                RoleName=spec.name, PolicyName=policy_name, PolicyDocument=json.dumps(document)
            )
        for managed in spec.managed_policy_arns:
            iam.put_role_policy(
                RoleName=spec.name,
                PolicyName=f"managed-{managed.rsplit('/', 1)[-1]}",
                PolicyDocument=json.dumps(_managed_policy_document(managed)),
            )
        session = sts.assume_role(RoleArn=arn, RoleSessionName=spec.owner[:64], DurationSeconds=43200)
        c = session["Credentials"]
        creds = Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        role_arns[spec.owner] = arn
        credentials[spec.owner] = creds
        _role_credentials[arn] = creds
    try:
        iam.create_user(UserName=ADMIN_USER)
        iam.put_user_policy(UserName=ADMIN_USER, PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
    admin = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    return StackIdentities(role_arns, credentials, admin)


def enforce(admin: Credentials) -> Any:
    """Turn moto's IAM enforcement on; requests outside functions are signed as ``admin``.

    Returns a token for ``relax``.
    """
    global _admin
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    install()
    token = (settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count, _admin)
    _admin = admin
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0
    return token


def relax(token: Any) -> None:
    """Undo ``enforce``."""
    global _admin
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count, _admin = token


def run_as(credentials: Credentials | None) -> contextvars.Token[Credentials | None]:
    """Sign this context's AWS requests with ``credentials`` (``reset_identity`` undoes it)."""
    return _current.set(credentials)


def reset_identity(token: contextvars.Token[Credentials | None]) -> None:
    _current.reset(token)


# --------------------------------------------------------------------------- patches


def install() -> None:
    """Patch botocore's signer and moto's authorizer once per process (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        _patch_signer()
        _patch_thread_pools()
        _patch_authorizer()
        _patch_step_functions_lambda()
        _installed = True


def _patch_signer() -> None:
    from botocore.signers import RequestSigner

    original = RequestSigner.get_auth_instance

    def get_auth_instance(self: Any, *args: Any, **kwargs: Any) -> Any:
        override = _current.get() or _admin
        if override is not None and kwargs.get("request_credentials") is None:
            kwargs["request_credentials"] = override
        return original(self, *args, **kwargs)

    RequestSigner.get_auth_instance = get_auth_instance  # type: ignore[method-assign]


def _patch_thread_pools() -> None:
    """Work a function hands to a thread pool (boto3's managed transfers: ``upload_fileobj``,
    ``download_fileobj``) runs with the function's identity, as it would inside its sandbox."""
    from concurrent.futures import ThreadPoolExecutor

    original = ThreadPoolExecutor.submit

    def submit(self: ThreadPoolExecutor, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        return original(self, contextvars.copy_context().run, fn, *args, **kwargs)

    ThreadPoolExecutor.submit = submit  # type: ignore[method-assign]


def _patch_step_functions_lambda() -> None:
    """Step Functions invokes Lambda with the execution role's credentials (its ``RoleArn``)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    original = lambda_eval_utils.execute_lambda_function_integration

    def execute_lambda_function_integration(env: Any, *args: Any, **kwargs: Any) -> Any:
        role_arn = env.states.context_object.context_object_data["Execution"].get("RoleArn")
        token = _current.set(_role_credentials.get(role_arn or ""))
        try:
            return original(env, *args, **kwargs)
        finally:
            _current.reset(token)

    lambda_eval_utils.execute_lambda_function_integration = execute_lambda_function_integration


def _patch_authorizer() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin

    def _authenticate_and_authorize_action(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        from moto import settings

        if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
            ActionAuthenticatorMixin.request_count += 1
            return
        if self.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
            return
        authorize_request(self, iam_request_cls, resource)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_and_authorize_action  # type: ignore[method-assign]


# --------------------------------------------------------------------------- authorization


def authorize_request(response: Any, iam_request_cls: type, moto_resource: str) -> None:
    """Authenticate ``response``'s request and check every permission it needs; raise moto's error."""
    from moto.iam.access_control import CreateAccessKeyFailure, S3IAMRequest, create_access_key
    from moto.utilities.utils import get_partition

    headers = dict(response.headers)
    s3 = iam_request_cls is S3IAMRequest
    query = parse_qs(urlparse(response.uri).query, keep_blank_values=True)
    presigned = "Authorization" not in headers and "X-Amz-Credential" in query
    if "Authorization" in headers:
        scope = headers["Authorization"].partition("Credential=")[2].partition(",")[0].split("/")
        iam_request = iam_request_cls(
            account_id=response.current_account,
            method=response.method,
            path=_path_with_query(response.uri),
            # moto falls back to the parsed parameters (even the headers) as the body when there is
            # none, which breaks the signature of every GET outside S3 (S3 signs no payload hash).
            data=response.data if s3 or response.raw_body else {},
            body=response.raw_body,
            headers=response.headers,
            action=response._get_action(),
        )
        iam_request.check_signature()
        principal = iam_request._access_key
    elif presigned:
        scope = query["X-Amz-Credential"][0].split("/")
        if "X-Amz-Security-Token" in query:
            headers["X-Amz-Security-Token"] = query["X-Amz-Security-Token"][0]
        try:
            principal = create_access_key(
                response.current_account, get_partition(scope[2]), scope[0], headers
            )
        except CreateAccessKeyFailure:
            _deny(response, s3, "anonymous", "s3:*")
    else:
        _deny(response, s3, "anonymous", f"{response.service_name}:{response._get_action()}")
    policies = [_policy_document(p) for p in principal.collect_policies()]
    for action, resource, context in required_permissions(response, scope[3], moto_resource, query):
        if not evaluate(policies, action, resource, context):
            _deny(response, s3, principal.arn, action, resource)


def _path_with_query(uri: str) -> str:
    """The request path with its query string encoded as SigV4 signed it (a moto server behind
    werkzeug hands over ``prefix=a/b`` and ``my file``, the client signed ``prefix=a%2Fb`` and
    ``my%20file``)."""
    parsed = urlparse(uri)
    path = quote(unquote(parsed.path), safe="/~")
    if not parsed.query:
        return path
    pairs = []
    for pair in parsed.query.split("&"):
        key, sep, value = pair.partition("=")
        pairs.append(quote(unquote(key), safe="-_.~") + sep + quote(unquote(value), safe="-_.~"))
    return f"{path}?{'&'.join(pairs)}"


# Services answering in JSON: AccessDeniedException with the HTTP status AWS uses.
_JSON_DENIED_STATUS = {"dynamodb": 400, "states": 400, "secretsmanager": 400, "lambda": 403, "textract": 400}


def _deny(response: Any, s3: bool, who: str, action: str, resource: str = "*") -> Any:
    from moto.core.exceptions import AccessDeniedError, JsonRESTError
    from moto.s3.exceptions import BucketAccessDeniedError, S3AccessDeniedError

    if s3:
        bucket = getattr(response, "bucket_name", None)
        raise BucketAccessDeniedError(bucket=bucket) if bucket else S3AccessDeniedError()
    message = f"User: {who} is not authorized to perform: {action} on resource: {resource}"
    service = action.split(":", 1)[0]
    if service in _JSON_DENIED_STATUS:
        error = JsonRESTError("AccessDeniedException", message)
        error.code = _JSON_DENIED_STATUS[service]
        raise error
    raise AccessDeniedError(user_arn=who, action=f"{action} on resource: {resource}")


def _policy_document(policy: Any) -> dict[str, Any]:
    from moto.iam.models import Policy

    if isinstance(policy, Policy):
        document = next(v.document for v in policy.versions if v.is_default)
    elif isinstance(policy, dict):
        document = policy.get("policy_document") or policy
    else:
        document = policy
    return json.loads(document) if isinstance(document, str) else dict(document)


Permission = tuple[str, str, dict[str, str]]  # (action, resource ARN, condition context)

_DYNAMODB_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def required_permissions(
    response: Any, service: str, moto_resource: str, query: dict[str, list[str]]
) -> Iterator[Permission]:
    """The (action, resource, context) a request needs, as AWS authorises it."""
    action = response._get_action() if service != "s3" else response.data.get("Action", "")
    region, account = response.region, response.current_account
    body = _json_body(response) if service in ("dynamodb", "states", "secretsmanager") else {}
    if service == "dynamodb":
        table_arn = f"arn:aws:dynamodb:{region}:{account}:table/"
        if action == "TransactWriteItems":
            for item in body.get("TransactItems", []):
                ((kind, spec),) = item.items()
                yield f"dynamodb:{_DYNAMODB_TRANSACT[kind]}", table_arn + spec["TableName"], {}
        elif action == "TransactGetItems":
            for item in body.get("TransactItems", []):
                yield "dynamodb:GetItem", table_arn + item["Get"]["TableName"], {}
        elif action in ("BatchGetItem", "BatchWriteItem"):
            for table in body.get("RequestItems", {}):
                yield f"dynamodb:{action}", table_arn + table, {}
        elif "TableName" in body:
            arn = table_arn + body["TableName"]
            if body.get("IndexName"):
                arn += f"/index/{body['IndexName']}"
            yield f"dynamodb:{action}", arn, {}
        else:
            yield f"dynamodb:{action}", "*", {}
    elif service == "lambda":
        parts = unquote(urlparse(response.uri).path).split("/")
        name = parts[parts.index("functions") + 1] if "functions" in parts else "*"
        if not name.startswith("arn:"):
            name = f"arn:aws:lambda:{region}:{account}:function:{name}"
        iam_action = {"Invoke": "InvokeFunction"}.get(action, action)
        yield f"lambda:{iam_action}", name, {}
    elif service == "states":
        arn = body.get("stateMachineArn") or body.get("executionArn") or "*"
        yield f"states:{action}", arn, {}
    elif service == "secretsmanager":
        yield f"secretsmanager:{action}", _secret_arn(body.get("SecretId", "*"), region, account), {}
    elif service == "sqs":
        # The batch APIs are authorised as their single-message actions.
        yield f"sqs:{action.removesuffix('Batch')}", moto_resource, {}
    elif service == "sns":
        yield f"sns:{action}", (response.querystring.get("TopicArn") or ["*"])[0], {}
    elif service == "s3" and action == "DeleteObject" and "delete" in query:
        # DeleteObjects is authorised per key, as s3:DeleteObject on each object.
        import xmltodict

        objects = xmltodict.parse(response.body or b"<Delete/>").get("Delete", {}).get("Object", [])
        for obj in objects if isinstance(objects, list) else [objects]:
            yield "s3:DeleteObject", f"{moto_resource}/{obj['Key']}", {}
    elif service == "s3":
        context = {"s3:prefix": query["prefix"][0]} if action == "ListBucket" and "prefix" in query else {}
        yield f"s3:{action}", moto_resource, context
        if action == "GetObject" and not _s3_key_exists(response):
            # AWS answers 403 (not 404) for a missing key unless the caller may list the bucket.
            # Whether S3 passes the key as s3:prefix to that check is not documented, so it is
            # evaluated without one: a ListBucket limited by an s3:prefix condition does not count.
            bucket = moto_resource.split(":::", 1)[1].split("/", 1)[0]
            yield "s3:ListBucket", f"arn:aws:s3:::{bucket}", {}
    else:
        yield f"{service}:{action}", moto_resource, {}


def _json_body(response: Any) -> dict[str, Any]:
    if isinstance(response.body, dict):
        return response.body
    raw = response.raw_body if response.raw_body else response.body
    if isinstance(raw, bytes | bytearray):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return {}
    if not isinstance(raw, str) or not raw.startswith("{"):
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _secret_arn(secret_id: str, region: str, account: str) -> str:
    if secret_id.startswith("arn:"):
        return secret_id
    from moto.secretsmanager.models import secretsmanager_backends

    try:
        return str(secretsmanager_backends[account][region].describe_secret(secret_id)["ARN"])
    except Exception:  # noqa: BLE001 - an unknown secret: authorise on its name pattern
        return f"arn:aws:secretsmanager:{region}:{account}:secret:{secret_id}"


def _s3_key_exists(response: Any) -> bool:
    try:
        key_name = response.parse_key_name()
        return response.backend.get_object(response.bucket_name, key_name) is not None
    except Exception:  # noqa: BLE001 - NoSuchBucket/NoSuchKey
        return False


# --------------------------------------------------------------------------- policy evaluation


def evaluate(policies: list[dict[str, Any]], action: str, resource: str, context: dict[str, str]) -> bool:
    """Identity-policy evaluation: an explicit Deny wins; otherwise allowed iff some Allow applies."""
    allowed = False
    for document in policies:
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            if not _statement_applies(statement, action, resource, context):
                continue
            if statement.get("Effect") == "Deny":
                return False
            allowed = True
    return allowed


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    regex = fnmatch.translate(pattern.replace("[", "[[]"))  # only * and ? are wildcards in IAM
    return re.match(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


def _statement_applies(
    statement: dict[str, Any], action: str, resource: str, context: dict[str, str]
) -> bool:
    if "Action" in statement:
        if not any(_glob(p, action, case_sensitive=False) for p in _as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(_glob(p, action, case_sensitive=False) for p in _as_list(statement["NotAction"])):
            return False
    if "Resource" in statement:
        if not any(_glob(p, resource) for p in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(_glob(p, resource) for p in _as_list(statement["NotResource"])):
            return False
    return all(
        _condition_holds(operator, key, _as_list(expected), context)
        for operator, pairs in (statement.get("Condition") or {}).items()
        for key, expected in pairs.items()
    )


def _condition_holds(operator: str, key: str, expected: list[Any], context: dict[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    op = operator.removesuffix("IfExists")
    if op == "Null":
        return (key not in context) == (str(expected[0]).lower() == "true")
    if key not in context:
        return if_exists or op.startswith(("StringNot", "ArnNot"))
    actual = context[key]
    values = [str(v) for v in expected]
    if op == "StringEquals":
        return actual in values
    if op == "StringNotEquals":
        return actual not in values
    if op == "StringEqualsIgnoreCase":
        return actual.lower() in (v.lower() for v in values)
    if op in ("StringLike", "ArnLike", "ArnEquals"):
        return any(_glob(v, actual) for v in values)
    if op in ("StringNotLike", "ArnNotLike", "ArnNotEquals"):
        return not any(_glob(v, actual) for v in values)
    if op == "Bool":
        return actual.lower() in (v.lower() for v in values)
    return False  # an operator this emulation does not evaluate never grants access
