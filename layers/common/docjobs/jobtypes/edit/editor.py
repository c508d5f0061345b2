"""Runs an edit job's operations in order over PDF bytes, writes the output and verifies it.

Nothing here touches AWS: the stage passes a ``load_document`` for ``append_document`` and, when
an operation asks for ``pii_engine: comprehend``, a ``pii_detector``. A failed verification raises
(the stage then registers nothing): VALIDATION_ERROR when the document holds what could not be
removed or filled, INTERNAL_ERROR when the output breaks a promise that is ours (page count,
rotation, metadata, scrub).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pymupdf

from docjobs.core.errors import DocjobsError, InputValidationError, NotFoundError, ParseError
from docjobs.jobtypes.edit import forms, metadata, pages, redaction
from docjobs.jobtypes.edit.matching import PiiDetector, RedactionMatcher
from docjobs.jobtypes.edit.options import (
    AppendDocumentOp,
    DeletePagesOp,
    EditOptions,
    FillFormOp,
    RedactOp,
    ReorderPagesOp,
    RotatePagesOp,
    ScrubMetadataOp,
    SetMetadataOp,
    StampOp,
    operation_path,
)
from docjobs.jobtypes.edit.verification import Expectations, Verification, verify

#: document_id -> the document's bytes (raises NotFoundError for an unknown id).
DocumentLoader = Callable[[str], bytes]
#: (operations done, operations in all)
ProgressCallback = Callable[[int, int], None]

_DOCUMENT_CHECKS = {"redaction", "form"}


@dataclass
class EditResult:
    pdf: bytes
    pages: int
    operations: list[dict[str, Any]]
    verification: Verification


def open_pdf(data: bytes, name: str, *, path: str | None = None) -> pymupdf.Document:
    """Open PDF bytes for editing: a non-PDF is a VALIDATION_ERROR (naming ``path`` when the
    document came from an option), an encrypted, corrupt or empty one a PARSE_ERROR."""
    where = f"{path}: " if path else ""
    if b"%PDF-" not in data[:1024]:
        raise InputValidationError(f"{where}edit works on PDF documents and '{name}' is not a PDF")
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except (RuntimeError, ValueError) as exc:
        raise ParseError(f"{where}'{name}' is corrupt and cannot be opened: {exc}") from exc
    if doc.needs_pass or doc.is_encrypted:
        doc.close()
        raise ParseError(
            f"{where}'{name}' is encrypted (password-protected); remove the password and resubmit"
        )
    if doc.page_count == 0:
        doc.close()
        raise ParseError(f"{where}'{name}' has no pages")
    return doc


def default_output_filename(source_filename: str) -> str:
    stem = source_filename.rsplit("/", 1)[-1]
    stem = stem[:-4] if stem.lower().endswith(".pdf") else stem
    return f"{stem or 'document'}_edited.pdf"


def output_filename(options: EditOptions, source_filename: str) -> str:
    name = options.output_filename or default_output_filename(source_filename)
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


def apply_edits(
    source: bytes,
    options: EditOptions,
    *,
    filename: str,
    load_document: DocumentLoader | None = None,
    pii_detector: PiiDetector | None = None,
    progress: ProgressCallback | None = None,
    ocr: Mapping[int, redaction.OcrReading] | None = None,
) -> EditResult:
    """Apply ``options.operations`` to the PDF ``source``, write and verify the output.

    ``ocr``: what the OCR stage read on the input's pages without a text layer (0-based page ->
    reading), when ``options.ocr`` is auto: redactions remove the matches in their words too.
    """
    doc = open_pdf(source, filename)
    try:
        readings = {
            page: replace(reading, rotation=doc[page].rotation)
            for page, reading in (ocr or {}).items()
            if 0 <= page < doc.page_count
        }
        return _apply(doc, options, load_document, pii_detector, progress, readings)
    finally:
        doc.close()


def _apply(
    doc: pymupdf.Document,
    options: EditOptions,
    load_document: DocumentLoader | None,
    pii_detector: PiiDetector | None,
    progress: ProgressCallback | None,
    ocr: Mapping[int, redaction.OcrReading],
) -> EditResult:
    uids = list(range(doc.page_count))
    rotations = {uid: doc[uid].rotation for uid in uids}
    expected = Expectations(page_count=doc.page_count, page_uids=uids, rotations=rotations)
    signed = doc.get_sigflags() in (1, 3)
    reports: list[dict[str, Any]] = []
    total = len(options.operations)
    for index, op in enumerate(options.operations):
        report = _apply_one(doc, op, index, uids, rotations, expected, load_document, pii_detector, ocr)
        reports.append(report)
        if progress is not None:
            progress(index + 1, total)
    if signed:
        reports[0].setdefault("warnings", []).append(
            "the document was digitally signed: editing it invalidates the signature"
        )
    pdf = doc.tobytes(garbage=4, deflate=True, deflate_images=True, deflate_fonts=True)
    expected.page_count = len(uids)
    expected.page_uids = list(uids)
    verification = verify(pdf, expected)
    if not verification.passed:
        raise _verification_error(verification)
    return EditResult(pdf=pdf, pages=len(uids), operations=reports, verification=verification)


def _apply_one(
    doc: pymupdf.Document,
    op: Any,
    index: int,
    uids: list[int],
    rotations: dict[int, int],
    expected: Expectations,
    load_document: DocumentLoader | None,
    pii_detector: PiiDetector | None,
    ocr: Mapping[int, redaction.OcrReading],
) -> dict[str, Any]:
    if isinstance(op, FillFormOp):
        report, filled = forms.fill_form(doc, op, index)
        for field in filled:
            expected.filled[field.name] = field
            expected.filled_page_uids[field.name] = uids[field.page]
        expected.flattened = expected.flattened or op.flatten
        return report
    if isinstance(op, RedactOp):
        if op.pii_engine and pii_detector is None:
            raise InputValidationError(
                f"{operation_path(index, 'pii_engine')}: Amazon Comprehend is not available "
                "in this deployment"
            )
        matcher = RedactionMatcher(op, index, pii_detector=pii_detector if op.pii_engine else None)
        chosen = pages.selected_pages(doc, op.pages, index)
        report, record = redaction.redact_pages(doc, matcher, chosen, uids, ocr)
        expected.redactions.append(record)
        for name, field in list(expected.filled.items()):  # filled values it cut on purpose
            values = field.expected if isinstance(field.expected, list) else [field.expected]
            if name in record.changed_fields or any(matcher.find(v, use_engine=False) for v in values):
                expected.filled.pop(name)
        expected.metadata = {
            k: v for k, v in expected.metadata.items() if not matcher.find(v, use_engine=False)
        }
        return report
    if isinstance(op, DeletePagesOp):
        return pages.delete_pages(doc, op, index, uids)
    if isinstance(op, RotatePagesOp):
        return pages.rotate_pages(doc, op, index, uids, rotations)
    if isinstance(op, ReorderPagesOp):
        return pages.reorder_pages(doc, op, index, uids)
    if isinstance(op, AppendDocumentOp):
        path = operation_path(index, "document_id")
        if load_document is None:
            raise InputValidationError(f"{path}: appending documents is not available here")
        try:
            data = load_document(op.document_id)
        except NotFoundError:
            raise InputValidationError(f"{path}: there is no document '{op.document_id}'") from None
        other = open_pdf(data, op.document_id, path=path)
        try:
            first_new = max(uids, default=-1) + 1
            first_new = max(first_new, max(rotations, default=-1) + 1)
            new = list(range(first_new, first_new + other.page_count))
            for uid, page in zip(new, other, strict=True):
                rotations[uid] = page.rotation
            report = pages.append_pdf(doc, other, op.document_id)
            uids.extend(new)
            return report
        finally:
            other.close()
    if isinstance(op, StampOp):
        return pages.stamp(doc, op, index)
    if isinstance(op, SetMetadataOp):
        expected.metadata.update(op.values())
        return metadata.set_metadata(doc, op)
    if isinstance(op, ScrubMetadataOp):
        expected.scrubbed = True
        expected.metadata = {}
        return metadata.scrub_metadata(doc)
    raise DocjobsError(f"operation {op!r} has no implementation")  # pragma: no cover - options restrict ops


def _verification_error(verification: Verification) -> DocjobsError:
    residual = verification.residual
    shown = "; ".join(_describe(item) for item in residual[:8])
    more = f" and {len(residual) - 8} more" if len(residual) > 8 else ""
    message = (
        f"verification of the edited document failed, so it was not saved: {len(residual)} residual(s): "
        f"{shown}{more}"
    )
    details: dict[str, object] = {"verification": verification.as_dict()}
    if all(item["check"] in _DOCUMENT_CHECKS for item in residual):
        return InputValidationError(message, details=details)
    return DocjobsError(message, details=details)


def _describe(item: dict[str, Any]) -> str:
    if item["check"] == "redaction":
        page = f" page {item['page']}" if "page" in item else ""
        return f"{item['rule']} still matches {item['match']} in the {item['where']}{page}"
    subject = item.get("field") or (f"page {item['page']}" if "page" in item else item["check"])
    return f"{item['check']} {subject}: {item['problem']}"
