"""The ``split`` job type: cut a document into parts (page ranges, fixed size, outline entries,
blank-page separators or categories), each part a new output document.
State machine: statemachines/src/split.asl.json."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from docjobs.engines.models import check_engine_request
from docjobs.jobtypes.registry import JobTypeSpec
from docjobs.jobtypes.split.options import SplitOptions


def _check_submission(tenant_id: str, options: BaseModel) -> None:
    """``categories``: an engine (or model) this deployment does not have is a 400 naming the ones
    it has. Rule strategies take no engine (the options refuse one)."""
    assert isinstance(options, SplitOptions)
    if options.strategy == "categories":
        check_engine_request(options.engine, options.model, path="options")


def _truncated(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {"segments": None, "unassigned_pages": None, "metadata": dict(summary), "truncated": True}


SPEC = JobTypeSpec(
    name="split",
    description="Document splitting: parts by page ranges, size, outline, blank separators or categories",
    options_model=SplitOptions,
    stage_spans={
        "uploading": (0, 5),
        "parsing": (5, 30),
        "ocr": (30, 45),
        "extracting": (45, 60),
        "generating": (60, 100),
    },
    truncated_result=_truncated,
    check_submission=_check_submission,
    produces_documents=True,
    credits_per_page=1,
)
