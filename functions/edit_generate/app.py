"""Edit (Step Functions task, stage ``generating``): apply an edit job's operations, verify the
output, register it as a document and complete the job."""

from docjobs.core.observability import logger
from docjobs.jobtypes.edit.generate import generate

#: Typed input, retry counting, stage start and cancellation: docjobs.pipeline.runner.
lambda_handler = logger.inject_lambda_context(clear_state=True)(generate)
