"""Every Task of every state machine hands its function exactly what the function's typed input
accepts: a renamed or missing field fails here, not in a deployment."""

from __future__ import annotations

from pathlib import Path

import pytest

from docjobs_local.template import ResolvedTemplate
from tests.stage_contracts import input_model_for, load, placeholder_of, state_machine_files, tasks

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ResolvedTemplate.from_file(ROOT / "template.yaml")
MACHINES = state_machine_files(TEMPLATE)
TASKS = [
    (machine, where, state, subs)
    for machine, (path, subs) in MACHINES.items()
    for where, state in tasks(load(path)["States"])
]


def test_every_job_type_has_a_state_machine():
    from docjobs.jobtypes.registry import job_types

    names = {str(TEMPLATE.resource(m)["Properties"]["Name"]["Fn::Sub"]) for m in MACHINES}
    for job_type in job_types():
        assert "${AWS::StackName}-" + job_type in names, f"no state machine named <stack>-{job_type}"


@pytest.mark.parametrize(
    ("machine", "where", "state", "subs"), TASKS, ids=[f"{m}:{w}" for m, w, _, _ in TASKS]
)
def test_task_parameters_fit_the_function_input(machine, where, state, subs):
    placeholder = placeholder_of(state)
    assert placeholder in subs, (
        f"{machine} {where}: Resource {state.get('Resource')} is not a substituted function"
    )
    params = state.get("Parameters")
    if params is None or "Payload.$" in params:
        pytest.skip("the task passes its whole input")
    keys = {key.removesuffix(".$") for key in params}
    constants = {key: value for key, value in params.items() if not key.endswith(".$")}
    model = input_model_for(TEMPLATE, subs[placeholder], constants)
    fields = model.model_fields
    unknown = keys - set(fields)
    missing = {name for name, field in fields.items() if field.is_required()} - keys
    assert not unknown, f"{machine} {where} passes {sorted(unknown)} that {model.__name__} does not take"
    assert not missing, f"{machine} {where} does not pass {sorted(missing)} that {model.__name__} requires"


def test_built_state_machines_are_current():
    from docjobs_local.asl_build import OUTPUT_DIR, built_files

    for name, text in built_files().items():
        assert (OUTPUT_DIR / name).read_text() == text, f"statemachines/{name} is stale: run `make asl`"
