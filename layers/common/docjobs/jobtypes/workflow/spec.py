"""The ``workflow`` job type: steps of other types run as child jobs, orchestrated by Step
Functions (statemachines/src/workflow.asl.json). Credits: the children are metered, the workflow
itself costs nothing."""

from __future__ import annotations

from docjobs.jobtypes.registry import JobTypeSpec
from docjobs.jobtypes.workflow.options import WorkflowOptions, check_steps

ALL_STAGES = ("uploading", "parsing", "ocr", "chunking", "vectorizing", "extracting", "generating")

SPEC = JobTypeSpec(
    name="workflow",
    description="Workflow execution: split, extract, edit, generate (and parse) as steps of child jobs",
    options_model=WorkflowOptions,
    # A workflow shows the stage of the step that is running; its progress is the share of
    # step work done, passed as the fraction (each stage spans the whole 0-100).
    stage_spans={stage: (0, 100) for stage in ALL_STAGES},
    needs_document=False,
    uses_capacity=False,  # its child jobs take the slots
    check_submission=check_steps,
    credits_per_page=0,
    after_end="docjobs.jobtypes.workflow.stages:cancel_children",
)
