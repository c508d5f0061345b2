"""The published result of a ``split`` job (the contract's shape)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from docjobs.jobtypes.split.plan import Segment, SplitPlan, Usage

__all__ = ["PartDocument", "SegmentResult", "SplitMetadata", "SplitResult", "build_result"]


class PartDocument(BaseModel):
    """A written part registered as an output document."""

    document_id: str
    filename: str
    bytes: int
    pages: int


class SegmentResult(BaseModel):
    name: str
    pages: list[int] = Field(description="[first, last], 1-based and inclusive")
    page_count: int
    confidence: float
    evidence: list[str]
    document_id: str | None = Field(description="the part's output document (null without materialize)")
    filename: str | None
    url: str | None = Field(description="presigned download of the part, fresh on every read")


class SplitMetadata(BaseModel):
    strategy: str
    engine: str
    model: str | None
    pages: int
    usage: Usage


class SplitResult(BaseModel):
    segments: list[SegmentResult]
    unassigned_pages: list[int]
    metadata: SplitMetadata


def _segment(segment: Segment, part: PartDocument | None) -> SegmentResult:
    return SegmentResult(
        name=segment.name,
        pages=segment.pages,
        page_count=segment.page_count,
        confidence=segment.confidence,
        evidence=segment.evidence,
        document_id=part.document_id if part else None,
        filename=part.filename if part else None,
        url=None,
    )


def build_result(plan: SplitPlan, parts: list[PartDocument] | None) -> SplitResult:
    """The result for ``plan``; ``parts`` (one per segment, in order) when they were written."""
    if parts is not None and len(parts) != len(plan.segments):
        raise ValueError(f"{len(parts)} parts for {len(plan.segments)} segments")
    return SplitResult(
        segments=[_segment(s, parts[i] if parts else None) for i, s in enumerate(plan.segments)],
        unassigned_pages=plan.unassigned_pages,
        metadata=SplitMetadata(
            strategy=plan.strategy, engine=plan.engine, model=plan.model, pages=plan.pages, usage=plan.usage
        ),
    )
