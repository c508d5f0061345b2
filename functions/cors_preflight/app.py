"""Answers CORS preflight requests (OPTIONS) for the origins the stack allows (no authorizer)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from docjobs.api.http import build_resolver
from docjobs.api.routes import ALL_ROUTERS
from docjobs.core.observability import logger

# Every API route, so the preflight answer lists the methods the API really has.
app = build_resolver(*ALL_ROUTERS)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
