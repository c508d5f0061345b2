"""generate jobs through the API and the real generate state machine (template.yaml in moto).

Templates inline and as documents (as the job's document_id or options.template.document_id),
PDF/Markdown/DOCX outputs registered as output documents that a parse job accepts, strict
missing variables, the render deadline, submission-time refusals, data_from_job, and cancel
during generating.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pymupdf
import pytest

from docjobs.jobtypes.generate import stage as generate_stage
from docjobs.jobtypes.generate.rendering import RenderLimits
from tests.integration.conftest import Gate, Pipeline, Submitted
from tests.unit.jobtypes import generate_samples as samples

MACHINE = "GenerateStateMachine"


def _submit(pipeline: Pipeline, options: dict[str, Any], **fields: Any) -> Submitted:
    status, body = pipeline.api("POST", "/api/jobs", {"type": "generate", "options": options, **fields})
    assert status == 202, body
    arn = pipeline.stack.state_machine_arn(MACHINE).replace(":stateMachine:", ":execution:", 1)
    return Submitted(body["id"], f"{arn}:{body['id']}")


def _refused(pipeline: Pipeline, options: dict[str, Any], **fields: Any) -> dict[str, Any]:
    status, body = pipeline.api("POST", "/api/jobs", {"type": "generate", "options": options, **fields})
    assert status == 400, body
    assert body["error_code"] == "VALIDATION_ERROR"
    return dict(body)


def _download(pipeline: Pipeline, document_id: str) -> tuple[dict[str, Any], bytes]:
    status, info = pipeline.api("GET", f"/api/documents/{document_id}")
    assert status == 200, info
    key = f"documents/{pipeline.tenant}/{document_id}/{info['filename']}"
    body = pipeline.stack.client("s3").get_object(Bucket=pipeline.bucket, Key=key)["Body"].read()
    return info, body


def _documents_of(pipeline: Pipeline) -> set[str]:
    listing = pipeline.stack.client("s3").list_objects_v2(
        Bucket=pipeline.bucket, Prefix=f"documents/{pipeline.tenant}/"
    )
    return {obj["Key"] for obj in listing.get("Contents", [])}


def test_an_invoice_template_becomes_a_pdf_output_document(pipeline: Pipeline) -> None:
    data = samples.invoice_data(8)
    submitted = _submit(
        pipeline, {"template": {"html": samples.INVOICE_HTML}, "data": data, "output": {"filename": "inv-42"}}
    )
    job = pipeline.wait(submitted)
    assert job["status"] == "completed", job
    assert job["stage"] is None and job["progress"] == 100
    assert job["document_id"] is None
    result = job["result"]
    assert set(result) >= {
        "document_id",
        "filename",
        "url",
        "format",
        "pages",
        "bytes",
        "sha256",
        "variables",
    }
    assert result["format"] == "pdf" and result["filename"] == "inv-42.pdf" and result["pages"] == 1
    assert result["variables"] == ["customer", "invoice", "items"]
    assert result["url"].startswith("http")
    info, pdf = _download(pipeline, result["document_id"])
    assert info["source_job_id"] == job["id"]
    assert info["content_type"] == "application/pdf"
    assert info["bytes"] == result["bytes"] == len(pdf)
    assert info["pages"] == 1
    with pymupdf.open("pdf", pdf) as document:
        text = document[0].get_text()
    for item in data["items"]:
        assert item["sku"] in text
    assert f"Total due: {samples.invoice_total(data):.2f} EUR" in text


def test_the_generated_pdf_is_accepted_by_a_parse_job(pipeline: Pipeline) -> None:
    job = pipeline.wait(
        _submit(
            pipeline,
            {
                "template": {"html": "<h1>{{ t }}</h1><p>{{ body }}</p>"},
                "data": {"t": "Minutes", "body": "Decisions were taken."},
            },
        )
    )
    assert job["status"] == "completed", job
    status, body = pipeline.api(
        "POST", "/api/jobs", {"type": "parse", "document_id": job["result"]["document_id"], "options": {}}
    )
    assert status == 202, body
    parsed = pipeline.wait(Submitted(body["id"], pipeline.execution_arn(body["id"])))
    assert parsed["status"] == "completed", parsed
    assert "Decisions were taken." in " ".join(chunk["text"] for chunk in parsed["result"]["chunks"])


def test_a_markdown_template_document_given_as_document_id_renders_to_markdown(pipeline: Pipeline) -> None:
    template_id = pipeline.upload_document(samples.REPORT_MARKDOWN.encode(), "report.md")
    job = pipeline.wait(
        _submit(pipeline, {"data": samples.REPORT_DATA, "output": {"format": "md"}}, document_id=template_id)
    )
    assert job["status"] == "completed", job
    assert job["document_id"] == template_id
    assert job["result"]["filename"] == "report.md" and job["result"]["pages"] is None
    info, body = _download(pipeline, job["result"]["document_id"])
    assert info["content_type"].startswith("text/markdown")
    assert body.decode().startswith("# Quarterly report: Q3 2026")


def test_a_docx_template_document_is_filled(pipeline: Pipeline) -> None:
    import docx

    template_id = pipeline.upload_document(samples.docx_offer_template(), "offer.docx")
    job = pipeline.wait(
        _submit(
            pipeline,
            {
                "template": {"document_id": template_id},
                "data": samples.OFFER_DATA,
                "output": {"format": "docx"},
            },
        )
    )
    assert job["status"] == "completed", job
    info, body = _download(pipeline, job["result"]["document_id"])
    assert info["filename"] == "offer.docx"
    filled = docx.Document(io.BytesIO(body))
    assert "Dear Dupont <Frères> & Cie," in [p.text for p in filled.paragraphs]


def test_an_image_document_is_drawn_into_the_pdf(pipeline: Pipeline) -> None:
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 30, 30), 0)
    pixmap.set_rect(pixmap.irect, (200, 30, 30))
    logo = pipeline.upload_document(pixmap.tobytes("png"), "logo.png")
    job = pipeline.wait(
        _submit(
            pipeline,
            {"template": {"html": '<img src="document:{{ logo }}"><p>x</p>'}, "data": {"logo": logo}},
        )
    )
    assert job["status"] == "completed", job
    _info, pdf = _download(pipeline, job["result"]["document_id"])
    with pymupdf.open("pdf", pdf) as document:
        assert len(document[0].get_images()) == 1


def test_missing_variables_fail_the_job_listing_each_one(pipeline: Pipeline) -> None:
    before = _documents_of(pipeline)
    job = pipeline.wait(
        _submit(pipeline, {"template": {"html": "<p>{{ a }}</p>\n<p>{{ b.c }}</p>"}, "data": {"b": {}}})
    )
    assert job["status"] == "failed"
    assert job["error_code"] == "VALIDATION_ERROR"
    assert "a (line 1), b.c (line 2)" in job["error"]
    assert _documents_of(pipeline) == before


def test_lenient_rendering_reports_what_was_missing(pipeline: Pipeline) -> None:
    job = pipeline.wait(
        _submit(
            pipeline,
            {
                "template": {"markdown": "# {{ title }}\n{{ note }}"},
                "data": {"title": "T"},
                "strict": False,
                "output": {"format": "md"},
            },
        )
    )
    assert job["status"] == "completed", job
    assert job["result"]["missing"] == [{"variable": "note", "line": 2, "near": None}]


def test_a_template_that_runs_past_the_render_deadline_fails_the_job(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generate_stage, "render_limits", lambda: RenderLimits(seconds=2))
    source = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    job = pipeline.wait(_submit(pipeline, {"template": {"html": source}}))
    assert job["status"] == "failed"
    assert job["error_code"] == "VALIDATION_ERROR"
    assert "time limit of 2 s" in job["error"]


def test_inspect_returns_the_variables_without_a_document(pipeline: Pipeline) -> None:
    before = _documents_of(pipeline)
    job = pipeline.wait(_submit(pipeline, {"template": {"html": samples.INVOICE_HTML}, "inspect": True}))
    assert job["status"] == "completed", job
    assert job["result"]["variables"] == ["customer", "invoice", "items"]
    assert "items[].unit_price" in job["result"]["fields"]
    assert job["result"]["document_id"] is None
    assert _documents_of(pipeline) == before


# ---------------------------------------------------------------------------- refused at submission


def test_a_template_syntax_error_is_a_400_with_its_line(pipeline: Pipeline) -> None:
    body = _refused(pipeline, {"template": {"html": "<p>ok</p>\n{% for x in items %}\n{{ x }"}})
    assert "options.template.html" in body["error"]
    assert "line 3" in body["error"]


def test_docx_template_to_pdf_is_a_400_saying_why(pipeline: Pipeline) -> None:
    template_id = pipeline.upload_document(samples.docx_offer_template(), "offer.docx")
    body = _refused(pipeline, {"template": {"document_id": template_id}, "data": {}})
    assert "office suite" in body["error"]


def test_a_job_without_a_template_is_a_400(pipeline: Pipeline) -> None:
    body = _refused(pipeline, {"data": {"a": 1}})
    assert "needs a template" in body["error"]


def test_an_input_url_is_a_400(pipeline: Pipeline) -> None:
    body = _refused(pipeline, {"template": {"html": "x"}}, input="https://example.com/t.html")
    assert body["error"].startswith("input:")


def test_another_tenants_template_document_is_a_400(pipeline: Pipeline) -> None:
    other = Pipeline(pipeline.stack, pipeline.monkeypatch)
    template_id = other.upload_document(b"<p>{{ secret }}</p>", "t.html")
    body = _refused(pipeline, {"template": {"document_id": template_id}})
    assert "does not exist" in body["error"]


def test_a_document_that_is_not_a_template_is_a_400(pipeline: Pipeline) -> None:
    pdf_id = pipeline.upload_document(b"%PDF-1.7\n", "scan.pdf")
    body = _refused(pipeline, {}, document_id=pdf_id)
    assert "is not a template" in body["error"]


def test_instructions_without_a_model_engine_are_a_400_naming_the_configured_ones(pipeline: Pipeline) -> None:
    pipeline.configure(BEDROCK_MODEL_ID="", OPENAI_BASE_URL="", OPENAI_MODEL="")
    body = _refused(pipeline, {"template": {"html": "x"}, "instructions": "Write a summary"})
    assert "needs a model engine" in body["error"] and "configured engines: rules" in body["error"]
    body = _refused(pipeline, {"instructions": "Write a summary", "engine": "openai"})
    assert "'openai' is not configured" in body["error"]


# ---------------------------------------------------------------------------- data_from_job


def _extract_job(
    pipeline: Pipeline, *, status: str = "completed", data: Any = None, tenant: str | None = None
) -> str:
    """An extract job record of the tenant with a published result (the extract type itself is
    built on another branch; its result contract is job-types.md "extract")."""
    from docjobs.adapters import job_store, storage
    from docjobs.core.models import JobRecord, ResultPointer
    from docjobs.core.values import new_id, utc_now

    tenant_id = tenant or pipeline.tenant
    job_id = new_id()
    result = None
    if status == "completed":
        key = storage.result_key(tenant_id, job_id)
        size = storage.put_json(
            key, {"data": data, "fields": [], "validation": {"valid": True, "errors": []}}
        )
        result = ResultPointer(bucket=pipeline.bucket, key=key, size_bytes=size)
    now = utc_now()
    job_store.create_job(
        JobRecord(
            id=job_id,
            tenant_id=tenant_id,
            type="extract",
            status=status,  # type: ignore[arg-type]
            progress=100 if status == "completed" else 40,
            created_at=now,
            updated_at=now,
            completed_at=now if status == "completed" else None,
            result=result,
            expires_at=int((now + timedelta(days=1)).timestamp()),
        )
    )
    return job_id


def test_data_from_a_completed_extract_job_fills_the_template(pipeline: Pipeline) -> None:
    source = _extract_job(pipeline, data={"invoice_number": "INV-0042", "total": 1234.5})
    job = pipeline.wait(
        _submit(
            pipeline,
            {
                "template": {"markdown": "Invoice {{ invoice_number }}: {{ '%.2f'|format(total) }}"},
                "data_from_job": source,
                "output": {"format": "md"},
            },
        )
    )
    assert job["status"] == "completed", job
    _info, body = _download(pipeline, job["result"]["document_id"])
    assert body.decode() == "Invoice INV-0042: 1234.50"


def test_data_from_another_tenants_job_is_a_400(pipeline: Pipeline) -> None:
    other = Pipeline(pipeline.stack, pipeline.monkeypatch)
    source = _extract_job(pipeline, data={"a": 1}, tenant=other.tenant)
    body = _refused(pipeline, {"template": {"html": "{{ a }}"}, "data_from_job": source})
    assert "is not one of your jobs" in body["error"]


def test_data_from_a_job_that_has_not_completed_is_a_400(pipeline: Pipeline) -> None:
    source = _extract_job(pipeline, status="processing")
    body = _refused(pipeline, {"template": {"html": "{{ a }}"}, "data_from_job": source})
    assert "is processing" in body["error"]


def test_data_from_a_parse_job_is_a_400(pipeline: Pipeline) -> None:
    job = pipeline.wait(_submit(pipeline, {"template": {"html": "<p>x</p>"}}))
    body = _refused(pipeline, {"template": {"html": "{{ a }}"}, "data_from_job": job["id"]})
    assert "is a generate job" in body["error"]


def test_data_from_a_job_that_is_too_large_fails_the_job(pipeline: Pipeline) -> None:
    source = _extract_job(pipeline, data={"blob": "x" * 1_100_000})
    job = pipeline.wait(
        _submit(pipeline, {"template": {"html": "{{ blob|length }}"}, "data_from_job": source})
    )
    assert job["status"] == "failed"
    assert job["error_code"] == "VALIDATION_ERROR"
    assert "options.data_from_job is" in job["error"] and "limit is 1 MB" in job["error"]


# ---------------------------------------------------------------------------- cancel


@pytest.mark.parametrize("stop_lost", [False, True], ids=["stopped", "stop-lost"])
def test_cancel_during_generating_registers_nothing(
    pipeline: Pipeline, gate: Gate, monkeypatch: pytest.MonkeyPatch, stop_lost: bool
) -> None:
    """Cancel while the template renders: the execution is stopped; if StopExecution is lost,
    the stage finds the job cancelled before it stages anything and the ASL ends in JobCancelled.
    Either way no output document, result or staged output exists."""
    from docjobs.adapters import executions

    if stop_lost:
        monkeypatch.setattr(executions, "stop_execution", lambda execution_arn, cause: None)
    real = generate_stage.generate_document

    def rendering_then_blocked(*args: Any, **kwargs: Any) -> Any:
        document = real(*args, **kwargs)
        gate.block()  # rendered; the output is not staged yet
        return document

    monkeypatch.setattr(generate_stage, "generate_document", rendering_then_blocked)
    before = _documents_of(pipeline)
    submitted = _submit(pipeline, {"template": {"html": "<p>{{ x }}</p>"}, "data": {"x": 1}})
    try:
        gate.wait_entered()
        assert pipeline.get(submitted.job_id)["stage"] == "generating"
        status, body = pipeline.api("DELETE", f"/api/jobs/{submitted.job_id}")
        assert status == 200, body
    finally:
        gate.release.set()
    job = pipeline.wait(submitted)
    assert job["status"] == "cancelled" and job["result"] is None
    states = pipeline.states_entered(submitted)
    assert not {"RecordFailure", "JobFailed", "JobSucceeded"} & set(states), states
    if stop_lost:
        assert states[-1] == "JobCancelled", states
    assert _documents_of(pipeline) == before
    assert pipeline.result_keys(submitted.job_id) == []
    staged = pipeline.stack.client("s3").list_objects_v2(
        Bucket=pipeline.bucket, Prefix=f"work/{pipeline.tenant}/{submitted.job_id}/outputs/"
    )
    assert staged.get("KeyCount", 0) == 0


# ---------------------------------------------------------------------------- credits


def test_a_generate_job_costs_one_credit_per_output_page(pipeline: Pipeline) -> None:
    from docjobs.adapters import ledger
    from docjobs.core.values import credit_period

    ledger.set_credit_limit(pipeline.tenant, 100)
    job = pipeline.wait(
        _submit(pipeline, {"template": {"html": samples.INVOICE_HTML}, "data": samples.invoice_data(120)})
    )
    assert job["status"] == "completed", job
    pages = job["result"]["pages"]
    assert pages >= 3
    assert job["credits"] == {"cost": pages, "period": credit_period(), "state": "committed"}
    usage = pipeline.api("GET", "/api/usage")[1]
    assert usage["by_type"] == {"generate": {"used": pages, "reserved": 0}}


def test_a_document_over_the_credit_limit_fails_quota_exceeded_and_registers_nothing(
    pipeline: Pipeline,
) -> None:
    from docjobs.adapters import ledger

    ledger.set_credit_limit(pipeline.tenant, 2)
    before = _documents_of(pipeline)
    job = pipeline.wait(
        _submit(pipeline, {"template": {"html": samples.INVOICE_HTML}, "data": samples.invoice_data(120)})
    )
    assert job["status"] == "failed", job
    assert job["error_code"] == "QUOTA_EXCEEDED"
    assert _documents_of(pipeline) == before
    usage = pipeline.api("GET", "/api/usage")[1]
    assert usage["credits_used"] == 0 and usage["credits_reserved"] == 0
