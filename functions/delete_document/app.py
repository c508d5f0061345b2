"""Lambda handler of one API route: routing, validation and errors come from docjobs.api."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from docjobs.api.http import build_resolver
from docjobs.api.routes import delete_document_router
from docjobs.core.observability import logger

app = build_resolver(delete_document_router)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
