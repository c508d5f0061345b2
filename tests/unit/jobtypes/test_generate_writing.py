"""The model half of generate with instructions: the input text within the budget, the prompt,
the Markdown answer (the real openai client against the local fake server)."""

from __future__ import annotations

import pymupdf
import pytest

from docjobs.core.errors import InputValidationError
from docjobs.engines.models import resolve_engine
from docjobs.jobtypes.generate.writing import input_text, write_markdown
from tests.fakes.openai_server import FakeOpenAI


def _pdf(pages: list[str]) -> bytes:
    document = pymupdf.open()
    for text in pages:
        document.new_page().insert_text((72, 72), text)
    return document.tobytes()


def test_the_input_text_stops_at_the_budget_and_says_so() -> None:
    pdf = _pdf([f"Page {n} " + "alpha beta gamma " * 20 for n in range(1, 11)])
    text, pages, truncated = input_text(pdf, "a.pdf", budget_tokens=100_000)
    assert (pages, truncated) == (10, False) and "Page 10" in text
    text, pages, truncated = input_text(pdf, "a.pdf", budget_tokens=300)
    assert truncated and 1 <= pages < 10 and "Page 1 " in text and "Page 10" not in text


def test_the_model_writes_markdown_from_the_document_and_the_instructions(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply({"markdown": "# Summary\n\nThe lease runs **three years**."})
    engine = resolve_engine("openai", None).engine
    assert engine is not None
    pdf = _pdf(["Lease agreement: term of three years, rent 900 EUR a month."])
    markdown, read = write_markdown(engine, "Summarise the lease in one line", pdf, "lease.pdf")
    assert markdown.startswith("# Summary") and read["pages_read"] == 1 and not read["truncated"]
    (request,) = fake_openai.requests
    user = request["messages"][-1]["content"]
    assert "Summarise the lease in one line" in user and "rent 900 EUR a month" in user


def test_a_document_without_text_is_a_validation_error(fake_openai: FakeOpenAI) -> None:
    engine = resolve_engine("openai", None).engine
    assert engine is not None
    with pytest.raises(InputValidationError, match="no text to write from"):
        write_markdown(engine, "Summarise", _pdf([""]), "scan.pdf")
    assert fake_openai.requests == []
