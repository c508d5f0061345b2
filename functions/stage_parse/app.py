"""Stage parsing (Step Functions task): pages, headings, tables; which pages need OCR."""

from docjobs.core.observability import logger
from docjobs.pipeline.stages.parse import parse

#: Typed input, retry counting, stage start and cancellation: docjobs.pipeline.runner.
lambda_handler = logger.inject_lambda_context(clear_state=True)(parse)
