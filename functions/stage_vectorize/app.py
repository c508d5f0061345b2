"""Stage vectorizing (Step Functions task): Pinecone llama-text-embed-v2."""

from docjobs.core.observability import logger
from docjobs.jobtypes.parse.vectorize import vectorize

#: Typed input, retry counting, stage start and cancellation: docjobs.pipeline.runner.
lambda_handler = logger.inject_lambda_context(clear_state=True)(vectorize)
