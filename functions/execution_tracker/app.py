"""EventBridge 'Step Functions Execution Status Change' → reconcile the job's final status."""

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from docjobs.core.observability import logger
from docjobs.pipeline.stages.failure import reconcile_execution_end


@logger.inject_lambda_context(clear_state=True)
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict:
    return reconcile_execution_end(dict(event.detail))
