"""Stage ``parsing``: pages (text, headings, tables) streamed to the pages work file; which need OCR.

Documents above ``parse_range_pages`` pages are parsed page-parallel: the first task plans page
ranges, the ParsePages Map parses each range in its own invocation (its own range file), and
MergePages concatenates them in page order. Every range computes the same document profile
(fonts, running headers, outline), so the pages, and the chunks made from them, are exactly
those of a single-range parse.

Shared by every job type that reads a document's text (statemachines/src/_shared.json, group
``text``). What it reads of the job's options is ``TextOptions``: any type whose options have
these fields gets them, the others the defaults.
"""

from __future__ import annotations

import tempfile
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from docjobs.adapters import aws_clients, storage
from docjobs.adapters.storage import WorkFile
from docjobs.core.errors import ParseError
from docjobs.core.models import JobRecord
from docjobs.core.observability import emit_metric
from docjobs.core.settings import get_settings
from docjobs.domain import transitions
from docjobs.jobtypes.registry import get_job_type
from docjobs.pipeline.progress import ThrottledProgress
from docjobs.pipeline.runner import StageInput, dispatch, stage


class TextOptions(BaseModel):
    """The options the text stages (parsing, ocr) read from any job type's options."""

    model_config = ConfigDict(extra="ignore")

    ocr: Literal["auto", "off", "force"] = "auto"
    ocr_language: str = Field(default="eng", pattern=r"^[a-z]{3}(\+[a-z]{3})*$")
    detect_tables: bool = True


class ParseInput(StageInput):
    action: Literal["document"]
    document_key: str


class OcrBatch(BaseModel):
    index: int
    pages: list[int]


class PageRange(BaseModel):
    """Pages ``first``..``last`` (1-based, inclusive) parsed by one iteration of the ParsePages Map."""

    index: int = Field(ge=0)
    first: int = Field(ge=1)
    last: int = Field(ge=1)


class ParseOutput(BaseModel):
    pages: int
    ocr_page_count: int
    ocr_batches: list[OcrBatch]
    ocr_batch_count: int
    ocr_engine: str
    ocr_language: str
    #: Non-empty when the document has more pages than ``parse_range_pages``: nothing was
    #: parsed yet; the ParsePages Map parses these ranges in parallel, then MergePages.
    ranges: list[PageRange] = Field(default_factory=list)
    range_count: int = 0


class ParseRangeInput(StageInput):
    action: Literal["range"]
    document_key: str
    range: PageRange


class ParseRangeOutput(BaseModel):
    index: int
    pages: int
    ocr_pages: list[int]


class MergePagesInput(StageInput):
    action: Literal["merge"]
    pages: int = Field(ge=1)
    ranges: list[ParseRangeOutput]


def _range_key(tenant_id: str, job_id: str, index: int) -> str:
    return storage.work_key(tenant_id, job_id, f"{WorkFile.PAGE_RANGES}range-{index:06d}.jsonl")


def _parsed(job: JobRecord, pages: int, ocr_pages: list[int], options: TextOptions) -> ParseOutput:
    """Every page is parsed: progress at the end of parsing, the credits reserved (the cost is
    known now, before any paid engine, Textract, a model or Pinecone, runs), the OCR batches."""
    transitions.report_progress(job.tenant_id, job.id, "parsing", 1.0)
    cost = get_job_type(job.type).cost(pages, len(ocr_pages), get_settings().credit_rate_scale)
    transitions.reserve_credits(job.tenant_id, job.id, cost)
    emit_metric("PagesParsed", pages, job_type=job.type)
    emit_metric("OcrPages", len(ocr_pages), job_type=job.type)  # pages without a text layer
    return _ocr_output(pages, ocr_pages, options)


def _ocr_output(pages: int, ocr_pages: list[int], options: TextOptions) -> ParseOutput:
    batch_size = get_settings().ocr_batch_pages
    batches = [
        OcrBatch(index=i, pages=ocr_pages[start : start + batch_size])
        for i, start in enumerate(range(0, len(ocr_pages), batch_size))
    ]
    return ParseOutput(
        pages=pages,
        ocr_page_count=len(ocr_pages),
        ocr_batches=batches,
        ocr_batch_count=len(batches),
        ocr_engine=get_settings().ocr_engine,
        ocr_language=options.ocr_language,
    )


