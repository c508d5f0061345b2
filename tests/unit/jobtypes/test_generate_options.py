"""generate options: what is refused at submission, with the option path and the reason."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.generate.options import (
    MAX_DATA_BYTES,
    GenerateOptions,
    check_output_format,
    template_document_id,
)


def _errors(options: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        GenerateOptions.model_validate(options)
    return [{"loc": list(e["loc"]), "msg": e["msg"], "ctx": e.get("ctx", {})} for e in caught.value.errors()]


def test_defaults_are_pdf_a4_strict() -> None:
    options = GenerateOptions.model_validate({"template": {"html": "<p>{{ x }}</p>"}, "data": {"x": 1}})
    assert options.output.format == "pdf"
    assert options.output.page_size == "A4"
    assert options.strict is True
    assert options.inspect is False


def test_inline_template_syntax_error_names_the_line_and_the_message() -> None:
    source = "<h1>{{ title }}</h1>\n<p>ok</p>\n{% for x in items %}\n<p>{{ x }</p>\n"
    (error,) = _errors({"template": {"html": source}})
    assert error["loc"] == ["template", "html"]
    assert error["ctx"]["line"] == 4
    assert "line 4" in error["msg"]
    assert "unexpected '}'" in error["msg"]


def test_unclosed_block_is_a_syntax_error_at_submission() -> None:
    (error,) = _errors({"template": {"markdown": "# {{ t }}\n{% if x %}\nyes\n"}})
    assert error["loc"] == ["template", "markdown"]
    assert "endif" in error["msg"]


@pytest.mark.parametrize(
    "source",
    [
        "{% include 'footer.html' %}",
        "{% import 'macros.html' as m %}",
        "{% extends 'base.html' %}",
        "{% from 'x.html' import y %}",
    ],
)
def test_tags_that_load_other_templates_are_refused_with_their_line(source: str) -> None:
    (error,) = _errors({"template": {"html": "<p>hi</p>\n" + source}})
    assert error["ctx"]["line"] == 2
    assert "cannot load other templates" in error["msg"]


def test_template_needs_exactly_one_source() -> None:
    (error,) = _errors({"template": {"html": "a", "markdown": "b"}})
    assert error["loc"] == ["template"]
    assert "exactly one of html, markdown or document_id" in error["msg"]
    (error,) = _errors({"template": {}})
    assert "exactly one" in error["msg"]


def test_data_over_one_megabyte_is_refused() -> None:
    big = {"blob": "x" * MAX_DATA_BYTES}
    (error,) = _errors({"template": {"html": "{{ blob }}"}, "data": big})
    assert error["loc"] == ["data"]
    assert "limit is 1 MB" in error["msg"]


def test_data_and_data_from_job_are_exclusive() -> None:
    (error,) = _errors({"template": {"html": "x"}, "data": {}, "data_from_job": "job_1"})
    assert "data or data_from_job, not both" in error["msg"]


@pytest.mark.parametrize(
    ("template", "output_format", "reason"),
    [
        ({"html": "x"}, "md", "cannot produce Markdown"),
        ({"html": "x"}, "docx", "needs a .docx template"),
        ({"markdown": "x"}, "docx", "needs a .docx template"),
    ],
)
def test_output_format_the_inline_template_cannot_produce_is_refused(
    template: dict[str, str], output_format: str, reason: str
) -> None:
    (error,) = _errors({"template": template, "output": {"format": output_format}})
    assert error["loc"] == ["output"]
    assert reason in error["msg"]


def test_docx_to_pdf_is_refused_saying_why() -> None:
    with pytest.raises(InputValidationError) as caught:
        check_output_format("docx", "pdf")
    assert "office suite" in caught.value.message
    assert caught.value.message.startswith("options.output.format")


def test_markdown_template_can_produce_md_html_and_pdf() -> None:
    for fmt in ("md", "html", "pdf"):
        GenerateOptions.model_validate({"template": {"markdown": "# x"}, "output": {"format": fmt}})


@pytest.mark.parametrize("filename", ["../x.pdf", "a/b.pdf", "..", " ", "x" * 201, "bad\nname"])
def test_unsafe_output_filenames_are_refused(filename: str) -> None:
    (error,) = _errors({"template": {"html": "x"}, "output": {"filename": filename}})
    assert error["loc"][:2] == ["output", "filename"]


def test_unknown_options_are_refused() -> None:
    (error,) = _errors({"template": {"html": "x"}, "colour": "red"})
    assert error["loc"] == ["colour"]


def test_instructions_without_a_template_make_the_written_markdown_the_document() -> None:
    options = GenerateOptions.model_validate({"instructions": "Summarise the contract", "engine": "openai"})
    assert options.template is None and options.engine == "openai"
    assert template_document_id(options, "doc_input") is None  # the document is the input
    assert template_document_id(options, None) is None


def test_instructions_without_a_template_cannot_produce_docx() -> None:
    (error,) = _errors({"instructions": "Summarise", "output": {"format": "docx"}})
    assert "DOCX output needs a .docx template" in error["msg"]


def test_inspect_takes_no_instructions() -> None:
    (error,) = _errors({"template": {"html": "x"}, "instructions": "Summarise", "inspect": True})
    assert "leave out instructions" in error["msg"]


def test_engine_and_model_without_instructions_are_refused() -> None:
    (error,) = _errors({"template": {"html": "x"}, "engine": "openai", "model": "m"})
    assert "give instructions" in error["msg"]


def test_the_template_may_be_the_jobs_document() -> None:
    options = GenerateOptions.model_validate({"data": {"a": 1}})
    assert template_document_id(options, "doc_tpl") == "doc_tpl"


def test_a_job_without_any_template_is_refused() -> None:
    options = GenerateOptions.model_validate({"data": {"a": 1}})
    with pytest.raises(InputValidationError, match="needs a template"):
        template_document_id(options, None)


def test_a_document_id_next_to_an_inline_template_is_refused_without_instructions() -> None:
    options = GenerateOptions.model_validate({"template": {"html": "x"}})
    with pytest.raises(InputValidationError, match=r"only as the input of options\.instructions"):
        template_document_id(options, "doc_1")
    assert template_document_id(options, None) is None
    by_id = GenerateOptions.model_validate({"template": {"document_id": "doc_tpl"}})
    assert template_document_id(by_id, None) == "doc_tpl"
