"""Stage uploading (Step Functions task): fetch or verify the document."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from docjobs.core.observability import logger
from docjobs.pipeline.progress import StageInput, record_retry
from docjobs.pipeline.stages import upload


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    stage_input = StageInput.model_validate(event)
    record_retry(stage_input, "uploading")
    return upload.run(stage_input)
