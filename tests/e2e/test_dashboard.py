"""The jobs dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

Every view is saved as a screenshot under artifacts/dashboard/ (gitignored; CI keeps it as an
artifact). The page may only talk to 127.0.0.1: any other request fails the test.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.sample_documents import large_pdf, multi_page_pdf, truncated_pdf

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "dashboard"
JOB_TIMEOUT_MS = 90_000


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("Debian's chromium is not installed (make setup / .ci/run install it)")


@pytest.fixture(scope="module")
def browser_page(local_api) -> Iterator[tuple]:
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1360, "height": 900})

        def only_loopback(route) -> None:
            if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_loopback)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, sync_api.expect, errors
        context.close()
        browser.close()
    assert not outside, f"the page tried to reach beyond 127.0.0.1: {outside}"


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _drop_file(page, name: str, data: bytes, mime: str = "application/pdf") -> None:
    """A real drop event on the drop zone, carrying the file in a DataTransfer."""
    transfer = page.evaluate_handle(
        """([name, b64, mime]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, { type: mime }));
            return dt;
        }""",
        [name, base64.b64encode(data).decode(), mime],
    )
    page.dispatch_event("#upload-form", "drop", {"dataTransfer": transfer})


def _badge(page):
    return page.locator("#job-view .panel-head .badge")


def test_dashboard_sign_in_upload_watch_chunks_cancel_and_errors(local_api, browser_page, tmp_path):
    page, expect, errors = browser_page
    page.goto(local_api.url + "/")

    # 1. sign in: a wrong key is refused with a message, the dev key gets in
    expect(page.locator("#login-view")).to_be_visible()
    _shot(page, "01-sign-in")
    page.fill("#api-key", "dj_not-a-real-key-0000000000000000")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("refused")
    page.fill("#api-key", local_api.key)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#app-view")).to_be_visible()
    expect(page.locator("#poll-state")).to_contain_text("Live")
    expect(page.locator("#usage")).to_contain_text("credits")
    usage_before = page.locator("#usage").inner_text()
    assert page.evaluate("sessionStorage.getItem('docjobs.apiKey')") == local_api.key
    assert page.evaluate("localStorage.length") == 0
    _, openapi, _ = local_api.request("GET", "/api/openapi.json")
    runs = openapi["components"]["schemas"]["SubmitJobRequest"]["properties"]["type"]["enum"]
    expect(page.locator("#job-type option")).to_have_text(runs)  # the types this server runs

    # 2. drop a PDF: it uploads, the job is submitted, opened, and watched to completion
    _drop_file(page, "quarterly-report.pdf", multi_page_pdf(3))
    expect(page.locator("#upload-status")).to_contain_text("Submitted quarterly-report.pdf")
    expect(_badge(page)).to_have_text("completed", timeout=JOB_TIMEOUT_MS)
    expect(page.locator("#job-view .progress .label")).to_have_text("100%")
    expect(page.locator("#job-view .facts")).to_contain_text("quarterly-report.pdf")
    expect(page.locator("#job-view .stage.skipped")).to_have_text(["ocr"])  # a text PDF needs none
    expect(page.locator("#usage")).not_to_have_text(usage_before)  # its credits, committed
    row = page.locator("#jobs-body tr.selected")
    expect(row.locator(".badge")).to_have_text("completed")
    _shot(page, "02-job-completed")

    # 3. its chunks, with page numbers; one opened
    chunks = page.locator("#job-view .chunk")
    expect(chunks.first).to_be_visible()
    assert chunks.count() >= 3
    expect(chunks.first.locator(".pages")).to_have_text("page 1")
    chunks.first.locator("summary").click()
    expect(chunks.first.locator(".chunk-text")).to_be_visible()
    _shot(page, "03-chunks")

    # 4. a long job (OCR on every page) is cancelled from its panel while it runs
    page.fill("#job-options", '{"ocr": "force"}')
    _drop_file(page, "long-scan.pdf", large_pdf(40))
    expect(page.locator("#upload-status")).to_contain_text("Submitted long-scan.pdf")
    cancel = page.locator("#cancel-job")
    expect(cancel).to_be_visible(timeout=15_000)
    cancel.click()
    expect(_badge(page)).to_have_text("cancelled", timeout=30_000)
    expect(page.locator("#cancel-job")).to_have_count(0)
    expect(page.locator("#jobs-body tr.selected .badge")).to_have_text("cancelled")
    _shot(page, "04-job-cancelled")
    page.fill("#job-options", "")

    # 5. a broken PDF fails, and the panel shows the error code and message
    page.set_input_files("#file-input", files=[{"name": "broken.pdf", "mimeType": "application/pdf",
                                                 "buffer": truncated_pdf()}])  # fmt: skip
    expect(_badge(page)).to_have_text("failed", timeout=JOB_TIMEOUT_MS)
    error = page.locator("#job-view .job-error")
    expect(error).to_contain_text("PARSE_ERROR")
    expect(error).to_contain_text("broken.pdf")
    _shot(page, "05-job-failed")

    # 6. filters: only failed jobs
    page.select_option("#filter-status", "failed")
    expect(page.locator("#jobs-body tr .badge:not(.status-failed)")).to_have_count(0)
    expect(page.locator("#jobs-body tr .badge.status-failed").first).to_have_text("failed")
    _shot(page, "06-filter-failed")

    # 7. polling pauses while the tab is hidden
    page.evaluate(
        """() => { Object.defineProperty(document, 'hidden', { value: true, configurable: true });
                   document.dispatchEvent(new Event('visibilitychange')); }"""
    )
    expect(page.locator("#poll-state")).to_contain_text("Paused")
    page.evaluate(
        """() => { Object.defineProperty(document, 'hidden', { value: false, configurable: true });
                   document.dispatchEvent(new Event('visibilitychange')); }"""
    )
    expect(page.locator("#poll-state")).to_contain_text("Live")
    assert not errors, errors


def test_swagger_ui_renders_offline(local_api, browser_page):
    page, expect, _ = browser_page
    page.goto(local_api.url + "/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("docjobs Jobs API", timeout=30_000)
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    _shot(page, "07-api-docs")
