"""The categories strategy: the rules engine and a stubbed model engine on the generated packet."""

from __future__ import annotations

import gc
import json
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from docjobs.core.errors import InputValidationError
from docjobs.engines.models import ModelInputTooLongError
from docjobs.jobtypes.split.categories import plan_by_categories
from docjobs.jobtypes.split.classify_model import ModelAnswerInvalidError, answer_problems
from docjobs.jobtypes.split.cues import PageText, label_resets, page_cues
from docjobs.jobtypes.split.plan import SplitPlan
from tests import split_documents as docs
from tests.unit.jobtypes.split_helpers import parsed_pages, split_options, stream_pages, written_parts


def _options(**extra: object) -> Any:
    return split_options({"categories": docs.PACKET_CATEGORIES, **extra})


def _spans(plan: SplitPlan) -> list[tuple[str, int, int]]:
    return [(s.name, s.first, s.last) for s in plan.segments]


# ------------------------------------------------------------------------------- rules engine


def test_rules_engine_splits_the_packet_into_its_three_documents(tmp_path: Path) -> None:
    data = docs.packet_pdf()
    plan = plan_by_categories(stream_pages(data), 7, _options())
    assert _spans(plan) == docs.PACKET_DOCUMENTS
    assert plan.unassigned_pages == [docs.PACKET_BLANK_PAGE]
    assert (plan.engine, plan.model, plan.usage.input_tokens) == ("rules", None, 0)
    invoice, letter, contract = plan.segments
    assert "'Page 1 of 2' footer" in invoice.evidence[0] and "title heading 'INVOICE'" in invoice.evidence[0]
    assert "'invoice' (heading)" in invoice.evidence[1]
    assert letter.evidence[0] == "page 3: page 2 ended its document ('Page 2 of 2')"
    assert "'dear'" in letter.evidence[1] and "'sincerely'" in letter.evidence[1]
    assert contract.evidence[0] == "page 5: title heading 'SERVICE AGREEMENT' at the top after a blank page"
    assert all(0.7 <= s.confidence <= 1.0 for s in plan.segments)
    parts = written_parts(data, plan, tmp_path)
    assert [(p["filename"], p["pages"], p["first_text"]) for p in parts] == [
        ("packet_part1_invoice.pdf", 2, docs.PACKET_FIRST_TEXT["invoice"]),
        ("packet_part2_letter.pdf", 1, docs.PACKET_FIRST_TEXT["letter"]),
        ("packet_part3_contract.pdf", 3, docs.PACKET_FIRST_TEXT["contract"]),
    ]


def test_two_documents_of_one_category_stay_two_parts() -> None:
    # Two invoices back to back: "Page 1 of 2" on page 3 starts the second one.
    pages = parsed_pages(docs.packet_pdf())[:2]
    again = [PageText(page=p.page + 2, text=p.text, headings=p.headings) for p in pages]
    plan = plan_by_categories(iter(pages + again), 4, _options())
    assert _spans(plan) == [("invoice", 1, 2), ("invoice", 3, 4)]
    assert plan.segments[1].evidence[0] == "page 3: 'Page 1 of 2' footer"


def test_a_page_matching_nothing_continues_the_document_it_is_in() -> None:
    pages = parsed_pages(docs.packet_pdf())
    filler = PageText(page=6, text="Schedule A lists the warehouses in Hull, York and Leeds.")
    stream = [*pages[:5], filler, PageText(page=7, text=pages[6].text, headings=pages[6].headings)]
    plan = plan_by_categories(iter(stream), 7, _options())
    assert _spans(plan)[-1] == ("contract", 5, 7)


def test_pages_matching_no_category_are_uncategorized_or_fail_the_job() -> None:
    pages = [PageText(page=1, text="Minutes of the garden club: roses, tulips and compost.")]
    pages += parsed_pages(docs.packet_pdf())[2:3]  # the letter, as page 2
    pages[1] = PageText(page=2, text=pages[1].text)
    plan = plan_by_categories(iter(pages), 2, _options())
    assert _spans(plan) == [("uncategorized", 1, 1), ("letter", 2, 2)]
    assert "no category" in plan.segments[0].evidence[-1]
    with pytest.raises(InputValidationError, match="pages 1 match no category"):
        plan_by_categories(iter(pages), 2, _options(allow_uncategorized=False))


