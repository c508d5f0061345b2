"""generate over HTTP against ``make run``'s local stack: a template plus JSON becomes a PDF, an
HTML page, a Markdown file and a filled Word document, each downloaded from its result URL."""

from __future__ import annotations

import io
import urllib.request

import pymupdf
import pytest

from tests.e2e.test_local_api import upload, wait
from tests.unit.jobtypes import generate_samples as samples

pytestmark = pytest.mark.e2e


def _generate(api, body: dict) -> tuple[dict, bytes]:
    status, job, _ = api.request("POST", "/api/jobs", key=api.key, body={"type": "generate", **body})
    assert status == 202, job
    job = wait(api, api.key, job["id"])
    assert job["status"] == "completed", job
    with urllib.request.urlopen(job["result"]["url"], timeout=30) as response:
        return job["result"], response.read()


def test_a_template_and_json_become_pdf_html_markdown_and_docx(local_api) -> None:
    data = samples.invoice_data(5)
    result, pdf = _generate(
        local_api, {"options": {"template": {"html": samples.INVOICE_HTML}, "data": data}}
    )
    assert result["format"] == "pdf" and result["bytes"] == len(pdf)
    with pymupdf.open("pdf", pdf) as document:
        assert document.page_count == result["pages"] == 1
        assert f"Total due: {samples.invoice_total(data):.2f} EUR" in document[0].get_text()

    result, html = _generate(
        local_api,
        {"options": {"template": {"html": samples.INVOICE_HTML}, "data": data, "output": {"format": "html"}}},
    )
    assert result["filename"] == "generated.html"
    assert "Müller &amp; Söhne GmbH" in html.decode("utf-8")

    result, markdown = _generate(
        local_api,
        {
            "options": {
                "template": {"markdown": samples.REPORT_MARKDOWN},
                "data": samples.REPORT_DATA,
                "output": {"format": "md", "filename": "q3"},
            }
        },
    )
    assert result["filename"] == "q3.md"
    assert "| West | 2,310,900 | 9.8% |" in markdown.decode("utf-8")

    template_id = upload(local_api, local_api.key, samples.docx_offer_template(), "offer.docx")
    result, docx_bytes = _generate(
        local_api,
        {"document_id": template_id, "options": {"data": samples.OFFER_DATA, "output": {"format": "docx"}}},
    )
    import docx

    assert result["filename"] == "offer.docx"
    filled = docx.Document(io.BytesIO(docx_bytes))
    assert "Valid until 2026-12-31." in [p.text for p in filled.paragraphs]
