"""RecordFailure (Step Functions Catch target): the job ends failed with its error_code."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from docjobs.core.observability import logger
from docjobs.pipeline.stages.failure import record_failure


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return record_failure(event)
