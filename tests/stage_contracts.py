"""What a state machine hands each task, and what the task's function accepts.

A Task's ``Resource`` (or ``Parameters.FunctionName``) is a ``${XFunctionArn}`` placeholder that the
state machine's ``DefinitionSubstitutions`` map to ``!GetAtt X.Arn``; the function's handler
(``functions/<dir>/app.py``) carries its typed ``input_model`` (docjobs.pipeline.runner).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from docjobs_local.template import ResolvedTemplate

ROOT = Path(__file__).resolve().parents[1]


@cache
def handler_of(code_dir: str) -> Any:
    path = ROOT / code_dir / "app.py"
    spec = importlib.util.spec_from_file_location(f"handler_{path.parent.name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


def _code_dir(template: ResolvedTemplate, logical: str) -> str:
    return str(template.function_properties(logical)["CodeUri"]).rstrip("/")


def input_model_for(template: ResolvedTemplate, logical: str, event: dict[str, Any]) -> type[BaseModel]:
    """The input model of function ``logical`` for ``event`` (a dispatching handler picks one by
    the event's constant field)."""
    handler = handler_of(_code_dir(template, logical))
    handlers = getattr(handler, "handlers", None)
    if handlers is not None:
        kind = event.get(handler.dispatch_field)
        assert kind in handlers, (
            f"{logical}: {handler.dispatch_field}={kind!r} is not one of {sorted(handlers)}"
        )
        handler = handlers[kind]
    model = getattr(handler, "input_model", None)
    assert model is not None, f"{logical}: its handler is not typed (use docjobs.pipeline.runner)"
    return model  # type: ignore[no-any-return]


def state_machine_files(template: ResolvedTemplate) -> dict[str, tuple[Path, dict[str, str]]]:
    """{state machine logical id: (ASL file, {placeholder: function logical id})}."""
    out = {}
    for logical in template.resources_of_type("AWS::Serverless::StateMachine"):
        props = template.resource(logical)["Properties"]
        subs = {}
        for key, value in (props.get("DefinitionSubstitutions") or {}).items():
            if isinstance(value, dict) and "Fn::GetAtt" in value:
                target, attribute = value["Fn::GetAtt"]
                if attribute == "Arn":
                    subs[key] = target
        out[logical] = (template.base_dir / props["DefinitionUri"], subs)
    return out


def tasks(states: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every Task state, Map item processors included, as (path, state)."""
    for name, state in states.items():
        where = f"{path}{name}"
        if state.get("Type") == "Task":
            yield where, state
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from tasks(processor["States"], where + "/")
        for i, branch in enumerate(state.get("Branches") or []):
            yield from tasks(branch["States"], f"{where}[{i}]/")


def placeholder_of(state: dict[str, Any]) -> str | None:
    resource = state.get("Resource", "")
    if resource.startswith("arn:aws:states:::lambda:invoke"):
        resource = (state.get("Parameters") or {}).get("FunctionName", "")
    if resource.startswith("${") and resource.endswith("}"):
        return resource[2:-1]
    return None


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())  # type: ignore[no-any-return]
