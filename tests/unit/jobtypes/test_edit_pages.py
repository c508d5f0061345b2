"""Page operations, append, stamp, metadata and the whole edit on multi-page generated PDFs."""

from __future__ import annotations

from typing import Any

import pymupdf
import pytest

from docjobs.core.errors import DocjobsError, InputValidationError, ParseError
from docjobs.jobtypes.edit import editor
from docjobs.jobtypes.edit.editor import EditResult, apply_edits, output_filename
from docjobs.jobtypes.edit.options import parse_edit_options
from tests import edit_documents as docs


def _edit(pdf: bytes, *operations: dict[str, Any], **kwargs: Any) -> EditResult:
    return apply_edits(pdf, parse_edit_options({"operations": list(operations)}), filename="in.pdf", **kwargs)


def test_delete_pages_removes_them_and_their_bookmarks() -> None:
    result = _edit(docs.numbered_pdf(5), {"op": "delete_pages", "pages": "2,4-"})
    assert docs.page_markers(result.pdf) == [1, 3]
    assert pymupdf.open(stream=result.pdf).get_toc() == [[1, "Chapter 1", 1], [1, "Chapter 3", 2]]
    assert result.pages == 2 and result.operations[0]["pages"] == [2, 4, 5]


def test_deleting_every_page_is_refused() -> None:
    with pytest.raises(
        InputValidationError, match=r"operations\[0\]\.pages: deleting pages 1- would leave no pages"
    ):
        _edit(docs.numbered_pdf(3), {"op": "delete_pages", "pages": "1-"})


def test_rotate_adds_to_the_existing_rotation() -> None:
    result = _edit(
        docs.numbered_pdf(3, rotated={2: 90}), {"op": "rotate_pages", "pages": "2-3", "degrees": 270}
    )
    assert [p.rotation for p in pymupdf.open(stream=result.pdf)] == [0, 0, 270]


def test_reorder_follows_the_permutation() -> None:
    result = _edit(docs.numbered_pdf(4), {"op": "reorder_pages", "order": [4, 2, 1, 3]})
    assert docs.page_markers(result.pdf) == [4, 2, 1, 3]


def test_reorder_that_does_not_cover_the_pages_names_the_option() -> None:
    with pytest.raises(InputValidationError) as caught:
        _edit(
            docs.numbered_pdf(4),
            {"op": "delete_pages", "pages": "1"},
            {"op": "reorder_pages", "order": [2, 1]},
        )
    assert caught.value.message.startswith(
        "options.operations[1].order: names 2 pages but the document has 3 at this point"
    )


def test_page_out_of_range_names_the_option() -> None:
    with pytest.raises(InputValidationError, match=r"operations\[0\]\.pages: page 9 is out of range"):
        _edit(docs.numbered_pdf(4), {"op": "rotate_pages", "pages": "2,9", "degrees": 90})


def test_append_keeps_both_outlines() -> None:
    loaded: list[str] = []

    def load(document_id: str) -> bytes:
        loaded.append(document_id)
        return docs.numbered_pdf(2)

    result = _edit(
        docs.numbered_pdf(3), {"op": "append_document", "document_id": "doc-2"}, load_document=load
    )
    assert loaded == ["doc-2"]
    assert docs.page_markers(result.pdf) == [1, 2, 3, 1, 2]
    toc = pymupdf.open(stream=result.pdf).get_toc()
    assert [entry[2] for entry in toc] == [1, 2, 3, 4, 5]
    assert result.operations[0] == {
        "op": "append_document",
        "applied": True,
        "document_id": "doc-2",
        "pages_added": 2,
    }


def test_append_of_a_non_pdf_or_encrypted_document_names_the_option() -> None:
    with pytest.raises(InputValidationError, match=r"operations\[0\]\.document_id: edit works on PDF"):
        _edit(
            docs.numbered_pdf(1),
            {"op": "append_document", "document_id": "d"},
            load_document=lambda _: b"text",
        )
    with pytest.raises(ParseError, match=r"operations\[0\]\.document_id: 'd' is encrypted"):
        _edit(
            docs.numbered_pdf(1),
            {"op": "append_document", "document_id": "d"},
            load_document=lambda _: docs.encrypted_pdf(),
        )


def test_stamp_writes_translucent_rotated_text_on_the_chosen_pages() -> None:
    result = _edit(
        docs.numbered_pdf(3, rotated={3: 90}),
        {
            "op": "stamp",
            "text": "CONFIDENTIAL",
            "pages": "1,3",
            "opacity": 0.25,
            "rotate": 45,
            "position": "center",
        },
    )
    doc = pymupdf.open(stream=result.pdf)
    assert ["CONFIDENTIAL" in page.get_text() for page in doc] == [True, False, True]
    for page_no in (0, 2):
        page = doc[page_no]
        line = next(
            ln
            for b in page.get_text("dict")["blocks"]
            for ln in b.get("lines", ())
            if "CONFIDENTIAL" in "".join(s["text"] for s in ln["spans"])
        )
        turn = pymupdf.Matrix(page.rotation_matrix)
        turn.e = turn.f = 0
        direction = pymupdf.Point(line["dir"]) * turn
        assert direction.x == pytest.approx(0.7071, abs=0.01) and direction.y == pytest.approx(
            -0.7071, abs=0.01
        )
        centre = pymupdf.Rect(line["bbox"]) * page.rotation_matrix
        assert abs((centre.x0 + centre.x1) / 2 - page.rect.width / 2) < 5
    objects = " ".join(doc.xref_object(x) for x in range(1, doc.xref_length()))
    assert "/ca .25" in objects and "/CA .25" in objects