def _parse_pages(
    job: JobRecord,
    document_key: str,
    options: TextOptions,
    out_key: str,
    page_range: PageRange | None = None,
    *,
    report: bool = False,
) -> tuple[int, list[int]]:
    """Parse the document (or one range of it) into the JSON-lines file ``out_key``.

    Returns the page count of the document and the pages that need OCR. Without a range, and
    when the document is larger than ``parse_range_pages``, nothing is parsed and the count is
    returned alone (the caller plans ranges).
    """
    from docjobs.engines.pdf import (
        MUPDF_LOCK,
        document_metadata,
        document_properties,
        document_warnings,
        iter_pages,
        open_document,
    )

    filename = document_key.rsplit("/", 1)[-1]
    s3 = aws_clients.s3()
    ocr_pages: list[int] = []
    with tempfile.NamedTemporaryFile(suffix="-" + filename) as source, tempfile.TemporaryFile() as pages_out:
        s3.download_fileobj(storage.bucket(), document_key, source)
        source.flush()
        with MUPDF_LOCK, open_document(source.name, filename=filename) as doc:
            metadata = document_metadata(doc, filename)
            total = metadata.pages or 0
            if page_range is None:
                warnings = document_warnings(doc, filename)
                storage.put_json(
                    storage.work_key(job.tenant_id, job.id, WorkFile.DOCUMENT),
                    metadata.model_dump(mode="json") | document_properties(doc) | {"warnings": warnings},
                )
                transitions.report_progress(
                    job.tenant_id, job.id, "parsing", 0.0, {"metadata": metadata, "warnings": warnings}
                )
                if total > get_settings().parse_range_pages:
                    return total, []
            first, last = (page_range.first, page_range.last) if page_range else (1, total)
            progress = ThrottledProgress(job, "parsing") if report else None
            for page in iter_pages(
                doc, detect_tables=options.detect_tables, first_page=first, last_page=last
            ):
                wants_ocr = options.ocr == "force" or (options.ocr == "auto" and page.needs_ocr)
                if wants_ocr:
                    ocr_pages.append(page.page)
                pages_out.write(page.model_dump_json().encode() + b"\n")
                if progress is not None:
                    progress.update(page.page / max(total, 1))
        pages_out.seek(0)
        s3.upload_fileobj(pages_out, storage.bucket(), out_key)
    return total, ocr_pages


@stage("parsing")
def parse_document(task: ParseInput, job: JobRecord) -> ParseOutput:
    """Parse the whole document, or, above ``parse_range_pages`` pages, plan the ranges the
    ParsePages Map parses in parallel."""
    options = TextOptions.model_validate(job.options)
    pages_key = storage.work_key(job.tenant_id, job.id, WorkFile.PAGES)
    total, ocr_pages = _parse_pages(job, task.document_key, options, pages_key, report=True)
    size = get_settings().parse_range_pages
    if total > size:
        ranges = [
            PageRange(index=i, first=first, last=min(first + size - 1, total))
            for i, first in enumerate(range(1, total + 1, size))
        ]
        return ParseOutput(
            pages=total,
            ocr_page_count=0,
            ocr_batches=[],
            ocr_batch_count=0,
            ocr_engine=get_settings().ocr_engine,
            ocr_language=options.ocr_language,
            ranges=ranges,
            range_count=len(ranges),
        )
    return _parsed(job, total, ocr_pages, options)


@stage(None)  # ranges run side by side: the job already shows "parsing", none of them writes it
def parse_range(task: ParseRangeInput, job: JobRecord) -> ParseRangeOutput:
    options = TextOptions.model_validate(job.options)
    key = _range_key(job.tenant_id, job.id, task.range.index)
    _, ocr_pages = _parse_pages(job, task.document_key, options, key, task.range)
    return ParseRangeOutput(
        index=task.range.index, pages=task.range.last - task.range.first + 1, ocr_pages=ocr_pages
    )


@stage("parsing")
def merge_pages(task: MergePagesInput, job: JobRecord) -> ParseOutput:
    """Concatenate the ranges' page files, in page order, into the one pages work file."""
    ranges = sorted(task.ranges, key=lambda r: r.index)
    if [r.index for r in ranges] != list(range(len(ranges))) or sum(r.pages for r in ranges) != task.pages:
        raise ParseError(
            f"page ranges do not cover the document's {task.pages} pages "
            f"({len(ranges)} ranges, {sum(r.pages for r in ranges)} pages)"
        )
    s3 = aws_clients.s3()
    with tempfile.TemporaryFile() as merged:
        for item in ranges:
            body = s3.get_object(Bucket=storage.bucket(), Key=_range_key(job.tenant_id, job.id, item.index))[
                "Body"
            ]
            for piece in body.iter_chunks(1024 * 1024):
                merged.write(piece)
        merged.seek(0)
        s3.upload_fileobj(merged, storage.bucket(), storage.work_key(job.tenant_id, job.id, WorkFile.PAGES))
    options = TextOptions.model_validate(job.options)
    return _parsed(job, task.pages, [p for r in ranges for p in r.ocr_pages], options)


parse = dispatch("action", {"document": parse_document, "range": parse_range, "merge": merge_pages})


def load_metadata(tenant_id: str, job_id: str) -> dict[str, Any]:
    return dict(storage.get_json(storage.work_key(tenant_id, job_id, WorkFile.DOCUMENT)))
