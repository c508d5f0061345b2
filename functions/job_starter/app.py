"""SQS intake queue → start queued jobs as capacity allows (partial batch failures keep the rest)."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from docjobs.core.observability import logger
from docjobs.domain.starter import parse_body, start_queued_job

# A batch that all waits for capacity is not an error of the function: every message is reported
# back (batchItemFailures) with its own delay, and the invocation succeeds.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _record(record: SQSRecord) -> str:
    body = parse_body(record.body)
    logger.append_keys(job_id=body["job_id"], tenant_id=body["tenant_id"])
    receive_count = int(record.attributes.approximate_receive_count or 1)
    return start_queued_job(body, receive_count, record.receipt_handle)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=_record, processor=processor, context=context)
