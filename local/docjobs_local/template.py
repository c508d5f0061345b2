"""Load a SAM/CloudFormation template and resolve its intrinsic functions for local use.

Nothing about docjobs is restated here: this module only knows CloudFormation. It gives
every resource a deterministic physical name (the one a deploy of the stack called
``stack_name`` would use when the template does not set one) so that references resolve
without a dependency graph: ``!Ref Table`` is the table name, ``!GetAtt Fn.Arn`` the
function ARN, ``!Ref StateMachine`` its ARN, and so on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_STACK_NAME = "docjobs-local"
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "123456789012"
LOCAL_API_ID = "local"

_NO_VALUE = object()  # AWS::NoValue: the key or list item is dropped


class TemplateError(Exception):
    """The template uses something this emulation cannot resolve."""


# --------------------------------------------------------------------------- YAML loader


@dataclass(frozen=True)
class Intrinsic:
    """A CloudFormation intrinsic function as written (``!Ref X`` → Intrinsic("Ref", "X"))."""

    name: str
    value: Any


_SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "Not": "Fn::Not",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "FindInMap": "Fn::FindInMap",
    "GetAZs": "Fn::GetAZs",
    "Base64": "Fn::Base64",
    "ImportValue": "Fn::ImportValue",
    "Cidr": "Fn::Cidr",
    "Length": "Fn::Length",
    "ToJsonString": "Fn::ToJsonString",
}


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short tags into ``{"Fn::X": ...}`` mappings."""


def _make_constructor(long_name: str) -> Any:
    def construct(loader: CfnLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if long_name == "Fn::GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {long_name: value}

    return construct


for _short, _long in _SHORT_TAGS.items():
    CfnLoader.add_constructor(f"!{_short}", _make_constructor(_long))


def load_template(path: str | Path) -> dict[str, Any]:
    """Parse a YAML (or JSON) template, CloudFormation short tags included."""
    text = Path(path).read_text(encoding="utf-8")
    data = yaml.load(text, Loader=CfnLoader)  # noqa: S506 - CfnLoader is a SafeLoader subclass
    if not isinstance(data, dict) or "Resources" not in data:
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources)")
    return data


# --------------------------------------------------------------------------- resolution


