"""An extract job over one PDF: pages -> engine -> data, fields (citations), validation, metadata."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from docjobs.core.errors import InputValidationError, ParseError
from docjobs.engines.models import EngineChoice, ModelOutputInvalidError, Usage, schema_errors
from docjobs.jobtypes.extract.citations import locate
from docjobs.jobtypes.extract.document import PageWords, form_fields, read_pages
from docjobs.jobtypes.extract.fields import FieldValue, pointer
from docjobs.jobtypes.extract.model_extraction import extract_with_model
from docjobs.jobtypes.extract.options import ExtractOptions, parse_page_selection
from docjobs.jobtypes.extract.rules import extract_with_rules
from docjobs.jobtypes.extract.targets import prune_for_schema

if TYPE_CHECKING:
    from docjobs.engines.pdf.pages import OcrWord

#: Confidence of a model's value found on the page / not found anywhere.
MODEL_CONFIDENCE_VERIFIED = 0.9
MODEL_CONFIDENCE_UNVERIFIED = 0.35


def selected_pages(options: ExtractOptions, page_count: int) -> list[int]:
    try:
        return parse_page_selection(options.pages or "1-", page_count)
    except ValueError as exc:
        raise InputValidationError(f"options.pages: {exc}") from exc


def _leaves(data: Any, parts: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Any]]:
    if isinstance(data, dict):
        return [leaf for key, value in data.items() for leaf in _leaves(value, (*parts, key))]
    if isinstance(data, list):
        return [leaf for index, value in enumerate(data) for leaf in _leaves(value, (*parts, index))]
    return [] if data is None else [(parts, data)]


def cite_model_values(data: dict[str, Any], pages: list[PageWords], citations: bool) -> list[FieldValue]:
    """One field per non-null leaf of a model's answer, located (and so verified) in ``pages``."""
    fields: list[FieldValue] = []
    for parts, value in _leaves(data):
        where = locate(value, pages) if citations else None
        fields.append(
            FieldValue(
                path=pointer(parts),
                value=value,
                text=where.text if where else None,
                page=where.page if where else None,
                bbox=where.bbox if where else None,
                confidence=MODEL_CONFIDENCE_VERIFIED if where else MODEL_CONFIDENCE_UNVERIFIED,
                source="model",
                verified=where is not None,
            )
        )
    return fields


def run_extraction(
    document: Any,
    options: ExtractOptions,
    choice: EngineChoice,
    *,
    ocr_words: Mapping[int, Sequence[OcrWord]] | None = None,
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """The ``result`` of an extract job for an open PyMuPDF document.

    ``ocr_words`` are the words of the pages the OCR stage read, by 1-based page number
    (``ParsedPage.words``); every other page is read from its text layer.

    ``progress(fraction)`` is told how far it got: reading pages is the first half, the engine
    the second (a cancelled job stops there with JobCancelledError).
    """
    if document.page_count == 0:
        raise ParseError("the document has no pages")
    numbers = selected_pages(options, document.page_count)
    report = progress or (lambda fraction: None)
    pages = []
    for index, number in enumerate(numbers, start=1):
        pages.extend(read_pages(document, [number], ocr_words))
        report(0.5 * index / len(numbers))
    schema = options.json_schema
    usage = Usage()
    windows = 0
    if choice.engine is None:
        data, fields = extract_with_rules(schema, pages, form_fields(document, numbers))
        data = prune_for_schema(data, schema)
        if not options.citations:
            for found in fields:
                found.page, found.bbox, found.text = None, None, None
    else:
        data, usage, windows = extract_with_model(
            choice.engine, schema, pages, options.instructions, progress=lambda f: report(0.5 + 0.5 * f)
        )
        fields = cite_model_values(data, pages, options.citations)
    errors = schema_errors(data, schema)
    if errors and choice.engine is not None:
        raise ModelOutputInvalidError(
            f"the merged answer of the {choice.name} model {choice.model} does not validate against "
            "options.schema: " + "; ".join(errors[:20]),
            details={"errors": errors[:20]},
        )
    metadata: dict[str, Any] = {
        "engine": choice.name,
        "model": choice.model,
        "pages": len(numbers),
        "usage": usage.model_dump(),
        "ocr_pages": [p.number for p in pages if p.ocr],
    }
    if choice.engine is not None:
        metadata["windows"] = windows
    return {
        "data": data,
        "fields": [f.as_dict() for f in fields],
        "validation": {"valid": not errors, "errors": errors},
        "metadata": metadata,
    }