def test_a_stray_keyword_does_not_name_a_document() -> None:
    # Only "invoice" is a category: the contract mentions an invoice once, in its body.
    options = split_options({"categories": [{"name": "invoice", "keywords": ["invoice"]}]})
    plan = plan_by_categories(stream_pages(docs.packet_pdf()), 7, options)
    assert _spans(plan) == [("invoice", 1, 2), ("uncategorized", 3, 3), ("uncategorized", 5, 7)]
    assert plan.segments[2].evidence[1] == "no category matched enough (best: invoice, 1.00 < 2.0)"


def test_a_page_label_reset_starts_a_document() -> None:
    data = docs.labelled_pdf()
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        resets = label_resets(doc)
    assert resets == {4: "1"}
    options = split_options(
        {"categories": [{"name": "memo", "keywords": ["memorandum"]}, {"name": "report"}]}
    )
    plan = plan_by_categories(stream_pages(data), 6, options, label_resets=resets)
    assert _spans(plan) == [("memo", 1, 3), ("report", 4, 6)]
    assert plan.segments[1].evidence[0] == "page 4: page label restarts at '1'"


def test_roman_front_matter_is_not_a_reset() -> None:
    doc = pymupdf.open()
    for _ in range(4):
        doc.new_page()
    doc.set_page_labels(
        [
            {"startpage": 0, "prefix": "", "style": "r", "firstpagenum": 1},
            {"startpage": 2, "prefix": "", "style": "D", "firstpagenum": 1},
        ]
    )
    assert label_resets(doc) == {}
    doc.set_page_labels(
        [
            {"startpage": 0, "prefix": "A-", "style": "D", "firstpagenum": 1},
            {"startpage": 2, "prefix": "B-", "style": "D", "firstpagenum": 3},
        ]
    )
    assert label_resets(doc) == {3: "B-3"}


@pytest.mark.parametrize(
    ("text", "page_of", "title"),
    [
        ("# INVOICE\n\nitems\n\nPage 1 of 2", (1, 2), "INVOICE"),
        ("Contoso Ltd\n\n# Purchase Order\n\nbody\n\nSeite 2 von 3", (2, 3), "Purchase Order"),
        ("## 2. Fees and payment\n\nThe client shall pay.", None, None),
        ("CREDIT NOTE\n\nReference 12", None, "CREDIT NOTE"),
        ("A long opening paragraph " * 10 + "\n\n# Late heading", None, None),
        ("page 3 of 2 is not a footer", None, None),
    ],
)
def test_boundary_cues(text: str, page_of: tuple[int, int] | None, title: str | None) -> None:
    cues = page_cues(PageText(page=1, text=text))
    assert (cues.page_of, cues.title) == (page_of, title)


def test_classification_holds_one_page_at_a_time() -> None:
    """2,000 pages stream through; the classifier keeps no page (weak references die)."""
    alive: list[weakref.ref[PageText]] = []
    most_alive = 0
    invoice = parsed_pages(docs.packet_pdf())[0]

    def pages() -> Iterator[PageText]:
        nonlocal most_alive
        for number in range(1, 2001):
            page = PageText(page=number, text=invoice.text.replace("Page 1 of 2", f"Page {number} of 2000"))
            alive.append(weakref.ref(page))
            yield page
            del page
            if number % 100 == 0:
                gc.collect()
                most_alive = max(most_alive, sum(1 for ref in alive if ref() is not None))

    plan = plan_by_categories(pages(), 2000, _options())
    assert _spans(plan) == [("invoice", 1, 2000)]
    assert most_alive <= 2


def test_the_page_stream_must_match_the_page_count() -> None:
    with pytest.raises(Exception, match="has 7 page"):
        plan_by_categories(stream_pages(docs.packet_pdf()), 8, _options())


