"""Split, extracting (Step Functions task): decide the parts and write the plan work file."""

from docjobs.core.observability import logger
from docjobs.jobtypes.split.decide import decide

#: Typed input, retry counting, stage start and cancellation: docjobs.pipeline.runner.
lambda_handler = logger.inject_lambda_context(clear_state=True)(decide)
