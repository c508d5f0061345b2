"""The parse pipeline's last step: publish ``{chunks, metadata}`` and complete the job."""

from __future__ import annotations

import json
from typing import IO, Any

from docjobs.adapters import storage
from docjobs.adapters.storage import WorkFile
from docjobs.core.models import JobRecord
from docjobs.jobtypes.parse.chunk import ChunkOutput
from docjobs.jobtypes.parse.vectorize import VectorizeOutput
from docjobs.pipeline.results import PublishedResult, publish_result
from docjobs.pipeline.runner import StageInput, stage
from docjobs.pipeline.stages.parse import ParseOutput, load_metadata


class FinishInput(StageInput):
    vectorize: VectorizeOutput
    chunk: ChunkOutput
    parse: ParseOutput


def _vector_metadata(vectorize: VectorizeOutput, chunk: ChunkOutput) -> dict[str, Any]:
    if vectorize.status == "completed":
        return vectorize.model_dump()
    return {"status": "skipped", "reason": chunk.vectorize_reason or "not requested"}


def no_text_reason(document: dict[str, Any], parse: ParseOutput, ocr_option: str) -> str:
    """Why a document gave no chunks: a completion with 0 chunks always says so."""
    from docjobs.engines.pdf import IMAGE_FILE_TYPES

    pages = parse.pages
    if document.get("file_type") in IMAGE_FILE_TYPES:
        if parse.ocr_page_count == 0:
            return "image with no text found: OCR is off, and an image has no text layer"
        return f"image with no text found: OCR ({parse.ocr_engine}) read no words in it"
    if parse.ocr_page_count:
        return (
            f"no text found: none of the {pages} pages has a text layer, and OCR ({parse.ocr_engine}) "
            f"read no words on the {parse.ocr_page_count} it scanned"
        )
    if ocr_option == "off":
        return f"no text found: the {pages} pages have no text layer, and OCR is off"
    return f"no text found: the {pages} pages have no text layer and nothing to OCR (no images)"


@stage(None)
def finish(task: FinishInput, job: JobRecord) -> PublishedResult:
    document = load_metadata(job.tenant_id, job.id)
    warnings = list(document.pop("warnings", None) or [])
    if task.chunk.chunk_count == 0:
        warnings.append(no_text_reason(document, task.parse, str(job.options.get("ocr", "auto"))))
    metadata = {
        **document,
        "warnings": warnings,
        "chunk_count": task.chunk.chunk_count,
        "ocr_pages": task.parse.ocr_page_count,
        "vectors": _vector_metadata(task.vectorize, task.chunk),
    }
    summary = {k: metadata[k] for k in ("pages", "chunk_count", "ocr_pages")} | {
        "vectors": metadata["vectors"]["status"]
    }
    return publish_result(job, lambda out: write_result(job, out, metadata), summary, warnings=warnings)


def write_result(job: JobRecord, out: IO[bytes], metadata: dict[str, Any]) -> None:
    """Stream ``{"chunks": [...], "metadata": {...}}`` without holding all chunks."""
    out.write(b'{"chunks":[')
    for i, row in enumerate(storage.iter_jsonl(storage.work_key(job.tenant_id, job.id, WorkFile.CHUNKS))):
        if i:
            out.write(b",")
        out.write(json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode())
    out.write(b'],"metadata":' + json.dumps(metadata, separators=(",", ":")).encode() + b"}")
