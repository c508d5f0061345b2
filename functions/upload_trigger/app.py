"""EventBridge S3 'Object Created' under uploads/<tenant>/ → a new job."""

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from docjobs.core.observability import logger
from docjobs.domain.upload_trigger import start_job_for_upload


@logger.inject_lambda_context(clear_state=True)
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict:
    return start_job_for_upload(event.detail["bucket"]["name"], event.detail["object"]["key"])
