"""Stage uploading (Step Functions task): fetch the input URL into S3, or verify the uploaded document."""

from docjobs.core.observability import logger
from docjobs.pipeline.stages.upload import upload

#: Typed input, retry counting, stage start and cancellation: docjobs.pipeline.runner.
lambda_handler = logger.inject_lambda_context(clear_state=True)(upload)
