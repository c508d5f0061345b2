"""Stage chunking (Step Functions task)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from docjobs.core.observability import logger
from docjobs.jobtypes.parse import chunk
from docjobs.pipeline.progress import StageInput, record_retry


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    stage_input = StageInput.model_validate(event)
    record_retry(stage_input, "chunking")
    return chunk.run(stage_input)
