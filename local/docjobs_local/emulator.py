"""``EmulatedStack``: deploy template.yaml into the current moto and run its handlers in process.

Works the same inside ``moto.mock_aws(config=MOTO_CONFIG)`` (in-process tests) and against a
moto server (``AWS_ENDPOINT_URL`` set; see server.py), because every resource is created
through boto3 clients. What is created, all read from the template:

- DynamoDB tables (keys, GSIs/LSIs, billing mode, streams, TTL);
- S3 buckets (+ CORS), and the notification configuration from functions' ``S3`` events
  (and a bucket's own ``NotificationConfiguration.LambdaConfigurations``);
- each function in moto's Lambda (dummy zip; its handler is run by ``runtime.Runtime``);
- state machines from their ASL with ``DefinitionSubstitutions`` applied;
- EventBridge rules + Lambda targets from functions' ``EventBridgeRule``/``CloudWatchEvent``
  events and from ``AWS::Events::Rule`` resources;
- environment variables: the union of ``Globals.Function.Environment`` and each function's
  own, set in ``os.environ`` (all handlers share one process).
"""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from . import iam, layers, moto_patch
from .gateway import ApiGateway
from .pollers import SqsPoller
from .runtime import FunctionSpec, Runtime
from .template import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    DEFAULT_STACK_NAME,
    ResolvedTemplate,
    TemplateError,
    env_string,
)

MOTO_CONFIG: dict[str, Any] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
TABLE_TYPES = ("AWS::DynamoDB::Table",)
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
LOCAL_ROLE_NAME = "docjobs-local-execution-role"

# Environment defaults for running handlers outside Lambda (only if neither the template nor
# the caller sets them): there is no X-Ray daemon locally.
LOCAL_ENV_DEFAULTS = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "docjobs-local"}


class LambdaFunctionError(Exception):
    """``EmulatedStack.invoke`` got a function error (the handler raised)."""

    def __init__(self, logical_id: str, payload: dict[str, Any]) -> None:
        super().__init__(f"{logical_id}: {payload.get('errorType')}: {payload.get('errorMessage')}")
        self.logical_id = logical_id
        self.payload = payload
        self.error_type = payload.get("errorType")
        self.error_message = payload.get("errorMessage")


class ExecutionTimeout(Exception):
    """``wait_for_execution`` gave up before the execution reached a terminal status."""


def _find_project_root(template_path: Path) -> Path:
    return template_path.resolve().parent


