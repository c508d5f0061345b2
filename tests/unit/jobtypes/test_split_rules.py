"""Rule strategies on generated PDFs with known answers; every part reopened and checked."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.split.materialize import part_outline
from docjobs.jobtypes.split.plan import SplitPlan, part_filename
from docjobs.jobtypes.split.rules import is_blank_page, plan_by_rules
from tests import split_documents as docs
from tests.sample_documents import large_pdf
from tests.unit.jobtypes.split_helpers import split_options, written_parts


def _plan(data: bytes, options: dict[str, object]) -> SplitPlan:
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        return plan_by_rules(doc, split_options(options))


def _spans(plan: SplitPlan) -> list[tuple[int, int]]:
    return [(s.first, s.last) for s in plan.segments]


def test_page_ranges_with_an_open_end(tmp_path: Path) -> None:
    data = docs.packet_pdf()
    plan = _plan(data, {"page_ranges": ["1-2", "3", "5-"]})
    assert _spans(plan) == [(1, 2), (3, 3), (5, 7)]
    assert plan.unassigned_pages == [4]
    assert [s.name for s in plan.segments] == ["pages 1-2", "page 3", "pages 5-7"]
    assert plan.segments[2].evidence == ["options.page_ranges[2] '5-'"]
    parts = written_parts(data, plan, tmp_path)
    assert [(p["filename"], p["pages"], p["first_text"]) for p in parts] == [
        ("packet_part1_pages-1-2.pdf", 2, "INVOICE"),
        ("packet_part2_page-3.pdf", 1, "Northwind Traders"),
        ("packet_part3_pages-5-7.pdf", 3, "SERVICE AGREEMENT"),
    ]
    assert not any(Path(str(p["path"])).exists() for p in parts)  # each part deleted after use


def test_ranges_keep_the_clients_order() -> None:
    plan = _plan(docs.packet_pdf(), {"page_ranges": ["5-7", "1-2"]})
    assert _spans(plan) == [(5, 7), (1, 2)]
    assert plan.unassigned_pages == [3, 4]


@pytest.mark.parametrize(
    ("ranges", "path", "message"),
    [
        (["1-2", "8-"], "options.page_ranges[1]", "'8-' starts after the last page: the document has 7"),
        (["1-2", "3-9"], "options.page_ranges[1]", "'3-9' ends after the last page"),
        (["12"], "options.page_ranges[0]", "'12' starts after the last page"),
    ],
)
def test_a_range_past_the_last_page_fails_naming_it(ranges: list[str], path: str, message: str) -> None:
    with pytest.raises(InputValidationError) as caught:
        _plan(docs.packet_pdf(), {"page_ranges": ranges})
    assert caught.value.message.startswith(path) and message in caught.value.message


def test_every_n_pages_keeps_the_remainder(tmp_path: Path) -> None:
    data = large_pdf(23)
    plan = _plan(data, {"every_n_pages": 10})
    assert _spans(plan) == [(1, 10), (11, 20), (21, 23)]
    parts = written_parts(data, plan, tmp_path, stem="big")
    assert [p["pages"] for p in parts] == [10, 10, 3]
    for part, first in zip(parts, (1, 11, 21), strict=True):
        assert f"Page {first} marker" in str(part["first_page"])


def test_outline_level_1_parts_carry_their_outline_and_inner_links(tmp_path: Path) -> None:
    data = docs.outline_pdf()
    plan = _plan(data, {"by_outline": {"level": 1}})
    assert _spans(plan) == [(2, 4), (5, 7), (8, 8)]
    assert [s.name for s in plan.segments] == [
        "Chapter 1 Basics",
        "Chapter 2 Operations",
        "Chapter 3 Appendix",
    ]
    assert plan.unassigned_pages == [1]  # the cover has no outline entry
    parts = written_parts(data, plan, tmp_path, stem="book")
    assert [(p["pages"], p["first_text"]) for p in parts] == [
        (3, "Chapter 1 Basics"),
        (3, "Chapter 2 Operations"),
        (1, "Chapter 3 Appendix"),
    ]
    assert parts[0]["filename"] == "book_part1_Chapter-1-Basics.pdf"
    assert parts[0]["toc"] == [[1, "Chapter 1 Basics", 1], [2, "1.1 Terms", 1], [2, "1.2 Setup", 2]]
    assert parts[1]["toc"] == [
        [1, "Chapter 2 Operations", 1],
        [2, "2.1 Daily work", 1],
        [2, "2.2 Incidents", 3],
    ]
    # Book page 2 linked to page 3 (inside chapter 1) and page 7 (outside): only the first stays,
    # pointing at the part's own page 2 (0-based 1). Book page 3's web link stays too.
    links = parts[0]["links"]
    assert links[0] == [(pymupdf.LINK_GOTO, 1, None)]
    assert links[1] == [(pymupdf.LINK_URI, None, "https://example.org/")]
    assert parts[0]["title"] == "Chapter 1 Basics"


def test_outline_level_2_stops_at_the_next_chapter(tmp_path: Path) -> None:
    data = docs.outline_pdf()
    plan = _plan(data, {"by_outline": {"level": 2}})
    assert _spans(plan) == [(2, 2), (3, 4), (5, 6), (7, 7)]
    assert [s.name for s in plan.segments] == ["1.1 Terms", "1.2 Setup", "2.1 Daily work", "2.2 Incidents"]
    assert plan.unassigned_pages == [1, 8]  # cover; chapter 3 has no sections
    parts = written_parts(data, plan, tmp_path, stem="book")
    assert [p["pages"] for p in parts] == [1, 2, 2, 1]
    for part, title in zip(parts, ["1.1 Terms", "1.2 Setup", "2.1 Daily work", "2.2 Incidents"], strict=True):
        assert title in str(part["first_page"])
    assert parts[1]["toc"] == [[1, "1.2 Setup", 1]]


def test_without_an_outline_by_outline_says_so() -> None:
    with pytest.raises(InputValidationError, match="has no outline"):
        _plan(docs.packet_pdf(), {"by_outline": {"level": 1}})


def test_a_missing_outline_level_names_the_levels_there_are() -> None:
    with pytest.raises(InputValidationError, match=r"no level-3 entries \(its levels are 1, 2\)"):
        _plan(docs.outline_pdf(), {"by_outline": {"level": 3}})


def test_blank_pages_separate_parts_and_are_dropped(tmp_path: Path) -> None:
    data = docs.packet_pdf()
    plan = _plan(data, {"by_separator": "blank_page"})
    assert _spans(plan) == [(1, 3), (5, 7)]
    assert plan.unassigned_pages == [4]
    assert plan.segments[1].evidence == ["blank page 4 before it"]
    parts = written_parts(data, plan, tmp_path)
    assert [(p["pages"], p["first_text"]) for p in parts] == [(3, "INVOICE"), (3, "SERVICE AGREEMENT")]


def test_what_counts_as_blank() -> None:
    doc = pymupdf.open()
    doc.new_page()  # nothing at all
    white = doc.new_page()
    white.draw_rect(white.rect, color=None, fill=(1, 1, 1))  # a painted white background
    line = doc.new_page()
    line.draw_line((72, 72), (300, 72))  # a drawing
    image = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 8, 8), False)
    pix.clear_with(0)
    image.insert_image(pymupdf.Rect(72, 72, 144, 144), pixmap=pix)
    spaces = doc.new_page()
    spaces.insert_text((72, 72), "   ")
    text = doc.new_page()
    text.insert_text((72, 72), ".")
    assert [is_blank_page(page) for page in doc] == [True, True, False, False, True, False]
    # Leading and trailing separators are dropped too; consecutive ones make no empty part.
    data = doc.tobytes()
    plan = _plan(data, {"by_separator": "blank_page"})
    assert _spans(plan) == [(3, 4), (6, 6)]
    assert plan.unassigned_pages == [1, 2, 5]


def test_part_outline_lifts_entries_whose_parent_is_outside() -> None:
    outline = [(1, "Chapter", 1), (2, "Section", 3), (3, "Sub", 4), (1, "Next", 6)]
    assert part_outline(outline, 3, 5) == [[1, "Section", 1], [2, "Sub", 2]]
    assert part_outline(outline, 4, 5) == [[1, "Sub", 1]]
    assert part_outline(outline, 2, 2) == []


def test_part_filenames_are_safe() -> None:
    assert (
        part_filename("Q3 report (final)", 2, "Über/../etc: 1.1")
        == "Q3-report-final_part2_Uber-..-etc-1.1.pdf"
    )
    assert part_filename("packet", 1, "???") == "packet_part1_part.pdf"


def test_a_document_that_is_not_a_pdf_is_converted_before_parts_are_written(tmp_path: Path) -> None:
    from docjobs.jobtypes.split.materialize import as_pdf, iter_parts

    text = "\n".join(f"Line {n} of a long plain text file." for n in range(1, 400)).encode()
    with pymupdf.open(stream=text, filetype="txt") as doc:
        assert not doc.is_pdf and doc.page_count > 2
        plan = plan_by_rules(doc, split_options({"every_n_pages": 2}))
        pdf = as_pdf(doc)
        try:
            parts = [(p.filename, p.pages) for p in iter_parts(pdf, plan, stem="notes", directory=tmp_path)]
        finally:
            pdf.close()
    assert parts[0] == ("notes_part1_pages-1-2.pdf", 2)
    assert sum(pages for _, pages in parts) == plan.pages
