"""DynamoDB stream (TTL removals only, filtered in template.yaml) → keep tenant counts exact."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from docjobs.adapters.job_store import forget_expired_job
from docjobs.core.observability import logger

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    old_image = record.raw_event["dynamodb"].get("OldImage")
    if old_image:
        forget_expired_job(old_image)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
