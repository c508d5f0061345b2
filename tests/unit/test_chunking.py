"""Behaviour of docjobs.engines.chunking (pure Python: pages are built by hand or parsed samples)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from docjobs.engines.chunking import Chunk, ChunkingOptions, chunk_pages, count_tokens
from docjobs.engines.pdf import ParsedPage


def page(number: int, text: str) -> ParsedPage:
    return ParsedPage(page=number, text=text, char_count=len(text))


def sentences(prefix: str, count: int) -> str:
    return " ".join(f"{prefix} sentence number {i} talks about the quarterly numbers." for i in range(count))


def chunks(pages: list[ParsedPage], **options: object) -> list[Chunk]:
    return list(chunk_pages(pages, ChunkingOptions.model_validate(options)))


DOC = [
    page(1, f"# Report\n\n## Intro\n\n{sentences('Intro', 3)}\n\n## Costs\n\n{sentences('Costs', 40)}"),
    page(2, f"{sentences('More costs', 10)}\n\n# Appendix\n\n### Notes\n\n{sentences('Notes', 2)}"),
]


def test_count_tokens_is_a_deterministic_word_and_punctuation_approximation() -> None:
    assert count_tokens("") == 0
    assert count_tokens("Hello, world!") == 4
    assert count_tokens("internationalization") == 4  # 20 letters -> 4 pieces of <= 6
    assert count_tokens("1234567") == 3  # digits in groups of 3
    assert count_tokens("a b") == count_tokens("a") + count_tokens("b")


def test_same_input_gives_the_same_chunks_and_ids() -> None:
    first = chunks(DOC, target_tokens=128, overlap_tokens=16)
    second = chunks(DOC, target_tokens=128, overlap_tokens=16)
    assert first == second
    assert len({c.id for c in first}) == len(first)
    assert all(len(c.id) == 16 and int(c.id, 16) >= 0 for c in first)


def test_chunk_fields_are_consistent() -> None:
    result = chunks(DOC, target_tokens=128, overlap_tokens=16)
    assert [c.index for c in result] == list(range(len(result)))
    for chunk in result:
        assert chunk.char_count == len(chunk.text)
        assert chunk.token_count == count_tokens(chunk.text)
        assert 1 <= chunk.page_start <= chunk.page_end <= 2


def test_heading_strategy_starts_a_chunk_at_every_heading_with_its_path() -> None:
    result = chunks(DOC, target_tokens=2048, overlap_tokens=0)
    assert [c.heading_path for c in result] == [
        ["Report", "Intro"],
        ["Report", "Costs"],
        ["Appendix", "Notes"],
    ]
    assert result[0].text.startswith("# Report\n\n## Intro\n\nIntro sentence number 0")
    assert result[1].text.startswith("## Costs\n\n")
    assert (result[1].page_start, result[1].page_end) == (1, 2)
    assert result[2].text.startswith("# Appendix\n\n### Notes\n\n")


def test_chunks_respect_the_target_size() -> None:
    result = chunks(DOC, target_tokens=64, overlap_tokens=8)
    assert len(result) > 5
    assert all(c.token_count <= 64 for c in result)


def test_long_sections_split_at_sentence_boundaries_with_overlap() -> None:
    result = chunks(DOC, target_tokens=64, overlap_tokens=16)
    costs = [c for c in result if c.heading_path == ["Report", "Costs"]]
    assert len(costs) > 2
    for previous, current in itertools.pairwise(costs):
        last_sentence = previous.text.rsplit(". ", 1)[-1]
        assert last_sentence.endswith(".")
        assert current.text.startswith(last_sentence)  # the overlap repeats the tail
        assert count_tokens(last_sentence) <= 16


def test_no_overlap_when_overlap_is_zero() -> None:
    result = chunks(DOC, target_tokens=64, overlap_tokens=0)
    joined = " ".join(c.text for c in result)
    assert joined.count("Costs sentence number 7 ") == 1


def test_overlap_does_not_cross_headings() -> None:
    result = chunks(DOC, target_tokens=64, overlap_tokens=16)
    appendix = next(c for c in result if c.heading_path[0] == "Appendix")
    assert appendix.text.startswith("# Appendix")


def test_size_strategy_ignores_headings_for_boundaries_but_records_the_path() -> None:
    result = chunks(DOC, strategy="size", target_tokens=2048, overlap_tokens=0)
    assert len(result) == 1
    assert result[0].heading_path == ["Report", "Intro"]
    assert "## Costs" in result[0].text and "# Appendix" in result[0].text


def test_size_strategy_does_not_end_a_chunk_with_a_heading() -> None:
    result = chunks(DOC, strategy="size", target_tokens=64, overlap_tokens=0)
    assert all(not c.text.rstrip().splitlines()[-1].startswith("#") for c in result)
    assert all(c.token_count <= 64 for c in result)


def test_table_rows_are_never_split_and_continuations_repeat_the_header() -> None:
    header = "| Region | Revenue | Growth |\n|---|---|---|"
    rows = "\n".join(f"| Region {i} with a fairly long name | {1000 + i} | {i}% |" for i in range(30))
    result = chunks([page(1, f"## Table\n\n{header}\n{rows}")], target_tokens=96, overlap_tokens=16)
    assert len(result) > 2
    seen: list[str] = []
    for chunk in result:
        lines = chunk.text.splitlines()
        table_lines = [ln for ln in lines if ln.startswith("|")]
        assert all(ln.endswith("|") for ln in table_lines)
        assert "| Region | Revenue | Growth |" in table_lines[0]
        seen.extend(ln for ln in table_lines[2:])
    assert seen == rows.splitlines()


def test_a_sentence_longer_than_the_target_is_split_by_words() -> None:
    words = " ".join(f"word{i}" for i in range(400))
    result = chunks([page(1, words)], target_tokens=64, overlap_tokens=0)
    assert all(c.token_count <= 64 for c in result)
    assert " ".join(c.text for c in result) == words


def test_empty_pages_produce_nothing_and_empty_documents_no_chunks() -> None:
    assert chunks([page(1, ""), page(2, "   \n\n ")]) == []
    result = chunks([page(1, ""), page(2, "Only text here."), page(3, "")])
    assert [(c.page_start, c.text) for c in result] == [(2, "Only text here.")]


def test_pages_are_consumed_lazily() -> None:
    consumed: list[int] = []

    def pages() -> Iterator[ParsedPage]:
        for n in range(1, 1000):
            consumed.append(n)
            yield page(n, f"# Part {n}\n\n{sentences(str(n), 2)}")

    first = next(chunk_pages(pages(), ChunkingOptions()))
    assert first.heading_path == ["Part 1"]
    assert len(consumed) <= 3


def test_default_options() -> None:
    assert ChunkingOptions() == ChunkingOptions(strategy="heading", target_tokens=512, overlap_tokens=64)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"target_tokens": 100, "overlap_tokens": 100},
            "overlap_tokens (100) must be smaller than target_tokens (100)",
        ),
        ({"target_tokens": 10}, "greater than or equal to 64"),
        ({"target_tokens": 10000}, "less than or equal to 8192"),
        ({"overlap_tokens": -1}, "greater than or equal to 0"),
        ({"strategy": "pages"}, "Input should be 'heading' or 'size'"),
        ({"target": 100}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_options_are_rejected_with_a_clear_message(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ChunkingOptions.model_validate(options)


def test_chunks_follow_sections_and_empty_sections_keep_their_heading() -> None:
    from docjobs.engines.pdf import iter_pages, open_document
    from tests import sample_documents as samples

    with open_document(samples.manual_pdf(), filename="manual.pdf") as doc:
        chunks = list(chunk_pages(iter_pages(doc)))
    paths = [c.heading_path for c in chunks]
    for title in [
        "1.1 Installing",
        "1.2 Configuring",
        "2.1 Empty section",
        "2.2 Next section",
        "3 Reference",
    ]:
        assert any(title in path for path in paths), title
    assert ["2 Using", "2.1 Empty section"] in paths and ["2 Using", "2.2 Next section"] in paths
    # The contents page's entries are not retrieval text; its heading is kept.
    assert not any("......" in c.text for c in chunks)
    assert chunks[0].heading_path == ["Contents"]
    # Body text escaped by the parser never becomes a heading.
    assert not any("This file was automatically generated" in h for path in paths for h in path)


def test_token_count_is_counted_once_and_matches_the_text() -> None:
    pages = [page(1, "# Title\n\n" + " ".join(f"Sentence {i} is here." for i in range(300)))]
    for chunk in chunk_pages(pages, ChunkingOptions(target_tokens=128, overlap_tokens=16)):
        assert chunk.token_count == count_tokens(chunk.text)
