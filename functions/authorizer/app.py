"""API Gateway TOKEN authorizer: a bearer API key → the tenant, passed to every handler."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from docjobs.core.observability import logger
from docjobs.domain.authorization import authorize_token


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return authorize_token(event)
