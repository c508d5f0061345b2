"""Stage ``extracting``: the job's schema filled from its document by the chosen engine, then published.

Runs after the shared text stages (Upload, Parse, OCR). It reopens the source PDF for word
positions (citations need them; the pages work file keeps text only); the pages the OCR stage
read come with their words' positions, so no page is OCR'd twice (docs/decisions.md, "Extract:
word positions").
"""

from __future__ import annotations

import tempfile

from docjobs.adapters import aws_clients, storage
from docjobs.core.models import JobRecord
from docjobs.engines.models import resolve_engine
from docjobs.jobtypes.extract.options import ExtractOptions
from docjobs.pipeline.progress import ThrottledProgress
from docjobs.pipeline.results import PublishedResult, publish_result, write_json_result
from docjobs.pipeline.runner import StageInput, stage
from docjobs.pipeline.stages.ocr_pages import iter_ocr_pages


class ExtractInput(StageInput):
    document_key: str


@stage("extracting")
def extract(task: ExtractInput, job: JobRecord) -> PublishedResult:
    from docjobs.engines.pdf import MUPDF_LOCK, open_document
    from docjobs.jobtypes.extract.extraction import run_extraction, selected_pages

    options = ExtractOptions.model_validate(job.options)
    choice = resolve_engine(options.engine, options.model)
    filename = task.document_key.rsplit("/", 1)[-1]
    progress = ThrottledProgress(job, "extracting")
    # Only the selected pages' OCR words are kept (a long scan's are tens of MB); the parse
    # stage has counted the pages.
    wanted = set(selected_pages(options, job.metadata.pages)) if job.metadata.pages else None
    ocr_words = {
        int(row["page"]): row["words"]
        for row in iter_ocr_pages(job.tenant_id, job.id)
        if row.get("words") is not None and (wanted is None or int(row["page"]) in wanted)
    }
    with tempfile.NamedTemporaryFile(suffix="-" + filename) as source:
        aws_clients.s3().download_fileobj(storage.bucket(), task.document_key, source)
        source.flush()
        with MUPDF_LOCK, open_document(source.name, filename=filename) as document:
            result = run_extraction(document, options, choice, ocr_words=ocr_words, progress=progress.update)
    fields = result["fields"]
    summary = {
        **result["metadata"],
        "fields": len(fields),
        "verified_fields": sum(1 for f in fields if f["verified"]),
        "valid": result["validation"]["valid"],
    }
    return publish_result(job, write_json_result(result), summary)
