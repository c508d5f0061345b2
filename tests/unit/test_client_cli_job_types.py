"""The CLI's job-type commands (extract, split, edit, generate) against the SDK over a fake API.

The API is an ``httpx.MockTransport`` answering as the service does: uploads, job submission
(the request bodies are what these tests check), a job that is completed on its first poll, and
output documents to download.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from docjobs_client import AsyncClient, Client, RetryPolicy, cli
from docjobs_client.cli import ExitCode, app

API = "https://api.example.test"
STORAGE = "https://storage.example.test"
runner = CliRunner()


class FakeAPI:
    """Just enough of the Jobs API for the CLI: documents, jobs, downloads."""

    def __init__(self) -> None:
        self.jobs: list[dict[str, Any]] = []  # the POST /api/jobs bodies, in order
        self.uploads: dict[str, tuple[str, bytes]] = {}  # document_id -> (filename, content)
        self.results: dict[str, dict[str, Any]] = {}  # job type -> result once completed
        self.outputs: dict[str, tuple[str, bytes]] = {}  # output document_id -> (filename, content)
        self.status = "completed"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        url, method = str(request.url), request.method
        if method == "POST" and url == f"{API}/api/documents":
            body = json.loads(request.content)
            document_id = f"doc-{len(self.uploads) + 1}"
            self.uploads[document_id] = (body["filename"], b"")
            return httpx.Response(
                201,
                json={
                    "document_id": document_id,
                    "upload_url": f"{STORAGE}/up/{document_id}",
                    "expires_at": "2026-11-29T11:00:00Z",
                },
            )
        if method == "PUT" and url.startswith(f"{STORAGE}/up/"):
            document_id = url.rsplit("/", 1)[1]
            self.uploads[document_id] = (self.uploads[document_id][0], request.content)
            return httpx.Response(200)
        if method == "POST" and url == f"{API}/api/jobs":
            body = json.loads(request.content)
            self.jobs.append(body)
            return httpx.Response(202, json=self.job(len(self.jobs), "queued"))
        if method == "GET" and (found := re.fullmatch(rf"{API}/api/jobs/j-(\d+)", url)):
            return httpx.Response(200, json=self.job(int(found[1]), self.status))
        if method == "GET" and (found := re.fullmatch(rf"{API}/api/documents/([\w-]+)", url)):
            filename, content = self.outputs[found[1]]
            return httpx.Response(
                200,
                json={
                    "document_id": found[1],
                    "filename": filename,
                    "bytes": len(content),
                    "download_url": f"{STORAGE}/down/{found[1]}",
                },
            )
        if method == "GET" and url.startswith(f"{STORAGE}/down/"):
            return httpx.Response(200, content=self.outputs[url.rsplit("/", 1)[1]][1])
        return httpx.Response(404, json={"error": f"no route {method} {url}", "error_code": "NOT_FOUND"})

    def job(self, number: int, status: str) -> dict[str, Any]:
        body = self.jobs[number - 1]
        job: dict[str, Any] = {
            "id": f"j-{number}",
            "type": body["type"],
            "status": status,
            "progress": 100 if status == "completed" else 0,
            "document_id": body.get("document_id"),
            "options": body.get("options", {}),
            "created_at": "2026-11-29T10:00:00Z",
            "updated_at": "2026-11-29T10:00:01Z",
            "metadata": {"filename": "in.pdf", "pages": 4},
        }
        if status == "completed":
            job["result"] = self.results.get(body["type"], {})
        elif status == "failed":
            job.update(error="options.schema: not a JSON Schema", error_code="VALIDATION_ERROR")
        return job

    def output(self, document_id: str, filename: str) -> bytes:
        content = f"%PDF-1.7 {filename}".encode()
        self.outputs[document_id] = (filename, content)
        return content


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeAPI:
    fake = FakeAPI()
    transport = httpx.MockTransport(fake)
    no_retry = RetryPolicy(0)
    monkeypatch.setattr(
        cli.State,
        "client",
        lambda self: Client(self.api_url, self.api_key, transport=transport, retry=no_retry),
    )
    monkeypatch.setattr(
        cli.State,
        "async_client",
        lambda self: AsyncClient(self.api_url, self.api_key, transport=transport, retry=no_retry),
    )
    return fake


def run(*args: str) -> Any:
    return runner.invoke(app, ["--api-url", API, "--api-key", "dj_test", *args])


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "packet.pdf"
    path.write_bytes(b"%PDF-1.7 input")
    return path


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value))
    return path


# ---------------------------------------------------------------------------- registration


def test_every_job_type_command_is_listed_in_help_and_registered():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("parse", "extract", "split", "edit", "generate"):
        assert command in result.output
        assert command in cli.JOB_TYPE_COMMANDS
        assert runner.invoke(app, [command, "--help"]).exit_code == 0


# ---------------------------------------------------------------------------- extract


def test_extract_uploads_the_file_and_sends_the_schema_and_flags(api, pdf, tmp_path):
    schema = {"type": "object", "properties": {"total": {"type": "number"}}}
    path = write_json(tmp_path / "schema.json", schema)
    result = run(
        "--json", "extract", str(pdf), "--schema", str(path), "--instructions", "the grand total",
        "--engine", "rules", "--pages", "1-2",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert api.uploads["doc-1"] == ("packet.pdf", b"%PDF-1.7 input")
    assert api.jobs == [
        {
            "type": "extract",
            "document_id": "doc-1",
            "options": {
                "schema": schema,
                "instructions": "the grand total",
                "engine": "rules",
                "pages": "1-2",
            },
        }
    ]
    [submission] = json.loads(result.stdout)
    assert submission["job"]["type"] == "extract" and submission["outputs"] == []


def test_extract_wait_saves_the_result_json(api, pdf, tmp_path):
    api.results["extract"] = {"data": {"total": 12.5}, "fields": [{"path": "total"}]}
    schema = write_json(tmp_path / "schema.json", {"type": "object", "properties": {"total": {}}})
    result = run(
        "--json", "extract", str(pdf), "--schema", str(schema), "--wait", "-o", str(tmp_path / "out")
    )
    assert result.exit_code == 0, result.output
    saved = tmp_path / "out" / "packet.extract.json"
    assert json.loads(saved.read_text())["data"] == {"total": 12.5}
    assert json.loads(result.stdout)[0]["outputs"] == [str(saved)]


def test_extract_a_failed_job_exits_1_with_its_error_code(api, pdf, tmp_path):
    api.status = "failed"
    schema = write_json(tmp_path / "schema.json", {"type": "object"})
    result = run("extract", str(pdf), "--schema", str(schema), "--wait")
    assert result.exit_code == ExitCode.JOB_FAILED
    assert "VALIDATION_ERROR" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "No such file"), ("{not json", "is not JSON"), ("[1, 2]", "JSON Schema object")],
)
def test_extract_a_bad_schema_file_is_a_usage_error(api, pdf, tmp_path, content, message):
    path = tmp_path / "schema.json"
    if content is not None:
        path.write_text(content)
    result = run("extract", str(pdf), "--schema", str(path))
    assert result.exit_code == ExitCode.USAGE
    assert message in result.output and "--schema" in result.output
    assert api.jobs == []


def test_extract_needs_a_schema_and_a_known_engine(api, pdf, tmp_path):
    assert run("extract", str(pdf)).exit_code == ExitCode.USAGE
    schema = write_json(tmp_path / "schema.json", {"type": "object"})
    result = run("extract", str(pdf), "--schema", str(schema), "--engine", "gpt")
    assert result.exit_code == ExitCode.USAGE and "gpt" in result.output
    assert api.jobs == []


# ---------------------------------------------------------------------------- split


@pytest.mark.parametrize(
    ("flags", "options"),
    [
        (["--pages", "1-3, 4-"], {"page_ranges": ["1-3", "4-"]}),
        (["--every", "10"], {"every_n_pages": 10}),
        (["--outline", "2"], {"by_outline": {"level": 2}}),
        (["--blank-pages"], {"by_separator": "blank_page"}),
    ],
)
def test_split_strategy_flags_become_options(api, pdf, flags, options):
    result = run("split", str(pdf), *flags)
    assert result.exit_code == 0, result.output
    assert api.jobs == [{"type": "split", "document_id": "doc-1", "options": options}]


def test_split_categories_from_a_file_list_or_object(api, pdf, tmp_path):
    categories = [
        {"name": "invoice", "keywords": ["invoice"]},
        {"name": "contract", "keywords": ["agreement"]},
    ]
    as_list = write_json(tmp_path / "a.json", categories)
    as_object = write_json(tmp_path / "b.json", {"categories": categories})
    assert run("split", str(pdf), "--categories", str(as_list), "--engine", "rules").exit_code == 0
    assert run("split", str(pdf), "--categories", str(as_object)).exit_code == 0
    assert api.jobs[0]["options"] == {"categories": categories, "engine": "rules"}
    assert api.jobs[1]["options"] == {"categories": categories}


def test_split_wait_downloads_every_part(api, pdf, tmp_path):
    api.results["split"] = {
        "segments": [
            {"name": "part1", "pages": [1, 2], "document_id": "p1", "filename": "packet_part1.pdf"},
            {"name": "part2", "pages": [3, 4], "document_id": "p2", "filename": "packet_part2.pdf"},
        ],
        "unassigned_pages": [],
    }
    first, second = api.output("p1", "packet_part1.pdf"), api.output("p2", "packet_part2.pdf")
    out = tmp_path / "parts"
    result = run("--json", "split", str(pdf), "--every", "2", "--wait", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "packet_part1.pdf").read_bytes() == first
    assert (out / "packet_part2.pdf").read_bytes() == second
    assert json.loads(result.stdout)[0]["outputs"] == [
        str(out / "packet.split.json"), str(out / "packet_part1.pdf"), str(out / "packet_part2.pdf"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ([], "give exactly one of --pages, --every"),
        (["--every", "2", "--blank-pages"], "got --every and --blank-pages"),
        (["--pages", "1-2", "--outline", "1"], "got --pages and --outline"),
        (["--pages", " , "], "no page range"),
        (["--every", "0"], "--every"),
        (["--every", "3", "--engine", "rules"], "only applies to --categories"),
    ],
)
def test_split_bad_strategy_combinations_exit_2(api, pdf, flags, message):
    result = run("split", str(pdf), *flags)
    assert result.exit_code == ExitCode.USAGE
    assert message in result.output
    assert api.jobs == [] and api.uploads == {}


@pytest.mark.parametrize(("content", "message"), [("[]", "non-empty JSON list"), ('{"x": 1}', "non-empty")])
def test_split_a_bad_categories_file_exits_2(api, pdf, tmp_path, content, message):
    path = tmp_path / "cats.json"
    path.write_text(content)
    result = run("split", str(pdf), "--categories", str(path))
    assert result.exit_code == ExitCode.USAGE and message in result.output


# ---------------------------------------------------------------------------- edit


def test_edit_redaction_flags_come_first_then_the_ops_file(api, pdf, tmp_path):
    ops = [{"op": "stamp", "text": "REDACTED COPY"}, {"op": "scrub_metadata"}]
    path = write_json(tmp_path / "ops.json", {"operations": ops})
    result = run(
        "edit", str(pdf), "--redact-pii", "email,phone,email", "--redact-text", "ACME Corp",
        "--redact-text", "Jane Doe", "--ops", str(path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert api.jobs == [
        {
            "type": "edit",
            "document_id": "doc-1",
            "options": {
                "operations": [
                    {"op": "redact", "pii": ["email", "phone"], "text": ["ACME Corp", "Jane Doe"]},
                    *ops,
                ]
            },
        }
    ]


def test_edit_wait_downloads_the_edited_pdf_to_the_output_path(api, pdf, tmp_path):
    api.results["edit"] = {"document_id": "e1", "filename": "clean.pdf", "verification": {"passed": True}}
    edited = api.output("e1", "clean.pdf")
    target = tmp_path / "out" / "clean.pdf"
    result = run("--json", "edit", str(pdf), "--redact-pii", "iban", "--wait", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert api.jobs[0]["options"]["output_filename"] == "clean.pdf"
    assert target.read_bytes() == edited
    assert json.loads(result.stdout)[0]["outputs"] == [
        str(tmp_path / "out" / "packet.edit.json"),
        str(target),
    ]


def test_edit_output_to_a_directory_keeps_the_server_filename(api, pdf, tmp_path):
    api.results["edit"] = {"document_id": "e1", "filename": "packet_edited.pdf"}
    api.output("e1", "packet_edited.pdf")
    result = run("edit", str(pdf), "--redact-text", "secret", "--wait", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "output_filename" not in api.jobs[0]["options"]
    assert (tmp_path / "packet_edited.pdf").is_file()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ([], "nothing to do"),
        (["--redact-pii", "email,passport"], "passport: choose from email, phone"),
        (["--redact-pii", ","], "choose from"),
        (["--redact-text", "  "], "empty text"),
    ],
)
def test_edit_bad_options_exit_2(api, pdf, flags, message):
    result = run("edit", str(pdf), *flags)
    assert result.exit_code == ExitCode.USAGE
    assert message in result.output
    assert api.jobs == []


def test_edit_one_output_file_for_several_inputs_exits_2(api, pdf, tmp_path):
    other = tmp_path / "other.pdf"
    other.write_bytes(b"%PDF-1.7")
    result = run("edit", str(pdf), str(other), "--redact-pii", "email", "-o", str(tmp_path / "x.pdf"))
    assert result.exit_code == ExitCode.USAGE
    assert "with several files" in result.output


def test_edit_ops_file_must_be_a_list_of_operations(api, pdf, tmp_path):
    path = write_json(tmp_path / "ops.json", {"op": "stamp"})
    result = run("edit", str(pdf), "--ops", str(path))
    assert result.exit_code == ExitCode.USAGE and "--ops" in result.output


# ---------------------------------------------------------------------------- generate


def test_generate_sends_an_html_template_inline_with_its_data(api, tmp_path):
    template = tmp_path / "invoice.html"
    template.write_text("<h1>Invoice {{ number }}</h1>")
    data = write_json(tmp_path / "d.json", {"number": "INV-1"})
    result = run("generate", "--template", str(template), "--data", str(data), "--format", "html")
    assert result.exit_code == 0, result.output
    assert api.jobs == [
        {
            "type": "generate",
            "options": {
                "template": {"html": "<h1>Invoice {{ number }}</h1>"},
                "data": {"number": "INV-1"},
                "output": {"format": "html"},
            },
        }
    ]
    assert api.uploads == {}  # an inline template uploads nothing, and the job has no document


def test_generate_markdown_wait_downloads_the_output_and_takes_the_format_from_its_suffix(api, tmp_path):
    template = tmp_path / "letter.md"
    template.write_text("# Dear {{ name }}")
    data = write_json(tmp_path / "d.json", {"name": "Ada"})
    api.results["generate"] = {"document_id": "g1", "filename": "letter.docx", "format": "docx"}
    content = api.output("g1", "letter.docx")
    target = tmp_path / "letter.docx"
    result = run(
        "--json", "generate", "--template", str(template), "--data", str(data), "-o", str(target), "--wait"
    )
    assert result.exit_code == 0, result.output
    assert api.jobs[0]["options"] == {
        "template": {"markdown": "# Dear {{ name }}"},
        "data": {"name": "Ada"},
        "output": {"format": "docx", "filename": "letter.docx"},
    }
    assert target.read_bytes() == content
    [submission] = json.loads(result.stdout)
    assert submission["source"] == str(template)
    assert submission["outputs"] == [str(tmp_path / "letter.generate.json"), str(target)]


def test_generate_uploads_a_docx_template_and_passes_its_document_id(api, tmp_path):
    template = tmp_path / "t.docx"
    template.write_bytes(b"PK\x03\x04 docx bytes")
    result = run("generate", "--template", str(template), "--data-from-job", "j-extract", "--lenient")
    assert result.exit_code == 0, result.output
    assert api.uploads == {"doc-1": ("t.docx", b"PK\x03\x04 docx bytes")}
    assert api.jobs == [
        {
            "type": "generate",
            "options": {"template": {"document_id": "doc-1"}, "data_from_job": "j-extract", "strict": False},
        }
    ]


@pytest.mark.parametrize(
    ("template", "flags", "message"),
    [
        ("missing.html", [], "no such file"),
        ("t.txt", [], "a template is .html, .md or .docx"),
        ("t.html", ["--data", "d.json", "--data-from-job", "j1"], "not both"),
        ("t.html", ["--data", "list.json"], "must hold a JSON object"),
        ("t.html", ["--format", "pdf", "-o", "out.docx"], "does not end in .pdf"),
        ("t.html", ["--format", "rtf"], "rtf"),
    ],
)
def test_generate_bad_options_exit_2(api, tmp_path, monkeypatch, template, flags, message):
    monkeypatch.chdir(tmp_path)
    for name in ("t.html", "t.txt"):
        Path(name).write_text("{{ x }}")
    write_json(Path("d.json"), {"x": 1})
    write_json(Path("list.json"), [1])
    result = run("generate", "--template", template, *flags)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert message in result.output
    assert api.jobs == [] and api.uploads == {}


def test_generate_needs_a_template(api):
    result = run("generate", "--data", "d.json")
    assert result.exit_code == ExitCode.USAGE and "--template" in result.output
