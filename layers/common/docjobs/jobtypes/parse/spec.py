"""The ``parse`` job type: document → pages (text, headings, tables; OCR where needed) → chunks
(→ vectors). State machine: statemachines/src/parse.asl.json."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from docjobs.jobtypes.parse.options import ParseOptions
from docjobs.jobtypes.registry import JobTypeSpec


def _truncated(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {"metadata": dict(summary), "chunks": None, "truncated": True}


SPEC = JobTypeSpec(
    name="parse",
    description="Document parsing: text, headings and tables per page, chunked for retrieval",
    options_model=ParseOptions,
    stage_spans={
        "uploading": (0, 5),
        "parsing": (5, 40),
        "ocr": (40, 60),
        "chunking": (60, 85),
        "vectorizing": (85, 97),
    },
    truncated_result=_truncated,
    credits_per_page=1,
    credits_per_ocr_page=1,
)
