"""Stage ocr (Step Functions task): one page batch, or Textract start / poll."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from docjobs.core.observability import logger
from docjobs.pipeline.progress import StageInput, record_retry
from docjobs.pipeline.stages import ocr_pages


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    stage_input = StageInput.model_validate(event)
    record_retry(stage_input, "ocr")
    action = event.get("action", "batch")
    if action == "textract_start":
        return ocr_pages.start_textract(stage_input, event["document_key"])
    if action == "textract_poll":
        return ocr_pages.poll_textract(stage_input, event["textract"])
    return ocr_pages.run_batch(stage_input, event["document_key"], event["batch"], int(event["batch_count"]))