# ------------------------------------------------------------------------- stubbed model engine


@dataclass
class StubUsage:
    input_tokens: int
    output_tokens: int


@dataclass
class StubModel:
    """Implements the model engine seam's protocol; answers from a script, records the prompts."""

    answers: list[dict[str, Any]]
    name: str = "openai"
    model: str = "stub-1"
    max_input_tokens: int = 6000
    calls: list[dict[str, Any]] = field(default_factory=list)

    def complete_json(
        self, system: str, user: str, schema: Mapping[str, Any]
    ) -> tuple[dict[str, Any], StubUsage]:
        self.calls.append({"system": system, "user": user, "schema": schema})
        return self.answers.pop(0), StubUsage(input_tokens=len(user) // 4, output_tokens=50)


def _entries(*rows: tuple[int, str, str]) -> dict[str, Any]:
    return {
        "pages": [
            {
                "page": page,
                "category": category,
                "tag": tag,
                "confidence": 0.9,
                "reason": f"{category} starts",
            }
            for page, category, tag in rows
        ]
    }


PACKET_ANSWER = _entries(
    (1, "invoice", "start"),
    (2, "invoice", "continue"),
    (3, "letter", "start"),
    (5, "contract", "start"),
    (6, "contract", "continue"),
    (7, "contract", "continue"),
)


def test_model_engine_gets_pages_with_tags_and_cues_and_its_answer_builds_the_parts(tmp_path: Path) -> None:
    data = docs.packet_pdf()
    model = StubModel(answers=[json.loads(json.dumps(PACKET_ANSWER))])
    plan = plan_by_categories(stream_pages(data), 7, _options(), engine=model)
    assert _spans(plan) == docs.PACKET_DOCUMENTS
    assert plan.unassigned_pages == [4]
    assert (plan.engine, plan.model) == ("openai", "stub-1")
    assert plan.usage.output_tokens == 50 and plan.usage.input_tokens > 0
    (call,) = model.calls
    assert "- invoice: A bill from a supplier" in call["system"] and "'start'" in call["system"]
    assert (
        "<page number=\"1\" hints=\"'Page 1 of 2' footer; title heading 'INVOICE' at the top\">"
        in call["user"]
    )
    assert '<page number="4"' not in call["user"]  # blank pages are not sent
    assert call["schema"]["properties"]["pages"]["items"]["properties"]["page"]["enum"] == [1, 2, 3, 5, 6, 7]
    assert plan.segments[2].evidence[0].startswith("page 5: openai model: contract starts")
    assert plan.segments[0].confidence == pytest.approx(0.9)
    parts = written_parts(data, plan, tmp_path)
    assert [(p["pages"], p["first_text"]) for p in parts] == [
        (2, "INVOICE"),
        (1, "Northwind Traders"),
        (3, "SERVICE AGREEMENT"),
    ]


def test_a_model_answer_that_skips_a_page_is_asked_again_with_the_problem() -> None:
    skipping = _entries(
        (1, "invoice", "start"),
        (3, "letter", "start"),
        (5, "contract", "start"),
        (6, "contract", "continue"),
        (7, "contract", "continue"),
    )
    model = StubModel(answers=[skipping, json.loads(json.dumps(PACKET_ANSWER))])
    plan = plan_by_categories(stream_pages(docs.packet_pdf()), 7, _options(), engine=model)
    assert _spans(plan) == docs.PACKET_DOCUMENTS
    assert len(model.calls) == 2
    assert "page 2 has no entry: every page needs exactly one" in model.calls[1]["user"]
    assert plan.usage.output_tokens == 100  # both calls are counted


def test_a_model_that_skips_a_page_twice_fails_the_job_naming_it() -> None:
    skipping = _entries((1, "invoice", "start"), (3, "letter", "start"), (5, "contract", "start"))
    model = StubModel(answers=[skipping, skipping])
    with pytest.raises(ModelAnswerInvalidError) as caught:
        plan_by_categories(stream_pages(docs.packet_pdf()), 7, _options(), engine=model)
    assert caught.value.error_code == "VALIDATION_ERROR"
    assert "pages 2, 6-7 have no entry" in caught.value.message


def test_answer_check_catches_every_kind_of_wrong_assignment() -> None:
    pages, names = [1, 2, 3], ["invoice", "letter"]
    answer = {
        "pages": [
            {"page": 1, "category": "invoice", "tag": "start"},
            {"page": 1, "category": "invoice", "tag": "continue"},
            {"page": 9, "category": "invoice", "tag": "start"},
            {"page": 2, "category": "memo", "tag": "start"},
            {"page": 3, "category": "letter", "tag": "maybe"},
        ]
    }
    problems, _ = answer_problems(answer, pages, names)
    assert problems == [
        "/pages/1/page: page 1 is assigned twice (also /pages/0)",
        "/pages/2/page: page 9 was not asked about (pages: 1-3)",
        "/pages/3/category: 'memo' is not one of ['invoice', 'letter', 'uncategorized']",
        "/pages/4/tag: must be 'start' or 'continue', not 'maybe'",
    ]
    problems, _ = answer_problems({"pages": answer["pages"][:1]}, pages, names)
    assert problems == ["pages 2-3 have no entry: every page needs exactly one"]
    assert answer_problems([], pages, names)[0] == [
        'the answer must be an object {"pages": [...]} with one entry per page'
    ]


def test_long_packets_go_to_the_model_in_windows_that_carry_the_previous_page() -> None:
    invoice = parsed_pages(docs.packet_pdf())[0]
    pages = [PageText(page=n, text=invoice.text + " filler" * 400) for n in range(1, 46)]
    answers = []
    for window in ([*range(1, 21)], [*range(21, 41)], [*range(41, 46)]):
        answers.append(_entries(*[(n, "invoice", "start" if n == 1 else "continue") for n in window]))
    model = StubModel(answers=answers, max_input_tokens=200_000)
    plan = plan_by_categories(iter(pages), 45, _options(), engine=model)
    assert _spans(plan) == [("invoice", 1, 45)]
    assert len(model.calls) == 3
    assert "The page before this window (page 20) was classified 'invoice'" in model.calls[1]["user"]
    assert "characters left out" in model.calls[0]["user"]  # long pages are excerpted, and say so


@dataclass
class SmallContextModel(StubModel):
    """A server whose real context is smaller than the configured budget: more than 3 pages in a
    prompt is refused as too long, as the seam's engines report it."""

    refused: int = 0

    def complete_json(
        self, system: str, user: str, schema: Mapping[str, Any]
    ) -> tuple[dict[str, Any], StubUsage]:
        if user.count("<page number=") > 3:
            self.refused += 1
            raise ModelInputTooLongError("maximum context length exceeded")
        return super().complete_json(system, user, schema)


def test_a_window_the_model_refuses_as_too_long_is_asked_in_halves() -> None:
    model = SmallContextModel(
        answers=[
            _entries((1, "invoice", "start"), (2, "invoice", "continue"), (3, "letter", "start")),
            _entries((5, "contract", "start"), (6, "contract", "continue"), (7, "contract", "continue")),
        ]
    )
    plan = plan_by_categories(stream_pages(docs.packet_pdf()), 7, _options(), engine=model)
    assert _spans(plan) == docs.PACKET_DOCUMENTS
    assert model.refused == 1 and len(model.calls) == 2
    assert "The first page below is the first page of the stack" in model.calls[0]["user"]
    assert "The page before this window (page 3) was classified 'letter'" in model.calls[1]["user"]


def test_a_single_page_refused_as_too_long_fails_the_job() -> None:
    class Tiny(StubModel):
        def complete_json(
            self, system: str, user: str, schema: Mapping[str, Any]
        ) -> tuple[dict[str, Any], StubUsage]:
            raise ModelInputTooLongError("maximum context length exceeded")

    with pytest.raises(ModelInputTooLongError):
        plan_by_categories(stream_pages(docs.packet_pdf()), 7, _options(), engine=Tiny(answers=[]))
