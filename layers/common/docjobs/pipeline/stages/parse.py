"""Stage ``parsing``: pages (text, headings, tables) streamed to ``pages.jsonl``; which need OCR."""

from __future__ import annotations

import tempfile
from typing import Any

from docjobs.adapters import aws_clients, storage
from docjobs.core.models import DocumentMetadata
from docjobs.core.settings import get_settings
from docjobs.jobtypes.parse.options import ParseOptions
from docjobs.pipeline.progress import StageInput, ThrottledProgress, begin_stage, report_progress

PAGES = "pages.jsonl"
DOCUMENT = "document.json"


def run(stage_input: StageInput, document_key: str) -> dict[str, Any]:
    from docjobs.engines.pdf_parsing import MUPDF_LOCK, document_metadata, iter_pages, open_document

    job = begin_stage(stage_input, "parsing")
    options = ParseOptions.model_validate(job.options)
    filename = document_key.rsplit("/", 1)[-1]
    s3 = aws_clients.s3()
    ocr_pages: list[int] = []
    with tempfile.NamedTemporaryFile(suffix="-" + filename) as source, tempfile.TemporaryFile() as pages_out:
        s3.download_fileobj(storage.bucket(), document_key, source)
        source.flush()
        with MUPDF_LOCK, open_document(source.name, filename=filename) as doc:
            metadata = document_metadata(doc, filename)
            total = metadata.pages
            report_progress(
                stage_input,
                "parsing",
                0.0,
                metadata=DocumentMetadata(filename=filename, file_type=metadata.file_type, pages=total),
            )
            progress = ThrottledProgress(stage_input, "parsing")
            for page in iter_pages(doc, detect_tables=options.detect_tables):
                wants_ocr = options.ocr == "force" or (options.ocr == "auto" and page.needs_ocr)
                if wants_ocr:
                    ocr_pages.append(page.page)
                pages_out.write(page.model_dump_json().encode() + b"\n")
                progress.update(page.page / total)
        pages_out.seek(0)
        s3.upload_fileobj(pages_out, storage.bucket(), storage.work_key(job.tenant_id, job.id, PAGES))
    storage.put_json(storage.work_key(job.tenant_id, job.id, DOCUMENT), metadata.model_dump(mode="json"))
    report_progress(stage_input, "parsing", 1.0)

    batch_size = get_settings().ocr_batch_pages
    batches = [
        {"index": i, "pages": ocr_pages[start : start + batch_size]}
        for i, start in enumerate(range(0, len(ocr_pages), batch_size))
    ]
    return {
        "pages": total,
        "ocr_page_count": len(ocr_pages),
        "ocr_batches": batches,
        "ocr_batch_count": len(batches),
        "ocr_engine": get_settings().ocr_engine,
        "ocr_language": options.ocr_language,
    }


def load_metadata(tenant_id: str, job_id: str) -> dict[str, Any]:
    return dict(storage.get_json(storage.work_key(tenant_id, job_id, DOCUMENT)))
