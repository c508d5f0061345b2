"""EventBridge S3 'Object Created' under uploads/<tenant>/ → a new job."""

from datetime import datetime

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from docjobs.core.observability import logger
from docjobs.domain.upload_trigger import start_job_for_upload


@logger.inject_lambda_context(clear_state=True)
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict:
    obj = event.detail["object"]
    # The object's version id (versioned bucket) or the sequencer S3 gives each PUT, with the
    # event's time: a redelivered event (EventBridge is at-least-once, Lambda retries async
    # invocations) derives the same job id and finds its job.
    return start_job_for_upload(
        event.detail["bucket"]["name"],
        obj["key"],
        revision=(obj.get("version-id") if obj.get("version-id") not in (None, "null") else None)
        or obj.get("sequencer"),
        uploaded_at=datetime.fromisoformat(event.time.replace("Z", "+00:00")),
    )
