"""Every state of every state machine in statemachines/ is entered by the integration suite.

The histories come from ``execution_histories`` (tests/integration/conftest.py), filled when each
test module's stack is torn down, so this module runs after the test_pipeline_* modules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import ROOT, ExecutionHistories

STATE_MACHINES = sorted((ROOT / "statemachines").glob("*.asl.json"))


def declared_states(definition: dict[str, Any]) -> set[str]:
    """All state names, including those inside Map (ItemProcessor/Iterator) and Parallel branches."""
    names: set[str] = set()
    for name, state in definition.get("States", {}).items():
        names.add(name)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                names |= declared_states(state[key])
        for branch in state.get("Branches", []):
            names |= declared_states(branch)
    return names


def _shared_states() -> set[str]:
    groups = json.loads((ROOT / "statemachines" / "src" / "_shared.json").read_text())["groups"]
    return {name for group in groups.values() for name in declared_states({"States": group})}


def test_state_machines_are_found() -> None:
    assert STATE_MACHINES, "no statemachines/*.asl.json"


def test_declared_states_include_nested_map_states() -> None:
    definition = json.loads((ROOT / "statemachines" / "parse.asl.json").read_text())
    assert {"OcrPages", "OcrBatch", "TextractWait", "JobCancelled"} <= declared_states(definition)


@pytest.mark.parametrize("path", STATE_MACHINES, ids=lambda p: Path(p).name)
def test_every_state_was_entered_by_the_integration_suite(
    path: Path, execution_histories: ExecutionHistories
) -> None:
    if not execution_histories.by_arn:
        pytest.skip("no execution histories: run with tests/integration/test_pipeline_*.py")
    declared = declared_states(json.loads(path.read_text()))
    job_type = Path(path).name.removesuffix(".asl.json")
    # States of the groups written once in statemachines/src/_shared.json (the text stages, the
    # endings) are the same states in every machine that includes them: entered once is enough.
    shared = set(_shared_states()) & execution_histories.entered_states()
    never = sorted(declared - execution_histories.entered_states(job_type) - shared)
    assert not never, f"{path.name}: states never entered by any integration test: {', '.join(never)}"
