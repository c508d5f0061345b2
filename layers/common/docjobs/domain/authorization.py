"""The authorizer's logic: check ``Authorization: Bearer <key>`` against the keys table."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
    APIGatewayAuthorizerTokenEvent,
)

from docjobs.adapters.api_keys import find_key_owner
from docjobs.core.observability import logger

#: API Gateway answers 401 (the UNAUTHORIZED gateway response) when a TOKEN authorizer
#: raises exactly this message.
UNAUTHORIZED = "Unauthorized"


def bearer_key(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authorize_token(event: APIGatewayAuthorizerTokenEvent) -> dict[str, Any]:
    """An IAM policy allowing the whole API for a known key (so the cached result fits every
    route), with the tenant in the context; raises ``Exception("Unauthorized")`` otherwise."""
    key = bearer_key(event.authorization_token)
    owner = find_key_owner(key) if key else None
    if owner is None:
        logger.info("rejected an API key", extra={"has_key": bool(key)})
        raise Exception(UNAUTHORIZED)
    arn = event.parsed_arn
    policy = APIGatewayAuthorizerResponse(
        principal_id=owner.tenant_id,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        context={"tenant_id": owner.tenant_id, "key_name": owner.name},
    )
    policy.allow_all_routes()
    return policy.asdict()
