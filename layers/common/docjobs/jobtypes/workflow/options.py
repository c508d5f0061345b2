"""Options of a ``workflow`` job: up to ten steps, each a job of another type."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from docjobs.core.errors import InputValidationError

MAX_STEPS = 10
_STEP_ID = r"^[a-z][a-z0-9_-]{0,31}$"
_INPUT = re.compile(r"^(?P<step>[a-z][a-z0-9_-]{0,31})(?P<segments>\.segments)?$")


class WorkflowStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=_STEP_ID, description="unique within the workflow")
    type: str = Field(description="any job type this deployment runs, except workflow")
    options: dict[str, Any] = Field(default_factory=dict, description="that type's options")
    input: str | None = Field(
        default=None,
        description="omitted: the workflow's document, or the previous step's output document; "
        "'<step>': that step's output document (for generate: its data); "
        "'<step>.segments': once per segment of a split step",
    )

    def source(self) -> tuple[str, bool] | None:
        """(step id, fan out over its segments) of ``input``, or None."""
        if self.input is None:
            return None
        match = _INPUT.match(self.input)
        assert match is not None  # checked by WorkflowOptions
        return match["step"], bool(match["segments"])


class WorkflowOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[WorkflowStep] = Field(min_length=1, max_length=MAX_STEPS)
    on_error: Literal["fail", "continue"] = Field(
        default="fail", description="fail: a failed child fails the workflow; continue: record it and go on"
    )

    @model_validator(mode="after")
    def _steps_fit_together(self) -> WorkflowOptions:
        seen: dict[str, str] = {}
        for i, step in enumerate(self.steps):
            if step.id in seen:
                raise ValueError(f"steps[{i}].id: '{step.id}' is used by an earlier step")
            if step.type == "workflow":
                raise ValueError(f"steps[{i}].type: a workflow cannot run a workflow")
            if step.input is not None:
                match = _INPUT.match(step.input)
                if match is None or match["step"] not in seen:
                    raise ValueError(
                        f"steps[{i}].input: '{step.input}' must name an earlier step "
                        f"('<step>' or '<step>.segments'); earlier steps: {', '.join(seen) or 'none'}"
                    )
                if match["segments"] and seen[match["step"]] != "split":
                    raise ValueError(f"steps[{i}].input: only a split step has segments")
            seen[step.id] = step.type
        return self


def check_steps(tenant_id: str, options: BaseModel) -> None:
    """Each step's options, validated at submission with its own type's model (400 naming
    ``options.steps[i].options...``), and its type's own submission checks."""
    from docjobs.jobtypes.registry import get_job_type

    assert isinstance(options, WorkflowOptions)
    types: dict[str, str] = {}
    for i, step in enumerate(options.steps):
        try:
            spec = get_job_type(step.type)
        except InputValidationError as exc:
            raise InputValidationError(f"options.steps[{i}].type: {exc.message}") from exc
        source = step.source()
        if source is not None and step.type != "generate":
            read = get_job_type(types[source[0]])
            if not read.produces_documents:
                raise InputValidationError(
                    f"options.steps[{i}].input: a {read.name} step writes no document for a {step.type} "
                    "step to read (only generate reads a step's data)"
                )
        types[step.id] = step.type
        parsed = spec.validate_options(step.options, where=f"options.steps[{i}].options")
        if spec.check_submission is not None:
            spec.check_submission(tenant_id, parsed)
