"""Cheap table detection against PyMuPDF's table finder run on every page (the table set)."""

from __future__ import annotations

import pymupdf
import pytest

from docjobs.engines.pdf.tables import candidate_regions, find_page_tables, table_to_markdown
from tests import sample_documents as samples


def _line_boxes(page: pymupdf.Page) -> list[tuple[float, float, float, float]]:
    blocks = page.get_text("dict")["blocks"]
    return [tuple(ln["bbox"]) for b in blocks for ln in b.get("lines", ())]


def _key(text: object) -> str:
    return "".join(ch for ch in str(text or "").casefold() if ch.isalnum())


@pytest.fixture(scope="module")
def table_set() -> pymupdf.Document:
    doc = pymupdf.open(stream=samples.table_set_pdf(), filetype="pdf")
    yield doc
    doc.close()


def test_every_table_of_the_full_finder_is_found_with_its_text(table_set: pymupdf.Document) -> None:
    reference = 0
    for page in table_set:
        full = [t for t in page.find_tables().tables if len(t.extract()) >= 2]
        cheap = find_page_tables(page, _line_boxes(page))
        assert len(cheap) == len(full), f"page {page.number + 1}"
        for expected, found in zip(full, cheap, strict=True):
            reference += 1
            assert pymupdf.Rect(expected.bbox) == pymupdf.Rect(found.bbox)
            assert len(found.rows) == len(expected.extract())
            got = _key("".join(c for row in found.rows for c in row))
            for row in expected.extract():
                for cell in row:
                    assert set(_key(cell)) <= set(got)
    assert reference == 5  # pages 1, 2, 4, 5, 6


def test_boxes_rules_and_shaded_code_blocks_never_reach_the_finder(table_set: pymupdf.Document) -> None:
    first, banded, unruled = table_set[0], table_set[1], table_set[2]
    # Page 1: the ruled table is a region, the framed note is not.
    regions = candidate_regions(first.get_cdrawings(), _line_boxes(first))
    assert len(regions) == 1 and regions[0][3] < 200
    # Page 2: the banded table is; the table with horizontal rules only (no columns) is not.
    assert len(candidate_regions(banded.get_cdrawings(), _line_boxes(banded))) == 1
    # Page 3: a shaded code block is one box: no region, and no table.
    assert candidate_regions(unruled.get_cdrawings(), _line_boxes(unruled)) == []
    assert find_page_tables(unruled, _line_boxes(unruled)) == []


def test_cells_keep_words_a_ruling_runs_through(table_set: pymupdf.Document) -> None:
    page = table_set[5]
    assert "nput size" in str(page.find_tables().tables[0].extract()[0][0])  # the finder cuts it
    (table,) = find_page_tables(page, _line_boxes(page))
    assert table.rows[0] == ["Input size", "64", "256"]


def test_a_table_continued_on_the_next_page_is_found_on_both(table_set: pymupdf.Document) -> None:
    first = find_page_tables(table_set[3], _line_boxes(table_set[3]))
    second = find_page_tables(table_set[4], _line_boxes(table_set[4]))
    assert [len(t.rows) for t in first + second] == [21, 13]
    assert first[0].rows[0] == second[0].rows[0] == ["Item", "Quantity", "Price"]
    assert second[0].rows[-1] == ["item-32", "96", "48.00"]


def test_table_to_markdown_pads_rows_and_escapes_pipes() -> None:
    assert table_to_markdown([["a", "b|c"], ["1"]]) == "| a | b\\|c |\n|---|---|\n| 1 |  |"


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_a_rotated_page_gives_the_same_tables(rotation: int) -> None:
    upright = pymupdf.open(stream=samples.table_set_pdf(), filetype="pdf")
    turned = pymupdf.open(stream=samples.table_set_pdf(), filetype="pdf")
    for number in (0, 5):
        turned[number].set_rotation(rotation)
        page = turned[number]
        expected = find_page_tables(upright[number], _line_boxes(upright[number]))
        found = find_page_tables(page, _line_boxes(page))
        assert [t.rows for t in found] == [t.rows for t in expected] != []
