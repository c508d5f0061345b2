"""Build ``statemachines/<type>.asl.json`` from ``statemachines/src/`` (``make asl``).

The Retry/Catch blocks every stage shares and the state groups several job types share (getting a
document's text: Upload, Parse, OCR; the endings: RecordFailure, JobCancelled, ...) are written
once, in ``statemachines/src/_shared.json``. A source file uses them with three markers:

- a state ``"@include <group>": {"Next": "<state>"}`` inlines that group of states; the group's
  ``"@next"`` placeholders become ``<state>``;
- ``"@stage": "<retry policy>"`` on a Task adds the task timeout from the execution input, the
  named Retry policy and the shared Catch (JobCancelledError ends quietly, anything else is
  recorded as the job's failure);
- ``"@retry": "<retry policy>"`` adds only the Retry (tasks inside a Map, whose Catch is the Map's);
- ``"@catch": true`` adds only the shared Catch (a Map state).

The built files are checked in (they are what SAM deploys and what the tests and the local runtime
execute); a unit test rebuilds them and fails when they are stale.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIR = ROOT / "statemachines" / "src"
OUTPUT_DIR = ROOT / "statemachines"
SHARED = "_shared.json"


class AslBuildError(Exception):
    """A source file uses a marker wrongly."""


def _expand_task(state: dict[str, Any], shared: dict[str, Any], where: str) -> dict[str, Any]:
    state = dict(state)
    stage = state.pop("@stage", None)
    retry = state.pop("@retry", None)
    catch = state.pop("@catch", False)
    if stage is not None and retry is not None:
        raise AslBuildError(f"{where}: use either @stage or @retry")
    policy = stage if stage is not None else retry
    if policy is not None:
        if policy not in shared["retry"]:
            raise AslBuildError(f"{where}: unknown retry policy {policy!r}; known: {sorted(shared['retry'])}")
        state["Retry"] = copy.deepcopy(shared["retry"][policy])
    if stage is not None:
        state.setdefault("TimeoutSecondsPath", "$.limits.stage_timeout_seconds")
    if stage is not None or catch:
        state["Catch"] = copy.deepcopy(shared["catch"])
    if state.get("Type") == "Map":
        processor = state.get("ItemProcessor") or {}
        processor["States"] = _expand_states(processor.get("States", {}), shared, f"{where}.ItemProcessor")
    return state


def _replace_next(value: Any, target: str) -> Any:
    if isinstance(value, dict):
        return {k: _replace_next(v, target) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_next(v, target) for v in value]
    return target if value == "@next" else value


def _expand_states(states: dict[str, Any], shared: dict[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, state in states.items():
        if name.startswith("@include "):
            group = name.removeprefix("@include ").strip()
            if group not in shared["groups"]:
                raise AslBuildError(f"{where}: unknown group {group!r}; known: {sorted(shared['groups'])}")
            included = copy.deepcopy(shared["groups"][group])
            if "Next" in state:
                included = _replace_next(included, state["Next"])
            for inner_name, inner in _expand_states(included, shared, f"{where}.{group}").items():
                if inner_name in out:
                    raise AslBuildError(f"{where}: state {inner_name} defined twice")
                out[inner_name] = inner
            continue
        if name in out:
            raise AslBuildError(f"{where}: state {name} defined twice")
        out[name] = _expand_task(state, shared, f"{where}.{name}")
    return out


def build_definition(source: dict[str, Any], shared: dict[str, Any], name: str) -> dict[str, Any]:
    built = {k: v for k, v in source.items() if k != "States"}
    built["States"] = _expand_states(source["States"], shared, name)
    text = json.dumps(built)
    for marker in ("@next", "@stage", "@retry", "@catch", "@include"):
        if marker in text:
            raise AslBuildError(f"{name}: marker {marker} left after the build")
    return built


def render(definition: dict[str, Any]) -> str:
    return json.dumps(definition, indent=2) + "\n"


def built_files(source_dir: Path = SOURCE_DIR) -> dict[str, str]:
    """{output file name: text} for every source file."""
    shared = json.loads((source_dir / SHARED).read_text())
    out: dict[str, str] = {}
    for path in sorted(source_dir.glob("*.asl.json")):
        definition = build_definition(json.loads(path.read_text()), shared, path.name)
        out[path.name] = render(definition)
    return out


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    stale = []
    for name, text in built_files().items():
        target = OUTPUT_DIR / name
        if target.exists() and target.read_text() == text:
            continue
        stale.append(name)
        if not check:
            target.write_text(text)
            print(f"wrote statemachines/{name}")
    if check and stale:
        print(f"stale: {', '.join(stale)} (run `make asl`)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
