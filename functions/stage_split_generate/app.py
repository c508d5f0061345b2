"""Split, generating (Step Functions task): write each part, publish the result and the parts."""

from docjobs.core.observability import logger
from docjobs.jobtypes.split.generate import generate

#: Typed input, retry counting, stage start and cancellation: docjobs.pipeline.runner.
lambda_handler = logger.inject_lambda_context(clear_state=True)(generate)
