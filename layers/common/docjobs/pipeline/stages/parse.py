"""Stage ``parsing``: pages (text, headings, tables) streamed to the pages work file; which need OCR.

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
from docjobs.core.models import DocumentMetadata, JobRecord
from docjobs.core.settings import get_settings
from docjobs.domain import transitions
from docjobs.jobtypes.registry import get_job_type
from docjobs.pipeline.progress import ThrottledProgress
from docjobs.pipeline.runner import StageInput, stage


class TextOptions(BaseModel):
    """The options the text stages (parsing, ocr) read from any job type's options."""

    model_config = ConfigDict(extra="ignore")

    ocr: Literal["auto", "off", "force"] = "auto"
    ocr_language: str = Field(default="eng", pattern=r"^[a-z]{3}(\+[a-z]{3})*$")
    detect_tables: bool = True


class ParseInput(StageInput):
    document_key: str


class OcrBatch(BaseModel):
    index: int
    pages: list[int]


class ParseOutput(BaseModel):
    pages: int
    ocr_page_count: int
    ocr_batches: list[OcrBatch]
    ocr_batch_count: int
    ocr_engine: str
    ocr_language: str


@stage("parsing")
def parse(task: ParseInput, job: JobRecord) -> ParseOutput:
    from docjobs.engines.pdf_parsing import (
        MUPDF_LOCK,
        document_metadata,
        document_warnings,
        iter_pages,
        open_document,
    )

    document_key = task.document_key
    options = TextOptions.model_validate(job.options)
    filename = document_key.rsplit("/", 1)[-1]
    s3 = aws_clients.s3()
    ocr_pages: list[int] = []
    with tempfile.NamedTemporaryFile(suffix="-" + filename) as source, tempfile.TemporaryFile() as pages_out:
        s3.download_fileobj(storage.bucket(), document_key, source)
        source.flush()
        with MUPDF_LOCK, open_document(source.name, filename=filename) as doc:
            metadata = document_metadata(doc, filename)
            warnings = document_warnings(doc, filename)
            total = metadata.pages
            shown = DocumentMetadata(filename=filename, file_type=metadata.file_type, pages=total)
            transitions.report_progress(
                job.tenant_id,
                job.id,
                "parsing",
                0.0,
                {"metadata": shown, "warnings": warnings},
            )
            progress = ThrottledProgress(job, "parsing")
            for page in iter_pages(doc, detect_tables=options.detect_tables):
                wants_ocr = options.ocr == "force" or (options.ocr == "auto" and page.needs_ocr)
                if wants_ocr:
                    ocr_pages.append(page.page)
                pages_out.write(page.model_dump_json().encode() + b"\n")
                progress.update(page.page / total)
        pages_out.seek(0)
        s3.upload_fileobj(
            pages_out, storage.bucket(), storage.work_key(job.tenant_id, job.id, WorkFile.PAGES)
        )
    storage.put_json(
        storage.work_key(job.tenant_id, job.id, WorkFile.DOCUMENT),
        {**metadata.model_dump(mode="json"), "warnings": warnings},
    )
    transitions.report_progress(job.tenant_id, job.id, "parsing", 1.0)
    # The cost is known now: reserve it before any paid engine (Textract, a model, Pinecone) runs.
    cost = get_job_type(job.type).cost(total, len(ocr_pages), get_settings().credit_rate_scale)
    transitions.reserve_credits(job.tenant_id, job.id, cost)

    batch_size = get_settings().ocr_batch_pages
    batches = [
        OcrBatch(index=i, pages=ocr_pages[start : start + batch_size])
        for i, start in enumerate(range(0, len(ocr_pages), batch_size))
    ]
    return ParseOutput(
        pages=total,
        ocr_page_count=len(ocr_pages),
        ocr_batches=batches,
        ocr_batch_count=len(batches),
        ocr_engine=get_settings().ocr_engine,
        ocr_language=options.ocr_language,
    )


def load_metadata(tenant_id: str, job_id: str) -> dict[str, Any]:
    return dict(storage.get_json(storage.work_key(tenant_id, job_id, WorkFile.DOCUMENT)))
