"""Finish (Step Functions task): publish the parse result and complete the job."""

from docjobs.core.observability import logger
from docjobs.jobtypes.parse.finish import finish

#: Typed input, retry counting, stage start and cancellation: docjobs.pipeline.runner.
lambda_handler = logger.inject_lambda_context(clear_state=True)(finish)
