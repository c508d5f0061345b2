"""The authorizer's logic: check ``Authorization: Bearer <key>`` against the keys table.

The TOKEN event and the policy are read and written here, not with Powertools' data classes:
importing those imports every event class Powertools has, which costs the authorizer (on the
path of every API function's cold start) about 24 ms (docs/decisions.md, "API cold starts").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def api_stage_arn(method_arn: str) -> str:
    """``arn:aws:execute-api:<region>:<account>:<api id>/<stage>`` of a request's method ARN
    (``.../<api id>/<stage>/<METHOD>/<resource path>``)."""
    prefix, _, path = method_arn.partition("/")
    stage = path.split("/", 1)[0]
    if prefix.count(":") != 5 or not prefix.startswith("arn:") or not stage:
        raise ValueError(f"not an execute-api method ARN: {method_arn!r}")
    return f"{prefix}/{stage}"


def authorize_token(event: Mapping[str, Any]) -> dict[str, Any]:
    """An IAM policy allowing the whole API for a known key (so the cached result fits every
    route), with the tenant in the context; raises ``Exception("Unauthorized")`` otherwise."""
    key = bearer_key(event.get("authorizationToken"))
    owner = find_key_owner(key) if key else None
    if owner is None:
        logger.info("rejected an API key", extra={"has_key": bool(key)})
        raise Exception(UNAUTHORIZED)
    return {
        "principalId": owner.tenant_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    # every method of every resource of this stage
                    "Resource": [f"{api_stage_arn(str(event.get('methodArn', '')))}/*/*"],
                }
            ],
        },
        "context": {"tenant_id": owner.tenant_id, "key_name": owner.name},
    }
