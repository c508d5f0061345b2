"""``GET /api/usage``."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TypeUsage(BaseModel):
    used: int
    reserved: int


class UsageResponse(BaseModel):
    """``GET /api/usage``: a month's credits, from the ledger (exact, not estimated)."""

    period: str = Field(description="YYYY-MM (UTC calendar month)")
    credits_limit: int = Field(description="0 means unlimited")
    credits_used: int = Field(description="committed by completed jobs")
    credits_reserved: int = Field(description="held by running jobs")
    credits_remaining: int | None = Field(description="limit - used - reserved; null when unlimited")
    by_type: dict[str, TypeUsage]
