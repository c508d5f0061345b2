"""`make run` extracts an invoice with the rules engine, as a client would call it over HTTP."""

from __future__ import annotations

import pytest

from tests import extract_documents as docs
from tests.e2e.test_local_api import upload, wait

pytestmark = pytest.mark.e2e


def test_local_service_extracts_invoice_fields_with_verified_citations(local_api) -> None:
    document_id = upload(local_api, local_api.key, docs.invoice_pdf(), "invoice.pdf")
    status, job, _ = local_api.request(
        "POST",
        "/api/jobs",
        key=local_api.key,
        body={"type": "extract", "document_id": document_id, "options": {"schema": docs.INVOICE_SCHEMA}},
    )
    assert status == 202, job
    job = wait(local_api, local_api.key, job["id"])
    assert job["status"] == "completed", job
    data = job["result"]["data"]
    assert (data["invoice_number"], data["invoice_date"], data["total"]) == (
        "INV-0042",
        "2026-03-05",
        5283.85,
    )
    assert data["line_items"] == docs.INVOICE_EXPECTED["line_items"]
    assert job["result"]["metadata"]["engine"] == "rules"
    assert all(field["verified"] for field in job["result"]["fields"])


def test_local_service_refuses_a_bad_schema_with_400(local_api) -> None:
    document_id = upload(local_api, local_api.key, docs.invoice_pdf(), "invoice.pdf")
    status, body, _ = local_api.request(
        "POST",
        "/api/jobs",
        key=local_api.key,
        body={"type": "extract", "document_id": document_id, "options": {"schema": {"type": "string"}}},
    )
    assert status == 400 and "options.schema.type" in body["error"], body
