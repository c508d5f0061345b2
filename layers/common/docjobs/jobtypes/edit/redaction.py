"""``redact``: real removal of text (and the image pixels and vector graphics under it) with
PyMuPDF redaction annotations, plus the same strings in form values, annotations, links, the
outline and the document metadata. On scanned pages the OCR stage read, the matches in its
words are removed as image pixels.

The page text is read with hidden layers switched on and without crop-box clipping (see
``pdf_text``), so text a viewer does not show is removed too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pymupdf

from docjobs.core.errors import DocjobsError
from docjobs.jobtypes.edit.matching import Match, RedactionMatcher, remove_spans
from docjobs.jobtypes.edit.options import color_rgb
from docjobs.jobtypes.edit.pdf_text import all_layers_visible, looks_scanned, page_text, plain_text, text_page

if TYPE_CHECKING:
    from docjobs.engines.pdf.pages import OcrWord

#: Metadata keys PyMuPDF reports that are not the document's own text.
_NOT_TEXT_METADATA = {"format", "encryption"}
_ANNOT_TEXT_KEYS = ("content", "title", "subject")
_STANDARD_INFO_KEYS = {
    "Title",
    "Author",
    "Subject",
    "Keywords",
    "Creator",
    "Producer",
    "CreationDate",
    "ModDate",
    "Trapped",
}


@dataclass
class RedactionRecord:
    """What the verification needs to search the output again."""

    index: int
    matcher: RedactionMatcher
    page_uids: set[int]
    #: Every page of the document when the redaction ran: outline entries that lead to pages
    #: appended later are not its business.
    document_uids: set[int] = field(default_factory=set)
    #: Strings an external detector (Comprehend) found: searched literally in the output,
    #: so the verification does not call the detector a second time.
    engine_values: set[str] = field(default_factory=set)
    changed_fields: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class OcrReading:
    """What the OCR stage read on one of the input's pages without a text layer."""

    text: str
    #: Each word's box as fractions of the page as it was displayed when OCR'd, and its text.
    words: Sequence[OcrWord] = ()
    #: The page's rotation when it was OCR'd (the input's).
    rotation: int = 0


#: Points added around an OCR'd word's box: OCR boxes hug the glyphs.
_OCR_BOX_MARGIN = 1.5


def redact_pages(
    doc: pymupdf.Document,
    matcher: RedactionMatcher,
    pages: Iterable[int],
    page_uids: list[int],
    ocr: Mapping[int, OcrReading] | None = None,
) -> tuple[dict[str, Any], RedactionRecord]:
    """Redact ``pages`` (0-based, current order). ``page_uids`` names each current page (the input's
    pages are 0..n-1, so ``ocr`` of the input's scanned pages is found by it).

    On a scanned page the OCR stage read, matches in its words are redacted too: the image pixels
    under their boxes are blanked (checked by rendering them), then the boxes are filled."""
    op = matcher.op
    fill = color_rgb(op.fill)
    record = RedactionRecord(matcher.index, matcher, {page_uids[p] for p in pages}, set(page_uids))
    counts = {
        "text": 0,
        "scanned_text": 0,
        "annotations": 0,
        "links": 0,
        "form_fields": 0,
        "outline": 0,
        "metadata": 0,
    }
    pages_with_hits: list[int] = []
    scanned: list[int] = []
    scanned_hits = 0  # found in OCR text without word boxes: counted, not removed
    with all_layers_visible(doc):
        for page_no in pages:
            page = doc[page_no]
            where = f"page {page_no + 1}"
            # links and annotations first: MuPDF's link list goes stale after apply_redactions
            counts["links"] += _redact_links(page, matcher, where)
            counts["annotations"] += _redact_annotations(page, matcher, where)
            counts["form_fields"] += _redact_widgets(page, matcher, where, record)
            textpage = text_page(page)
            text = plain_text(page, textpage)
            matches = matcher.find(text, where=where)
            if matches:
                located = page_text(page, textpage)
                if located.text != text:  # never seen; match again on the located text to be safe
                    matches = matcher.find(located.text, where=where)
                for m in matches:
                    if m.rule.path.endswith("pii_engine"):
                        record.engine_values.add(m.value)
                    for rect in located.rects(m.start, m.end):
                        page.add_redact_annot(rect, fill=fill, cross_out=False)
                counts["text"] += len(matches)
            erased: list[pymupdf.Rect] = []
            if looks_scanned(page, text):
                scanned.append(page_no + 1)
                reading = (ocr or {}).get(page_uids[page_no])
                if reading is not None and reading.words:
                    found, erased = _ocr_matches(page, reading, matcher, where)
                    for rect in erased:  # no fill yet: the blanked pixels are checked first
                        page.add_redact_annot(rect, fill=None, cross_out=False)
                    counts["scanned_text"] += found
                elif reading is not None:
                    where_ocr = f"{where} (OCR text)"
                    scanned_hits += len(matcher.find(reading.text, where=where_ocr, use_engine=False))
            if matches or erased:
                page.apply_redactions(
                    images=pymupdf.PDF_REDACT_IMAGE_PIXELS,
                    graphics=pymupdf.PDF_REDACT_LINE_ART_REMOVE_IF_COVERED,
                    text=pymupdf.PDF_REDACT_TEXT_REMOVE,
                )
                pages_with_hits.append(page_no + 1)
            if erased:
                _check_and_fill(page, erased, fill, where)
    counts["outline"] = _redact_outline(doc, matcher)
    counts["metadata"], xmp_removed = _redact_metadata(doc, matcher)
    warnings: list[str] = []
    if scanned:
        if not ocr:
            warnings.append(
                f"page(s) {_pages(scanned)} have no text layer (scanned images): their text was not "
                "searched (submit with ocr: auto to have them OCR'd and redacted), so check those pages "
                "or redact them by hand"
            )
        else:
            removed = counts["scanned_text"]
            outcome = "OCR found no match there"
            if removed:
                outcome = f"OCR found {removed} match(es) there and their image pixels were removed"
            if scanned_hits:
                outcome += f"; OCR text without word positions has {scanned_hits} more, NOT removed"
            warnings.append(
                f"page(s) {_pages(scanned)} have no text layer (scanned images): {outcome}; OCR can "
                "misread text, so check those pages"
            )
    if xmp_removed:
        warnings.append("the XMP metadata contained redacted text and was removed entirely")
    if doc.embfile_count():
        warnings.append(
            f"the document has {doc.embfile_count()} embedded file(s), which were not searched; "
            "add a scrub_metadata operation to remove them"
        )
    report: dict[str, Any] = {
        "op": "redact",
        "applied": True,
        "hits": sum(counts.values()),
        "hits_in": counts,
        "pages": pages_with_hits,
    }
    if warnings:
        report["warnings"] = warnings
    return report, record


