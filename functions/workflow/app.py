"""The workflow's tasks (Step Functions): prepare a step, start / check a child job, finish a step,
publish the result; the Task's ``action`` picks one."""

from docjobs.core.observability import logger
from docjobs.jobtypes.workflow.stages import workflow

#: Typed input, retry counting and cancellation: docjobs.pipeline.runner.
lambda_handler = logger.inject_lambda_context(clear_state=True)(workflow)
