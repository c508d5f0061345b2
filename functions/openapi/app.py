"""Serves the generated OpenAPI document and a Swagger UI (no authorizer on these routes)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from docjobs.api.openapi import build_openapi_resolver
from docjobs.core.observability import logger

app = build_openapi_resolver()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