@dataclass
class ResolvedTemplate:
    """A template with deterministic physical names and an intrinsic-function resolver."""

    path: Path
    raw: dict[str, Any]
    stack_name: str = DEFAULT_STACK_NAME
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    parameter_overrides: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.parameters = self._parameter_values()
        self.conditions: dict[str, bool] = {}
        for name in self.raw.get("Conditions", {}) or {}:
            self._condition(name)
        self.resources: dict[str, dict[str, Any]] = {
            logical: res
            for logical, res in (self.raw.get("Resources") or {}).items()
            if "Condition" not in res or self._condition(res["Condition"])
        }
        self.globals: dict[str, Any] = self.raw.get("Globals") or {}

    # ---- construction helpers

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> ResolvedTemplate:
        return cls(path=Path(path), raw=load_template(path), **kwargs)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def _parameter_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        declared = self.raw.get("Parameters") or {}
        for name, spec in declared.items():
            if name in self.parameter_overrides:
                values[name] = self.parameter_overrides[name]
            elif "Default" in spec:
                values[name] = spec["Default"]
            else:
                raise TemplateError(f"parameter {name} has no Default and no override was given")
            if str(spec.get("Type", "")).startswith("List<") or spec.get("Type") == "CommaDelimitedList":
                if isinstance(values[name], str):
                    values[name] = [v.strip() for v in values[name].split(",")]
        unknown = set(self.parameter_overrides) - set(declared)
        if unknown:
            raise TemplateError(f"parameter overrides for undeclared parameters: {sorted(unknown)}")
        return values

    def _condition(self, name: str) -> bool:
        if name not in self.conditions:
            expr = (self.raw.get("Conditions") or {}).get(name)
            if expr is None:
                raise TemplateError(f"unknown condition {name}")
            self.conditions[name] = bool(self.resolve(expr))
        return self.conditions[name]

    # ---- names

    def resource(self, logical_id: str) -> dict[str, Any]:
        try:
            return self.resources[logical_id]
        except KeyError:
            raise TemplateError(f"no resource {logical_id} in {self.path}") from None

    def resources_of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") in types}

    def _prop_name(self, logical_id: str, key: str) -> str | None:
        props = self.resource(logical_id).get("Properties") or {}
        if key in props:
            value = self.resolve(props[key])
            return None if value is _NO_VALUE else str(value)
        return None

    def physical_name(self, logical_id: str) -> str:
        """The resource's name: its declared name, or ``{stack}-{LogicalId}`` (buckets: lower case)."""
        rtype = self.resource(logical_id).get("Type", "")
        key = {
            "AWS::Serverless::Function": "FunctionName",
            "AWS::Lambda::Function": "FunctionName",
            "AWS::DynamoDB::Table": "TableName",
            "AWS::Serverless::SimpleTable": "TableName",
            "AWS::S3::Bucket": "BucketName",
            "AWS::Serverless::StateMachine": "Name",
            "AWS::StepFunctions::StateMachine": "StateMachineName",
            "AWS::Events::Rule": "Name",
            "AWS::SNS::Topic": "TopicName",
            "AWS::SQS::Queue": "QueueName",
            "AWS::SecretsManager::Secret": "Name",
            "AWS::IAM::Role": "RoleName",
        }.get(rtype)
        declared = self._prop_name(logical_id, key) if key else None
        if declared:
            return declared
        if rtype == "AWS::S3::Bucket":
            return f"{self.stack_name}-{logical_id}-local".lower()[:63]
        return f"{self.stack_name}-{logical_id}"[:64]

    def arn(self, logical_id: str) -> str:
        rtype = self.resource(logical_id).get("Type", "")
        name = self.physical_name(logical_id)
        p, r, a = "aws", self.region, self.account_id
        if rtype in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            return f"arn:{p}:lambda:{r}:{a}:function:{name}"
        if rtype in ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"):
            return f"arn:{p}:dynamodb:{r}:{a}:table/{name}"
        if rtype == "AWS::S3::Bucket":
            return f"arn:{p}:s3:::{name}"
        if rtype in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            return f"arn:{p}:states:{r}:{a}:stateMachine:{name}"
        if rtype == "AWS::Events::Rule":
            return f"arn:{p}:events:{r}:{a}:rule/{name}"
        if rtype == "AWS::SNS::Topic":
            return f"arn:{p}:sns:{r}:{a}:{name}"
        if rtype == "AWS::SQS::Queue":
            return f"arn:{p}:sqs:{r}:{a}:{name}"
        if rtype == "AWS::SecretsManager::Secret":
            return f"arn:{p}:secretsmanager:{r}:{a}:secret:{name}"
        if rtype == "AWS::IAM::Role":
            return f"arn:{p}:iam::{a}:role/{name}"
        return f"arn:{p}:cloudformation:{r}:{a}:{logical_id}/{name}"

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::StackName": self.stack_name,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local"
            ),
            "AWS::NotificationARNs": [],
        }
        if name in pseudo:
            return pseudo[name]
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        rtype = self.resource(name).get("Type", "")
        if rtype in (
            "AWS::Serverless::StateMachine",
            "AWS::StepFunctions::StateMachine",
            "AWS::SNS::Topic",
            "AWS::SecretsManager::Secret",
        ):
            return self.arn(name)
        if rtype == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{self.physical_name(name)}"
        if rtype in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
            return LOCAL_API_ID
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        rtype = self.resource(logical_id).get("Type", "")
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute in ("Name", "TopicName", "QueueName", "StateMachineName"):
            return self.physical_name(logical_id)
        if attribute == "StreamArn":
            return f"{self.arn(logical_id)}/stream/1970-01-01T00:00:00.000"
        if rtype == "AWS::S3::Bucket" and attribute in ("DomainName", "RegionalDomainName"):
            return f"{self.physical_name(logical_id)}.s3.amazonaws.com"
        if rtype == "AWS::SQS::Queue" and attribute == "QueueUrl":
            return self.ref(logical_id)
        if rtype in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi") and attribute == "RootResourceId":
            return "root"
        raise TemplateError(f"unsupported !GetAtt {logical_id}.{attribute} ({rtype})")

    # ---- intrinsic functions

    def resolve(self, value: Any) -> Any:
        """Resolve intrinsic functions recursively; AWS::NoValue removes keys and list items."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Condition" and isinstance(arg, str) and "Fn::" not in arg:
                return self._condition(arg)
            if key.startswith("Fn::"):
                return self._fn(key, arg)
        out = {}
        for k, v in value.items():
            resolved = self.resolve(v)
            if resolved is not _NO_VALUE:
                out[k] = resolved
        return out

    def _fn(self, key: str, arg: Any) -> Any:
        if key == "Fn::GetAtt":
            logical, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return self.get_att(self.resolve(logical), self.resolve(attribute))
        if key == "Fn::Sub":
            if isinstance(arg, list):
                template, variables = arg[0], self.resolve(arg[1])
            else:
                template, variables = arg, {}
            return self.sub(template, variables)
        if key == "Fn::If":
            cond, yes, no = arg
            return self.resolve(yes if self._condition(cond) else no)
        if key == "Fn::Equals":
            a, b = (self.resolve(x) for x in arg)
            return str(a) == str(b)
        if key == "Fn::Not":
            return not self.resolve(arg[0])
        if key == "Fn::And":
            return all(self.resolve(x) for x in arg)
        if key == "Fn::Or":
            return any(self.resolve(x) for x in arg)
        if key == "Fn::Join":
            sep, items = arg
            return str(sep).join(str(x) for x in self.resolve(items))
        if key == "Fn::Select":
            index, items = arg
            return self.resolve(items)[int(self.resolve(index))]
        if key == "Fn::Split":
            sep, text = arg
            return str(self.resolve(text)).split(sep)
        if key == "Fn::FindInMap":
            m, k1, k2 = (self.resolve(x) for x in arg[:3])
            return self.raw["Mappings"][m][k1][k2]
        if key == "Fn::GetAZs":
            return [f"{self.region}a", f"{self.region}b", f"{self.region}c"]
        if key == "Fn::Base64":
            import base64

            return base64.b64encode(str(self.resolve(arg)).encode()).decode()
        if key == "Fn::ToJsonString":
            return json.dumps(self.resolve(arg), separators=(",", ":"))
        if key == "Fn::Length":
            return len(self.resolve(arg))
        raise TemplateError(f"intrinsic {key} is not supported by the local emulation")

    _SUB_RE = re.compile(r"\$\{([^}!]+)\}|\$\{!([^}]*)\}")

    def sub(self, template: str, variables: Mapping[str, Any] | None = None) -> str:
        variables = variables or {}

        def replace(match: re.Match[str]) -> str:
            if match.group(2) is not None:  # ${!Literal}
                return "${" + match.group(2) + "}"
            name = match.group(1).strip()
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical, attribute = name.split(".", 1)
                return str(self.get_att(logical, attribute))
            return str(self.ref(name))

        return self._SUB_RE.sub(replace, template)

    # ---- SAM helpers

    def function_properties(self, logical_id: str) -> dict[str, Any]:
        """A function's resolved properties with ``Globals.Function`` merged in (function wins)."""
        own = self.resolve(self.resource(logical_id).get("Properties") or {})
        if self.resource(logical_id).get("Type") != "AWS::Serverless::Function":
            return own
        base = self.resolve(self.globals.get("Function") or {})
        return _merge_globals(base, own)

    def api_properties(self, logical_id: str) -> dict[str, Any]:
        own = self.resolve(self.resource(logical_id).get("Properties") or {})
        base = self.resolve(self.globals.get("Api") or {})
        return _merge_globals(base, own)


def _merge_globals(base: Any, own: Any) -> Any:
    """SAM's Globals merge: maps merge recursively, lists concatenate, scalars: the resource wins."""
    if isinstance(base, dict) and isinstance(own, dict):
        out = dict(base)
        for k, v in own.items():
            out[k] = _merge_globals(base[k], v) if k in base else v
        return out
    if isinstance(base, list) and isinstance(own, list):
        return base + own
    return own


def env_string(value: Any) -> str:
    """How CloudFormation renders an environment variable value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)
