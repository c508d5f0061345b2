"""Stage extracting (Step Functions task): the job's schema filled from its document, then published."""

from docjobs.core.observability import logger
from docjobs.jobtypes.extract.stage import extract

#: Typed input, retry counting, stage start and cancellation: docjobs.pipeline.runner.
lambda_handler = logger.inject_lambda_context(clear_state=True)(extract)