def _ocr_matches(
    page: pymupdf.Page, reading: OcrReading, matcher: RedactionMatcher, where: str
) -> tuple[int, list[pymupdf.Rect]]:
    """The matches in an OCR'd page's words, and the boxes (page coordinates, unrotated, with a
    margin) of every word a match touches."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for word in reading.words:
        spans.append((offset, offset + len(word[4])))
        offset += len(word[4]) + 1
    joined = " ".join(word[4] for word in reading.words)
    matches = matcher.find(joined, where=f"{where} (OCR text)", use_engine=False)
    if not matches:
        return 0, []
    with _rotated(page, reading.rotation):  # the boxes are fractions of the page as displayed then
        width, height, to_page = page.rect.width, page.rect.height, page.derotation_matrix
    touched = {i for m in matches for i, (start, end) in enumerate(spans) if start < m.end and m.start < end}
    margin = _OCR_BOX_MARGIN
    boxes = []
    for i in sorted(touched):
        x0, y0, x1, y1, _ = reading.words[i]
        box = (pymupdf.Rect(x0 * width, y0 * height, x1 * width, y1 * height) * to_page).normalize()
        boxes.append(pymupdf.Rect(box.x0 - margin, box.y0 - margin, box.x1 + margin, box.y1 + margin))
    return len(matches), boxes


def _check_and_fill(
    page: pymupdf.Page, boxes: list[pymupdf.Rect], fill: tuple[float, float, float], where: str
) -> None:
    """Render each erased box: it must be blank (the image pixels under it were removed, not
    covered); then fill it with the redaction colour."""
    with _rotated(page, 0):  # render and draw in the unrotated coordinates the boxes are in
        for box in boxes:
            inner = pymupdf.Rect(box.x0 + 0.5, box.y0 + 0.5, box.x1 - 0.5, box.y1 - 0.5)
            if inner.is_empty:
                continue
            pixels = page.get_pixmap(clip=inner, dpi=144, alpha=False, colorspace=pymupdf.csGRAY)
            if pixels.samples and min(pixels.samples) < 250:
                raise DocjobsError(
                    f"redaction of a scanned match on {where} failed: the image under it was not blanked"
                )
        for box in boxes:
            page.draw_rect(box, color=None, fill=fill, overlay=True)


@contextmanager
def _rotated(page: pymupdf.Page, rotation: int) -> Iterator[None]:
    """The page shown with ``rotation`` while the block runs; its own rotation afterwards."""
    current = page.rotation
    page.set_rotation(rotation)
    try:
        yield
    finally:
        page.set_rotation(current)


def _pages(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:20])
    return shown + (f" and {len(numbers) - 20} more" if len(numbers) > 20 else "")


def annotation_texts(annot: pymupdf.Annot) -> list[str]:
    info = annot.info
    return [str(info.get(key) or "") for key in _ANNOT_TEXT_KEYS]


def _redact_annotations(page: pymupdf.Page, matcher: RedactionMatcher, where: str) -> int:
    """Annotations (notes, free text, stamps…) whose text matches are deleted: their appearance
    may draw the same text, so editing only the /Contents would not be enough."""
    doomed = [
        annot.xref
        for annot in page.annots()
        if annot.type[0] != pymupdf.PDF_ANNOT_REDACT
        and any(
            matcher.find(t, where=f"{where} annotations", use_engine=False) for t in annotation_texts(annot)
        )
    ]
    for xref in doomed:
        annot = page.load_annot(xref)
        if annot is not None:
            page.delete_annot(annot)
    return len(doomed)


def _redact_links(page: pymupdf.Page, matcher: RedactionMatcher, where: str) -> int:
    doomed = [
        link
        for link in page.get_links()
        if matcher.find(str(link.get("uri") or ""), where=f"{where} links", use_engine=False)
    ]
    for link in doomed:
        page.delete_link(link)
    return len(doomed)


def widget_texts(widget: pymupdf.Widget) -> list[str]:
    value = widget.field_value
    texts = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
    texts.append(widget.field_label or "")
    for item in widget.choice_values or ():
        texts.extend(str(x) for x in (item if isinstance(item, list | tuple) else [item]))
    return texts


def _redact_widgets(
    page: pymupdf.Page, matcher: RedactionMatcher, where: str, record: RedactionRecord
) -> int:
    hits = 0
    for widget in page.widgets():
        changed = False
        value = widget.field_value
        if isinstance(value, str) and value:
            found = matcher.find(value, where=f"{where} form fields", use_engine=False)
            if found:
                widget.field_value = remove_spans(value, found)
                hits += len(found)
                changed = True
        elif isinstance(value, list):
            kept = [
                v for v in value if not matcher.find(str(v), where=f"{where} form fields", use_engine=False)
            ]
            if len(kept) != len(value):
                widget.field_value = kept
                hits += len(value) - len(kept)
                changed = True
        if widget.field_label and matcher.find(
            widget.field_label, where=f"{where} form fields", use_engine=False
        ):
            widget.field_label = remove_spans(
                widget.field_label, matcher.find(widget.field_label, use_engine=False)
            )
            hits += 1
            changed = True
        if widget.choice_values:
            kept_choices = [
                item
                for item in widget.choice_values
                if not any(
                    matcher.find(str(x), use_engine=False)
                    for x in (item if isinstance(item, list | tuple) else [item])
                )
            ]
            if len(kept_choices) != len(widget.choice_values):
                hits += len(widget.choice_values) - len(kept_choices)
                widget.choice_values = kept_choices
                changed = True
        if changed:
            widget.update()
            record.changed_fields.add(widget.field_name or "")
    return hits


def _redact_outline(doc: pymupdf.Document, matcher: RedactionMatcher) -> int:
    toc = doc.get_toc(simple=False)
    hits = 0
    for entry in toc:
        found = matcher.find(str(entry[1]), where="the outline", use_engine=False)
        if found:
            entry[1] = remove_spans(str(entry[1]), found) or "(redacted)"
            hits += len(found)
    if hits:
        doc.set_toc(toc)
    return hits


def info_strings(doc: pymupdf.Document) -> dict[str, str]:
    """Every string in the document information dictionary, custom keys included (PyMuPDF's
    ``metadata`` shows only the standard ones)."""
    values = {k: v for k, v in (doc.metadata or {}).items() if k not in _NOT_TEXT_METADATA and v}
    kind, ref = doc.xref_get_key(-1, "Info")
    if kind == "xref":
        info_xref = int(ref.split()[0])
        for key in doc.xref_get_keys(info_xref):
            value_kind, value = doc.xref_get_key(info_xref, key)
            if value_kind == "string" and value and key not in _STANDARD_INFO_KEYS:
                values[f"Info/{key}"] = value
    return values


def _redact_metadata(doc: pymupdf.Document, matcher: RedactionMatcher) -> tuple[int, bool]:
    hits = 0
    metadata = dict(doc.metadata or {})
    changed = False
    for key, value in info_strings(doc).items():
        found: list[Match] = matcher.find(value, where="the metadata", use_engine=False)
        if not found:
            continue
        hits += len(found)
        cleaned = remove_spans(value, found)
        if key.startswith("Info/"):
            _, ref = doc.xref_get_key(-1, "Info")
            doc.xref_set_key(int(ref.split()[0]), key[5:], pymupdf.get_pdf_str(cleaned))
        else:
            metadata[key] = cleaned
            changed = True
    if changed:
        doc.set_metadata({k: v for k, v in metadata.items() if k not in _NOT_TEXT_METADATA})
    xmp = doc.get_xml_metadata()
    xmp_removed = False
    if xmp and matcher.find(xmp, where="the XMP metadata", use_engine=False):
        hits += len(matcher.find(xmp, use_engine=False))
        doc.del_xml_metadata()
        xmp_removed = True
    return hits, xmp_removed