def test_stamp_too_wide_for_the_page_is_shrunk_and_said() -> None:
    result = _edit(
        docs.numbered_pdf(1), {"op": "stamp", "text": "A VERY LONG WATERMARK TEXT", "font_size": 200}
    )
    assert "shrunk" in result.operations[0]["warnings"][0]


def test_set_metadata_reads_back() -> None:
    result = _edit(docs.numbered_pdf(1), {"op": "set_metadata", "title": "Contract", "keywords": "a, b"})
    meta = pymupdf.open(stream=result.pdf).metadata
    assert (
        meta["title"] == "Contract" and meta["keywords"] == "a, b" and meta["author"] == "Docjobs Test Suite"
    )


def test_scrub_removes_info_xmp_embedded_files_and_javascript() -> None:
    result = _edit(docs.scripted_pdf(), {"op": "scrub_metadata"}, {"op": "set_metadata", "title": "Clean"})
    doc = pymupdf.open(stream=result.pdf)
    assert {k: v for k, v in doc.metadata.items() if v and k not in ("format",)} == {"title": "Clean"}
    assert doc.get_xml_metadata() == "" and doc.embfile_count() == 0
    assert list(doc[0].annots(types=[pymupdf.PDF_ANNOT_FILE_ATTACHMENT])) == []
    objects = " ".join(doc.xref_object(x) for x in range(1, doc.xref_length()))
    assert "/S /JavaScript" not in objects and "/JS " not in objects and "/AA <<" not in objects
    assert result.operations[0]["removed"] == {"info": 3, "xmp": 1, "embedded_files": 2, "javascript": 5}
    assert result.verification.passed


def test_everything_together_in_order() -> None:
    result = _edit(
        docs.numbered_pdf(5),
        {"op": "delete_pages", "pages": "2,4"},
        {"op": "rotate_pages", "pages": "1", "degrees": 90},
        {"op": "reorder_pages", "order": [3, 1, 2]},
        {"op": "append_document", "document_id": "x"},
        {"op": "stamp", "text": "DRAFT", "position": "bottom"},
        {"op": "set_metadata", "title": "Packet"},
        load_document=lambda _: docs.numbered_pdf(2),
    )
    assert docs.page_markers(result.pdf) == [5, 1, 3, 1, 2]
    assert [p.rotation for p in pymupdf.open(stream=result.pdf)] == [0, 90, 0, 0, 0]
    assert result.pages == 5 and [r["op"] for r in result.operations] == [
        "delete_pages",
        "rotate_pages",
        "reorder_pages",
        "append_document",
        "stamp",
        "set_metadata",
    ]


def test_encrypted_input_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="encrypted"):
        _edit(docs.encrypted_pdf(), {"op": "scrub_metadata"})


def test_non_pdf_input_is_a_validation_error() -> None:
    with pytest.raises(InputValidationError, match=r"edit works on PDF documents and 'in\.pdf' is not a PDF"):
        _edit(b"%!PS-Adobe-3.0\n", {"op": "scrub_metadata"})


def test_a_broken_promise_of_ours_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulate a page operation that silently does nothing: the page count check catches it.
    monkeypatch.setattr(pymupdf.Document, "delete_pages", lambda self, *a, **k: None)
    with pytest.raises(DocjobsError) as caught:
        _edit(docs.numbered_pdf(3), {"op": "delete_pages", "pages": "1"})
    assert type(caught.value) is DocjobsError and caught.value.error_code == "INTERNAL_ERROR"
    assert "pages: 3 pages, the operations imply 2" in caught.value.message


def test_output_filename_defaults_to_the_input_name() -> None:
    options = parse_edit_options({"operations": [{"op": "scrub_metadata"}]})
    assert output_filename(options, "contract.PDF") == "contract_edited.pdf"
    named = parse_edit_options({"operations": [{"op": "scrub_metadata"}], "output_filename": "final"})
    assert output_filename(named, "contract.pdf") == "final.pdf"
    assert editor.default_output_filename("") == "document_edited.pdf"


def test_progress_is_reported_per_operation() -> None:
    seen: list[tuple[int, int]] = []
    _edit(
        docs.numbered_pdf(2),
        {"op": "scrub_metadata"},
        {"op": "stamp", "text": "X"},
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(1, 2), (2, 2)]
