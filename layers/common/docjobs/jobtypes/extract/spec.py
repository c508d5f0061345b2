"""The ``extract`` job type: schema-driven data extraction with verified citations.

State machine: statemachines/src/extract.asl.json (Upload, Parse, OCR, then Extract).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from docjobs.engines.models import check_engine_request
from docjobs.jobtypes.extract.options import ExtractOptions
from docjobs.jobtypes.registry import JobTypeSpec


def _check_engine(tenant_id: str, options: BaseModel) -> None:
    """An engine (or model) this deployment does not have is a 400 naming the ones it has."""
    assert isinstance(options, ExtractOptions)
    check_engine_request(options.engine, options.model, path="options")


def _truncated(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "data": None,
        "fields": None,
        "validation": {"valid": summary.get("valid"), "errors": None},
        "metadata": dict(summary),
        "truncated": True,
    }


SPEC = JobTypeSpec(
    name="extract",
    description="Data extraction: the fields of a JSON Schema, each with a verified citation",
    options_model=ExtractOptions,
    stage_spans={
        "uploading": (0, 5),
        "parsing": (5, 20),
        "ocr": (20, 40),
        "extracting": (40, 97),
    },
    truncated_result=_truncated,
    check_submission=_check_engine,
    # 2 credits a page (docs/job-types "Credits"), reserved by the shared parsing stage; the OCR
    # of scanned pages is included.
    credits_per_page=2,
    credits_per_ocr_page=0,
)
