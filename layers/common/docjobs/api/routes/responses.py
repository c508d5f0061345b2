"""How the OpenAPI document shows a route's answers (the models are docjobs.api.schemas')."""

from __future__ import annotations

from typing import Any

from docjobs.api.schemas.errors import ErrorResponse


def _error(status: int, code: str) -> dict[int, Any]:
    return {status: {"description": code, "content": {"application/json": {"model": ErrorResponse}}}}


def ok(status: int, description: str, model: type) -> dict[int, Any]:
    """The success response."""
    return {status: {"description": description, "content": {"application/json": {"model": model}}}}


def errors(*extra: int) -> dict[int, Any]:
    """400 and 401 (every route), and the other error statuses ``extra`` names."""
    codes = {400: "VALIDATION_ERROR", 401: "UNAUTHORIZED", 404: "NOT_FOUND", 409: "CONFLICT"}
    codes[429] = "QUOTA_EXCEEDED"
    out: dict[int, Any] = {}
    for status in (400, 401, *extra):
        out |= _error(status, codes[status])
    return out
