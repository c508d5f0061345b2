"""Generating (Step Functions task of generate jobs): render the template, publish the document."""

from docjobs.core.observability import logger
from docjobs.jobtypes.generate.stage import generate

#: Typed input, retry counting, stage start and cancellation: docjobs.pipeline.runner.
lambda_handler = logger.inject_lambda_context(clear_state=True)(generate)