class EmulatedStack:
    """One template deployed into the current moto, with its handlers run in process."""

    def __init__(
        self,
        template_path: str | Path,
        *,
        parameters: Mapping[str, Any] | None = None,
        stack_name: str = DEFAULT_STACK_NAME,
        region: str | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        env_overrides: Mapping[str, str] | None = None,
        async_events: bool = False,
        enforce_timeouts: bool = True,
        endpoint_url: str | None = None,
        throttling: bool = True,
        enforce_iam: bool = True,
        check_imports: bool = True,
    ) -> None:
        self.region = (
            region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or (DEFAULT_REGION)
        )
        self.template = ResolvedTemplate.from_file(
            template_path,
            stack_name=stack_name,
            region=self.region,
            account_id=account_id,
            parameter_overrides=dict(parameters or {}),
        )
        self.project_root = _find_project_root(self.template.path)
        self.env_overrides = dict(env_overrides or {})
        self.endpoint_url = endpoint_url
        self.throttling = throttling  # the API's MethodSettings throttling (THROTTLED responses)
        # Each function runs as its own role from the SAM transform, with moto enforcing IAM (iam.py).
        self.enforce_iam = enforce_iam
        # Each function's code may import only what its layers ship, as on Lambda (layers.py).
        self.check_imports = check_imports
        if check_imports:
            layers.install()
        self.identities: iam.StackIdentities | None = None
        self._iam_token: Any = None
        self.pollers: list[SqsPoller] = []
        self.runtime = Runtime(enforce_timeouts=enforce_timeouts, async_events=async_events)
        self.functions: dict[str, FunctionSpec] = {}
        self.environment: dict[str, str] = {}
        self._clients: dict[str, Any] = {}
        self.gateway: ApiGateway | None = None
        self.deployed = False

    # ------------------------------------------------------------------ clients / names

    def client(self, service: str) -> Any:
        if service not in self._clients:
            kwargs: dict[str, Any] = {"region_name": self.region}
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
            kwargs["config"] = Config(
                retries={"max_attempts": 1, "mode": "standard"}, read_timeout=900, max_pool_connections=64
            )
            self._clients[service] = boto3.client(service, **kwargs)  # type: ignore[call-overload]
        return self._clients[service]

    def physical_name(self, logical_id: str) -> str:
        """Table name, bucket name, function name, state machine name... of a logical id."""
        return self.template.physical_name(logical_id)

    def arn(self, logical_id: str) -> str:
        return self.template.arn(logical_id)

    def resource_names(self) -> dict[str, str]:
        return {logical: self.template.physical_name(logical) for logical in self.template.resources}

    # ------------------------------------------------------------------ deploy

    def deploy(self) -> EmulatedStack:
        """Create everything; idempotent per stack object."""
        if self.deployed:
            return self
        moto_patch.register_runtime(self.runtime)
        self._set_environment()
        self._create_tables()
        self._create_buckets()
        role_arn = self._create_role()
        if self.enforce_iam:
            self.identities = iam.create_identities(self.template, self.client("iam"), self.client("sts"))
        self._create_functions(role_arn)
        self._create_state_machines(role_arn)
        self._create_bucket_notifications()
        self._create_event_rules()
        self._create_queues()
        self.gateway = ApiGateway(self)
        if self.identities is not None:
            self._iam_token = iam.enforce(self.identities.admin)
        self._start_pollers()
        self.deployed = True
        return self

    def close(self) -> None:
        for poller in self.pollers:
            poller.stop()
        self.runtime.wait_idle(timeout=30)
        self.runtime.shutdown()
        moto_patch.unregister_runtime(self.runtime)
        if self._iam_token is not None:
            iam.relax(self._iam_token)
            self._iam_token = None

    def role_arn(self, logical_id: str) -> str:
        """The IAM role a function or state machine runs as (its SAM-generated role)."""
        if self.identities is None:
            raise RuntimeError("IAM is not enforced on this stack (enforce_iam=False)")
        return self.identities.role_arns[logical_id]

    def role_name(self, logical_id: str) -> str:
        return self.role_arn(logical_id).rsplit("/", 1)[-1]

    def __enter__(self) -> EmulatedStack:
        return self.deploy()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- environment

    def _set_environment(self) -> None:
        env: dict[str, str] = {}
        origin: dict[str, str] = {}
        for logical in self.template.resources_of_type(*FUNCTION_TYPES):
            props = self.template.function_properties(logical)
            variables = ((props.get("Environment") or {}).get("Variables")) or {}
            for name, value in variables.items():
                text = env_string(value)
                if name in env and env[name] != text and name not in self.env_overrides:
                    raise TemplateError(
                        f"environment variable {name} is {env[name]!r} in {origin[name]} but {text!r} in "
                        f"{logical}: the local emulation runs all functions in one process, so a name "
                        f"must have one value (or pass env_overrides={{{name!r}: ...}})"
                    )
                env[name] = text
                origin.setdefault(name, logical)
        for name, value in LOCAL_ENV_DEFAULTS.items():
            if name not in env and name not in os.environ:
                env[name] = value
        env.update({k: str(v) for k, v in self.env_overrides.items()})
        env.setdefault("AWS_REGION", self.region)
        env.setdefault("AWS_DEFAULT_REGION", self.region)
        self.environment = env
        os.environ.update(env)

    # ---- DynamoDB

    def _create_tables(self) -> None:
        ddb = self.client("dynamodb")
        for logical in self.template.resources_of_type(*TABLE_TYPES):
            props = self.template.resolve(self.template.resource(logical).get("Properties") or {})
            name = self.physical_name(logical)
            billing = props.get("BillingMode", "PROVISIONED")
            kwargs: dict[str, Any] = {
                "TableName": name,
                "KeySchema": props["KeySchema"],
                "AttributeDefinitions": props["AttributeDefinitions"],
                "BillingMode": billing,
            }
            throughput = props.get("ProvisionedThroughput") or {
                "ReadCapacityUnits": 5,
                "WriteCapacityUnits": 5,
            }
            if billing == "PROVISIONED":
                kwargs["ProvisionedThroughput"] = _int_values(throughput)
            for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
                if props.get(key):
                    indexes = []
                    for index in props[key]:
                        index = dict(index)
                        index.pop("ContributorInsightsSpecification", None)
                        if key == "GlobalSecondaryIndexes":
                            if billing == "PROVISIONED":
                                index["ProvisionedThroughput"] = _int_values(
                                    index.get("ProvisionedThroughput") or throughput
                                )
                            else:
                                index.pop("ProvisionedThroughput", None)
                        indexes.append(index)
                    kwargs[key] = indexes
            stream = props.get("StreamSpecification")
            if stream:
                kwargs["StreamSpecification"] = {
                    "StreamEnabled": True,
                    "StreamViewType": stream["StreamViewType"],
                }
            ddb.create_table(**kwargs)
            ttl = props.get("TimeToLiveSpecification")
            if ttl and _truthy(ttl.get("Enabled")):
                ddb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
                )

    # ---- S3

    def _create_buckets(self) -> None:
        s3 = self.client("s3")
        for logical in self.template.resources_of_type("AWS::S3::Bucket"):
            props = self.template.resolve(self.template.resource(logical).get("Properties") or {})
            name = self.physical_name(logical)
            if self.region == "us-east-1":
                s3.create_bucket(Bucket=name)
            else:
                s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})
            cors = (props.get("CorsConfiguration") or {}).get("CorsRules")
            if cors:
                rules = []
                for rule in cors:
                    out = {_CORS_KEYS[k]: v for k, v in rule.items() if k in _CORS_KEYS}
                    if "MaxAge" in rule:
                        out["MaxAgeSeconds"] = int(rule["MaxAge"])
                    rules.append(out)
                s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})

    def _create_bucket_notifications(self) -> None:
        per_bucket: dict[str, list[dict[str, Any]]] = {}
        for logical, spec in self.functions.items():
            for event_name, event in self._function_events(logical).items():
                if event.get("Type") != "S3":
                    continue
                ev = event.get("Properties") or {}
                bucket = ev["Bucket"]
                events = ev["Events"] if isinstance(ev["Events"], list) else [ev["Events"]]
                config: dict[str, Any] = {
                    "Id": f"{logical}{event_name}",
                    "LambdaFunctionArn": spec.function_arn,
                    "Events": events,
                }
                rules = ((ev.get("Filter") or {}).get("S3Key") or {}).get("Rules")
                if rules:
                    config["Filter"] = {"Key": {"FilterRules": rules}}
                per_bucket.setdefault(bucket, []).append(config)
        eventbridge: set[str] = set()
        for logical in self.template.resources_of_type("AWS::S3::Bucket"):
            props = self.template.resolve(self.template.resource(logical).get("Properties") or {})
            notification = props.get("NotificationConfiguration") or {}
            if _truthy((notification.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled")):
                eventbridge.add(self.physical_name(logical))
            for i, cfg in enumerate(notification.get("LambdaConfigurations") or []):
                config = {
                    "Id": f"{logical}Lambda{i}",
                    "LambdaFunctionArn": cfg["Function"],
                    "Events": [cfg["Event"]],
                }
                rules = ((cfg.get("Filter") or {}).get("S3Key") or {}).get("Rules")
                if rules:
                    config["Filter"] = {"Key": {"FilterRules": rules}}
                per_bucket.setdefault(self.physical_name(logical), []).append(config)
        s3 = self.client("s3")
        for bucket in sorted(set(per_bucket) | eventbridge):
            config: dict[str, Any] = {}
            if per_bucket.get(bucket):
                config["LambdaFunctionConfigurations"] = per_bucket[bucket]
            if bucket in eventbridge:
                config["EventBridgeConfiguration"] = {}
            s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)

    # ---- IAM / Lambda

    def _create_role(self) -> str:
        iam = self.client("iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        try:
            return iam.get_role(RoleName=LOCAL_ROLE_NAME)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            return iam.create_role(RoleName=LOCAL_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))[
                "Role"
            ]["Arn"]

    def _function_events(self, logical: str) -> dict[str, dict[str, Any]]:
        props = self.template.function_properties(logical)
        return props.get("Events") or {}

    def _create_functions(self, role_arn: str) -> None:
        lam = self.client("lambda")
        zip_bytes = _dummy_zip()
        for logical in self.template.resources_of_type(*FUNCTION_TYPES):
            props = self.template.function_properties(logical)
            name = self.physical_name(logical)
            code_uri = props.get("CodeUri") or "."
            if isinstance(code_uri, dict):
                raise TemplateError(f"{logical}: CodeUri must be a local directory for the local emulation")
            handler = props.get("Handler") or "app.lambda_handler"
            spec = FunctionSpec(
                logical_id=logical,
                function_name=name,
                function_arn=self.arn(logical),
                code_dir=(self.template.base_dir / code_uri).resolve(),
                handler=handler,
                timeout_seconds=float(props.get("Timeout", 3)),
                memory_mb=int(props.get("MemorySize", 128)),
                credentials=self.identities.credentials[logical] if self.identities else None,
                imports=layers.template_function_imports(self.template, logical)
                if self.check_imports
                else None,
            )
            self.functions[logical] = spec
            self.runtime.register(spec)
            lam.create_function(
                FunctionName=name,
                Runtime=str(props.get("Runtime", "python3.12")),
                Role=self.identities.role_arns[logical] if self.identities else role_arn,
                Handler=handler,
                Code={"ZipFile": zip_bytes},
                Timeout=int(spec.timeout_seconds),
                MemorySize=spec.memory_mb,
                Environment={"Variables": {k: self.environment[k] for k in self._own_env_names(props)}},
            )

    def _own_env_names(self, props: dict[str, Any]) -> list[str]:
        return [k for k in ((props.get("Environment") or {}).get("Variables") or {}) if k in self.environment]

    # ---- SQS

    def _create_queues(self) -> None:
        sqs = self.client("sqs")
        redrives: dict[str, str] = {}
        for logical in self.template.resources_of_type("AWS::SQS::Queue"):
            props = self.template.resolve(self.template.resource(logical).get("Properties") or {})
            attributes = {
                key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
                for key in _QUEUE_ATTRIBUTES
                if key in props
            }
            url = sqs.create_queue(QueueName=self.physical_name(logical), Attributes=attributes)["QueueUrl"]
            if props.get("RedrivePolicy"):
                redrives[url] = json.dumps(props["RedrivePolicy"])
        for url, policy in redrives.items():  # once every dead-letter queue exists
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy})

    def _start_pollers(self) -> None:
        sqs = self.client("sqs")
        for logical, spec in self.functions.items():
            for event in self._function_events(logical).values():
                if event.get("Type") != "SQS":
                    continue
                ev = event.get("Properties") or {}
                queue_arn = str(ev["Queue"])
                name = queue_arn.rsplit(":", 1)[-1]
                poller = SqsPoller(
                    self.runtime,
                    spec,
                    sqs,
                    sqs.get_queue_url(QueueName=name)["QueueUrl"],
                    queue_arn,
                    batch_size=int(ev.get("BatchSize", 10)),
                    concurrency=int((ev.get("ScalingConfig") or {}).get("MaximumConcurrency", 2)),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in (ev.get("FunctionResponseTypes") or []),
                    region=self.region,
                )
                poller.start()
                self.pollers.append(poller)

    # ---- Step Functions

    def _create_state_machines(self, role_arn: str) -> None:
        sfn = self.client("stepfunctions")
        for logical in self.template.resources_of_type(*STATE_MACHINE_TYPES):
            props = self.template.resolve(self.template.resource(logical).get("Properties") or {})
            definition = self._state_machine_definition(logical, props)
            kwargs: dict[str, Any] = {
                "name": self.physical_name(logical),
                "definition": definition,
                "roleArn": self.identities.role_arns[logical] if self.identities else role_arn,
            }
            if props.get("Type") or props.get("StateMachineType"):
                kwargs["type"] = props.get("Type") or props.get("StateMachineType")
            sfn.create_state_machine(**kwargs)

    def _state_machine_definition(self, logical: str, props: dict[str, Any]) -> str:
        if "DefinitionUri" in props or "DefinitionS3Location" in props:
            uri = props.get("DefinitionUri") or props.get("DefinitionS3Location")
            if not isinstance(uri, str):
                raise TemplateError(f"{logical}: DefinitionUri must be a local file for the local emulation")
            text = (self.template.base_dir / uri).read_text(encoding="utf-8")
        elif "Definition" in props:
            text = json.dumps(props["Definition"])
        elif "DefinitionString" in props:
            text = props["DefinitionString"]
        else:
            raise TemplateError(f"{logical}: no Definition/DefinitionUri")
        substitutions = props.get("DefinitionSubstitutions") or {}
        for key, value in substitutions.items():
            text = text.replace("${" + key + "}", env_string(value))
        json.loads(text)  # fail here, with the file name, rather than inside moto
        return text

    def state_machine_arn(self, logical_id: str) -> str:
        return self.arn(logical_id)

    # ---- EventBridge

    def _create_event_rules(self) -> None:
        events = self.client("events")
        for logical, spec in self.functions.items():
            for event_name, event in self._function_events(logical).items():
                if event.get("Type") not in ("EventBridgeRule", "CloudWatchEvent"):
                    continue
                ev = event.get("Properties") or {}
                rule_name = ev.get("RuleName") or f"{self.template.stack_name}-{logical}{event_name}"[:64]
                kwargs: dict[str, Any] = {"Name": rule_name, "EventPattern": json.dumps(ev["Pattern"])}
                kwargs["State"] = str(ev.get("State", "ENABLED"))
                if ev.get("EventBusName"):
                    kwargs["EventBusName"] = ev["EventBusName"]
                events.put_rule(**kwargs)
                target: dict[str, Any] = {
                    "Id": (ev.get("Target") or {}).get("Id") or f"{logical}Target",
                    "Arn": spec.function_arn,
                }
                for key in ("Input", "InputPath"):
                    if key in ev:
                        target[key] = ev[key]
                if "InputTransformer" in ev:
                    target["InputTransformer"] = ev["InputTransformer"]
                put_kwargs: dict[str, Any] = {"Rule": rule_name, "Targets": [target]}
                if ev.get("EventBusName"):
                    put_kwargs["EventBusName"] = ev["EventBusName"]
                events.put_targets(**put_kwargs)
        for logical in self.template.resources_of_type("AWS::Events::Rule"):
            props = self.template.resolve(self.template.resource(logical).get("Properties") or {})
            if "EventPattern" not in props:
                continue  # schedules are not emulated
            name = self.physical_name(logical)
            kwargs = {"Name": name, "EventPattern": json.dumps(props["EventPattern"])}
            kwargs["State"] = str(props.get("State", "ENABLED"))
            if props.get("EventBusName"):
                kwargs["EventBusName"] = props["EventBusName"]
            events.put_rule(**kwargs)
            targets = [
                {k: v for k, v in t.items() if k in ("Id", "Arn", "Input", "InputPath", "InputTransformer")}
                for t in props.get("Targets") or []
            ]
            if targets:
                put_kwargs = {"Rule": name, "Targets": targets}
                if props.get("EventBusName"):
                    put_kwargs["EventBusName"] = props["EventBusName"]
                events.put_targets(**put_kwargs)

    # ------------------------------------------------------------------ helpers for tests & tools

    def invoke(self, logical_id: str, event: Any, *, check: bool = True) -> Any:
        """Invoke a function through moto's Lambda Invoke API; returns the decoded payload.

        A function error raises ``LambdaFunctionError`` (``check=False`` returns the error payload).
        """
        name = self.physical_name(logical_id)
        resp = self.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event).encode("utf-8"))
        raw = resp["Payload"].read()
        payload = json.loads(raw) if raw else None
        if resp.get("FunctionError") and check:
            raise LambdaFunctionError(logical_id, payload or {})
        return payload

    def start_execution(self, logical_id: str, execution_input: Any, name: str | None = None) -> str:
        kwargs: dict[str, Any] = {
            "stateMachineArn": self.arn(logical_id),
            "input": json.dumps(execution_input),
        }
        if name:
            kwargs["name"] = name
        return self.client("stepfunctions").start_execution(**kwargs)["executionArn"]

    def wait_for_execution(self, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
        """Poll until the execution ends; also waits for its status-change event to be handled.

        Returns ``describe_execution``'s response. Raises ``ExecutionTimeout``.
        """
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            try:
                desc = sfn.describe_execution(executionArn=execution_arn)
            except sfn.exceptions.ExecutionDoesNotExist:
                # Jobs start from the intake queue: the execution may not exist yet.
                if time.monotonic() > deadline:
                    raise ExecutionTimeout(f"{execution_arn} never started within {timeout}s") from None
                time.sleep(0.05)
                continue
            if desc["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                raise ExecutionTimeout(f"{execution_arn} still RUNNING after {timeout}s")
            time.sleep(0.05)
        remaining = max(0.1, deadline - time.monotonic())
        moto_patch.wait_for_status_event(execution_arn, remaining)
        self.runtime.wait_idle(max(0.1, deadline - time.monotonic()))
        return desc

    def execution_history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            resp = sfn.get_execution_history(**kwargs)
            events.extend(resp["events"])
            if not resp.get("nextToken"):
                return events
            kwargs["nextToken"] = resp["nextToken"]

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait for asynchronous deliveries (S3 notifications, EventBridge targets) to finish, and
        for the SQS pollers to have drained their queues (of visible messages)."""
        deadline = time.monotonic() + timeout
        if not self.runtime.wait_idle(timeout):
            return False
        for poller in self.pollers:
            while not poller.idle():
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.02)
        return self.runtime.wait_idle(max(0.1, deadline - time.monotonic()))

    def api_request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, Any] | str | None = None,
        body: str | bytes | Any | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """Send a request through the API Gateway emulation: ``(status, headers, body bytes)``.

        ``body`` may be bytes, str or a JSON-serialisable object (sent as JSON).
        """
        if self.gateway is None:
            raise RuntimeError("deploy() first")
        if body is not None and not isinstance(body, bytes | str):
            body = json.dumps(body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        if isinstance(body, str):
            body = body.encode("utf-8")
        return self.gateway.handle(method, path, headers=headers, query=query, body=body)


# AWS::SQS::Queue properties that are CreateQueue attributes of the same name
_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
)

# CloudFormation CorsRule property → S3 API field
_CORS_KEYS = {
    "AllowedHeaders": "AllowedHeaders",
    "AllowedMethods": "AllowedMethods",
    "AllowedOrigins": "AllowedOrigins",
    "ExposedHeaders": "ExposeHeaders",
    "Id": "ID",
}


def _int_values(d: Mapping[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in d.items()}


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _dummy_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def lambda_handler(event, context):\n    return event\n")
    return buf.getvalue()
