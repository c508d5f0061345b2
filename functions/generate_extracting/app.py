"""Stage extracting of a generate job with instructions (Step Functions task): a model writes Markdown."""

from docjobs.core.observability import logger
from docjobs.jobtypes.generate.writing import write

#: Typed input, retry counting, stage start and cancellation: docjobs.pipeline.runner.
lambda_handler = logger.inject_lambda_context(clear_state=True)(write)
