"""Stage chunking (Step Functions task)."""

from docjobs.core.observability import logger
from docjobs.jobtypes.parse.chunk import chunk

#: Typed input, retry counting, stage start and cancellation: docjobs.pipeline.runner.
lambda_handler = logger.inject_lambda_context(clear_state=True)(chunk)
