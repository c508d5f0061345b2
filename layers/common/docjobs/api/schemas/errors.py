"""The error envelope every API error answers with."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorResponse(BaseModel):
    error: str
    error_code: str
    details: dict[str, Any] | None = None
