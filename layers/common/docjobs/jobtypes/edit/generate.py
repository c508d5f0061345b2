"""Stage ``generating`` of an edit job: apply the operations to the PDF, verify the output, then
stage it and publish the result (which registers the output document and completes the job).

A failed verification raises before anything is staged, so nothing is registered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docjobs.adapters import storage
from docjobs.core.errors import NotFoundError
from docjobs.core.models import JobRecord
from docjobs.jobtypes.edit.options import EditOptions
from docjobs.pipeline.progress import ThrottledProgress
from docjobs.pipeline.results import PublishedResult, publish_result, write_json_result
from docjobs.pipeline.runner import StageInput, stage

if TYPE_CHECKING:
    from docjobs.jobtypes.edit.redaction import OcrReading

PDF = "application/pdf"


class EditInput(StageInput):
    document_key: str


def _ocr_readings(job: JobRecord) -> dict[int, OcrReading]:
    """What the OCR stage read on the input's pages without a text layer (0-based page ->
    its text and its words with their boxes)."""
    from docjobs.jobtypes.edit.redaction import OcrReading
    from docjobs.pipeline.stages.ocr_pages import iter_ocr_pages

    return {
        int(row["page"]) - 1: OcrReading(str(row.get("text") or ""), tuple(row.get("words") or ()))
        for row in iter_ocr_pages(job.tenant_id, job.id)
    }


@stage("generating")
def generate(task: EditInput, job: JobRecord) -> PublishedResult:
    from docjobs.engines.pdf import MUPDF_LOCK
    from docjobs.jobtypes.edit.editor import apply_edits, output_filename

    options = EditOptions.model_validate(job.options)
    filename = task.document_key.rsplit("/", 1)[-1]
    source = storage.get_bytes(task.document_key)

    def load_document(document_id: str) -> bytes:
        key = storage.find_document_key(job.tenant_id, document_id)
        if key is None:
            raise NotFoundError(f"document {document_id} does not exist")
        return storage.get_bytes(key)

    detector = None
    if options.uses_comprehend():
        from docjobs.adapters.comprehend_pii import detect_pii

        detector = detect_pii
    progress = ThrottledProgress(job, "generating")
    readings = _ocr_readings(job) if options.ocr == "auto" else {}
    with MUPDF_LOCK:
        edited = apply_edits(
            source,
            options,
            filename=filename,
            load_document=load_document,
            pii_detector=detector,
            progress=lambda done, total: progress.update(0.9 * done / total),
            ocr=readings,
        )
    name = output_filename(options, filename)
    output = storage.stage_output(job.tenant_id, job.id, name, edited.pdf, PDF, pages=edited.pages)
    result: dict[str, Any] = {
        "document_id": output.document_id,
        "filename": name,
        "url": None,  # a fresh presigned GET on every read of the job
        "pages": edited.pages,
        "bytes": output.bytes,
        "operations": edited.operations,
        "verification": edited.verification.as_dict(),
    }
    summary = {
        "document_id": output.document_id,
        "filename": name,
        "pages": edited.pages,
        "bytes": output.bytes,
        "operations": len(edited.operations),
        "verification_passed": edited.verification.passed,
    }
    return publish_result(job, write_json_result(result), summary, [output])
