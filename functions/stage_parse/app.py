"""Stage parsing (Step Functions task): pages, headings, tables; which pages need OCR."""

from aws_lambda_powertools.utilities.typing import LambdaContext
from docjobs.observability import logger
from docjobs.stages import parse
from docjobs.stages.progress import StageInput


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return parse.run(StageInput.model_validate(event), event["document_key"])
