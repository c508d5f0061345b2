"""``set_metadata`` and ``scrub_metadata``."""

from __future__ import annotations

from typing import Any

import pymupdf

from docjobs.jobtypes.edit.options import SetMetadataOp

_JS_ACTION_KEYS = ("A", "OpenAction", "Next")


def set_metadata(doc: pymupdf.Document, op: SetMetadataOp) -> dict[str, Any]:
    metadata = {k: v for k, v in (doc.metadata or {}).items() if k not in ("format", "encryption")}
    metadata.update(op.values())
    doc.set_metadata(metadata)
    report: dict[str, Any] = {"op": "set_metadata", "applied": True, "fields": sorted(op.values())}
    if doc.get_xml_metadata():
        report["warnings"] = [
            "the document also carries XMP metadata, which was left as it was and which some readers "
            "prefer; put scrub_metadata before set_metadata to drop it"
        ]
    return report


def _is_javascript_action(doc: pymupdf.Document, xref: int, key: str) -> bool:
    return bool(doc.xref_get_key(xref, f"{key}/S") == ("name", "/JavaScript"))


_MUPDF_ERRORS = (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase)


def dictionaries(doc: pymupdf.Document) -> list[int]:
    """The xrefs of the document's live dictionary objects (page deletions and outline rewrites
    leave free entries in the xref table, which MuPDF refuses to load)."""
    found: list[int] = []
    for xref in range(1, doc.xref_length()):
        try:
            if not doc.xref_is_stream(xref) and doc.xref_object(xref, compressed=True).startswith("<<"):
                found.append(xref)
        except _MUPDF_ERRORS:
            continue
    return found


def _live_keys(doc: pymupdf.Document, xref: int) -> set[str]:
    """The keys of a dictionary object whose value is not null (PyMuPDF "deletes" a key by
    setting it to null)."""
    return {key for key in doc.xref_get_keys(xref) if doc.xref_get_key(xref, key)[0] != "null"}


def javascript_places(doc: pymupdf.Document) -> list[str]:
    """Where JavaScript remains: the catalog's name tree, JavaScript actions, additional actions."""
    places: list[str] = []
    catalog = doc.pdf_catalog()
    if doc.xref_get_key(catalog, "Names/JavaScript")[0] != "null":
        places.append("Names/JavaScript")
    for xref in dictionaries(doc):
        keys = _live_keys(doc, xref)
        if "JS" in keys:
            places.append(f"object {xref} /JS")
        if "AA" in keys:
            places.append(f"object {xref} /AA")
        places.extend(
            f"object {xref} /{key}"
            for key in _JS_ACTION_KEYS
            if key in keys and _is_javascript_action(doc, xref, key)
        )
    return places


def scrub_metadata(doc: pymupdf.Document) -> dict[str, Any]:
    """Remove the information dictionary, XMP (document and object level), embedded files
    (including file-attachment annotations) and every JavaScript entry point."""
    info = sum(1 for k, v in (doc.metadata or {}).items() if v and k not in ("format", "encryption"))
    doc.set_metadata({})
    if doc.xref_get_key(-1, "Info")[0] != "null":
        doc.xref_set_key(-1, "Info", "null")
    xmp = 0
    for xref in dictionaries(doc):
        if doc.xref_get_key(xref, "Metadata")[0] != "null":
            doc.xref_set_key(xref, "Metadata", "null")
            xmp += 1
        if doc.xref_get_key(xref, "PieceInfo")[0] != "null":
            doc.xref_set_key(xref, "PieceInfo", "null")
    embedded = 0
    for name in doc.embfile_names():
        doc.embfile_del(name)
        embedded += 1
    for page in doc:
        attachments = [a.xref for a in page.annots(types=[pymupdf.PDF_ANNOT_FILE_ATTACHMENT])]
        for xref in attachments:
            annot = page.load_annot(xref)
            if annot is not None:
                page.delete_annot(annot)
                embedded += 1
    javascript = _remove_javascript(doc)
    return {
        "op": "scrub_metadata",
        "applied": True,
        "removed": {"info": info, "xmp": xmp, "embedded_files": embedded, "javascript": javascript},
    }


def _remove_javascript(doc: pymupdf.Document) -> int:
    removed = 0
    catalog = doc.pdf_catalog()
    if doc.xref_get_key(catalog, "Names/JavaScript")[0] != "null":
        doc.xref_set_key(catalog, "Names/JavaScript", "null")
        removed += 1
    for xref in dictionaries(doc):
        keys = _live_keys(doc, xref)
        if "AA" in keys:  # additional (event) actions: scripts in practice
            doc.xref_set_key(xref, "AA", "null")
            removed += 1
        for key in _JS_ACTION_KEYS:
            if key in keys and _is_javascript_action(doc, xref, key):
                doc.xref_set_key(xref, key, "null")
                removed += 1
        if "JS" in keys:  # a JavaScript action object itself (reached from elsewhere)
            doc.xref_set_key(xref, "JS", "null")
            removed += 1
    return removed
