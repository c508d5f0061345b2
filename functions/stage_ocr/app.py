"""Stage ocr (Step Functions task): one page batch, or Textract start / poll (by the task's action)."""

from docjobs.core.observability import logger
from docjobs.pipeline.stages.ocr_pages import ocr

#: Typed input, retry counting, stage start and cancellation: docjobs.pipeline.runner.
lambda_handler = logger.inject_lambda_context(clear_state=True)(ocr)
