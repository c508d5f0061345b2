"""RecordFailure (Step Functions Catch target): the job ends failed with its error_code."""

from docjobs.core.observability import logger
from docjobs.pipeline.stages.failure import record_failure

#: Typed input, retry counting, stage start and cancellation: docjobs.pipeline.runner.
lambda_handler = logger.inject_lambda_context(clear_state=True)(record_failure)
