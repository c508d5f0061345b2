"""The verification: reopen the written output and check that it is what the operations promised.

Every redaction's strings, patterns and PII are searched again (same matcher) in the text layer of
the pages it covered (hidden layers and off-crop text included), their annotations, links and
form fields, and in the outline and metadata; Comprehend's findings are searched as literal
strings. Filled fields are read back, the page count and rotations compared, set metadata read
back, and a scrubbed document checked for info, XMP, embedded files and JavaScript.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pymupdf

from docjobs.jobtypes.edit.forms import FilledField, read_back
from docjobs.jobtypes.edit.matching import Match, RedactionMatcher, Rule, mask
from docjobs.jobtypes.edit.metadata import javascript_places
from docjobs.jobtypes.edit.options import operation_path
from docjobs.jobtypes.edit.pdf_text import all_layers_visible, plain_text
from docjobs.jobtypes.edit.redaction import RedactionRecord, annotation_texts, info_strings, widget_texts


@dataclass
class Expectations:
    """What the operations imply for the output, in output page order."""

    page_count: int
    page_uids: list[int]
    rotations: dict[int, int]
    redactions: list[RedactionRecord] = field(default_factory=list)
    filled: dict[str, FilledField] = field(default_factory=dict)
    #: field name -> the uid of the page its first widget was on when filled
    filled_page_uids: dict[str, int] = field(default_factory=dict)
    flattened: bool = False
    metadata: dict[str, str] = field(default_factory=dict)
    scrubbed: bool = False


@dataclass
class Verification:
    passed: bool
    residual: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "residual": self.residual}


def _residual(
    record: RedactionRecord, where: str, found: Sequence[Match], page: int | None = None
) -> list[dict[str, Any]]:
    out = []
    for m in found:
        item: dict[str, Any] = {
            "check": "redaction",
            "rule": m.rule.path,
            "kind": m.rule.kind,
            "where": where,
        }
        if page is not None:
            item["page"] = page
        item["match"] = mask(m.value)
        out.append(item)
    return out


def _search(record: RedactionRecord, text: str, where: str) -> list[Match]:
    matcher: RedactionMatcher = record.matcher
    found = matcher.find(text, where=f"the output ({where})", use_engine=False)
    if record.engine_values:
        rule = Rule(operation_path(record.index, "pii_engine"), "pii", "comprehend")
        lowered = text.lower()
        for value in record.engine_values:
            start = lowered.find(value.lower())
            if start >= 0:
                found.append(Match(rule, start, start + len(value), value))
    return found


def verify(pdf: bytes, expected: Expectations) -> Verification:
    residual: list[dict[str, Any]] = []
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    try:
        if doc.page_count != expected.page_count:
            residual.append(
                {
                    "check": "pages",
                    "problem": f"{doc.page_count} pages, the operations imply {expected.page_count}",
                }
            )
        else:
            for page_no, uid in enumerate(expected.page_uids):
                want = expected.rotations.get(uid)
                if want is not None and doc[page_no].rotation != want:
                    residual.append(
                        {
                            "check": "rotation",
                            "page": page_no + 1,
                            "problem": f"rotated {doc[page_no].rotation}, expected {want}",
                        }
                    )
            residual.extend(_verify_redactions(doc, expected))
        where_now = {uid: index for index, uid in enumerate(expected.page_uids)}
        field_pages = {name: where_now.get(uid) for name, uid in expected.filled_page_uids.items()}
        residual.extend(
            read_back(doc, list(expected.filled.values()), flattened=expected.flattened, pages=field_pages)
        )
        metadata = doc.metadata or {}
        for key, value in expected.metadata.items():
            if (metadata.get(key) or "") != value:
                residual.append({"check": "metadata", "field": key, "problem": "does not read back as set"})
        if expected.scrubbed:
            residual.extend(_verify_scrubbed(doc, set(expected.metadata)))
    finally:
        doc.close()
    return Verification(passed=not residual, residual=residual)


def _verify_redactions(doc: pymupdf.Document, expected: Expectations) -> list[dict[str, Any]]:
    residual: list[dict[str, Any]] = []
    if not expected.redactions:
        return residual
    with all_layers_visible(doc):
        for page_no, uid in enumerate(expected.page_uids):
            records = [r for r in expected.redactions if uid in r.page_uids]
            if not records:
                continue
            page = doc[page_no]
            text = plain_text(page)
            annots = [t for annot in page.annots() for t in annotation_texts(annot)]
            links = [str(link.get("uri") or "") for link in page.get_links()]
            widgets = [t for w in page.widgets() for t in widget_texts(w)]
            for record in records:
                residual.extend(
                    _residual(record, "text", _search(record, text, f"page {page_no + 1}"), page_no + 1)
                )
                for label, texts in (("annotation", annots), ("link", links), ("form field", widgets)):
                    for t in texts:
                        residual.extend(_residual(record, label, _search(record, t, label), page_no + 1))
    documentwide = [("metadata", v) for v in info_strings(doc).values()]
    xmp = doc.get_xml_metadata()
    if xmp:
        documentwide.append(("XMP metadata", xmp))
    outline = doc.get_toc(simple=True)
    for record in expected.redactions:
        for where, value in documentwide:
            residual.extend(_residual(record, where, _search(record, value, where)))
        for _, title, page in outline:
            target: int | None = expected.page_uids[page - 1] if 0 < page <= len(expected.page_uids) else None
            if target is None or target in record.document_uids:
                residual.extend(_residual(record, "outline", _search(record, str(title), "outline")))
    return residual


def _verify_scrubbed(doc: pymupdf.Document, set_later: set[str]) -> list[dict[str, Any]]:
    """``set_later``: metadata a set_metadata after the scrub wrote on purpose."""
    residual: list[dict[str, Any]] = []
    left = {
        k: v
        for k, v in (doc.metadata or {}).items()
        if v and k not in ("format", "encryption") and k not in set_later
    }
    if left:
        residual.append({"check": "scrub", "problem": f"document info still has {', '.join(sorted(left))}"})
    if doc.get_xml_metadata():
        residual.append({"check": "scrub", "problem": "XMP metadata still present"})
    if doc.embfile_count():
        residual.append(
            {"check": "scrub", "problem": f"{doc.embfile_count()} embedded file(s) still present"}
        )
    scripts = javascript_places(doc)
    if scripts:
        residual.append(
            {"check": "scrub", "problem": f"JavaScript still present at {', '.join(scripts[:10])}"}
        )
    return residual
