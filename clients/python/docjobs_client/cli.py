"""``docjobs``: the command line of the docjobs Jobs API (Typer + Rich).

Exit codes (also in ``docjobs --help``):
  0 ok · 1 a job failed or was cancelled (its error_code is printed) · 2 usage error (bad
  arguments, missing URL/key, or the API's 400 VALIDATION_ERROR) · 3 the API refused the
  request (401, 404, 409, 429) · 4 the API or storage could not be reached (5xx, network) ·
  5 timed out waiting.

Job types get one command each (``parse``, ``extract``, ``split``, ``edit``, ``generate``); a type
the server adds is a few lines here (see ``parse``), and ``docjobs submit TYPE`` reaches any type
meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich import box
from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from docjobs_client import __version__, webhooks
from docjobs_client._core import API_KEY_ENV, API_URL_ENV
from docjobs_client.aio import AsyncClient
from docjobs_client.client import Client
from docjobs_client.errors import (
    APIError,
    ConfigurationError,
    ConnectionFailed,
    DocjobsError,
    InternalServerError,
    JobFailedError,
    ValidationError,
    WaitTimeout,
)
from docjobs_client.models import JOB_STATUSES, Job, JobSummary


class ExitCode(IntEnum):
    OK = 0
    JOB_FAILED = 1
    USAGE = 2
    API_REFUSED = 3
    UNAVAILABLE = 4
    TIMEOUT = 5


EPILOG = (
    "Exit codes: 0 ok, 1 a job failed or was cancelled, 2 usage error (arguments, missing "
    "URL/key, 400 VALIDATION_ERROR), 3 the API refused (401/404/409/429), 4 unreachable "
    "(5xx, network), 5 timed out waiting."
)

app = typer.Typer(
    name="docjobs",
    help="Submit documents to a docjobs Jobs API and follow the jobs.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
jobs_app = typer.Typer(help="List, show, wait for and cancel jobs.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Webhook helpers.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
app.add_typer(webhooks_app, name="webhooks")


@dataclass
class State:
    api_url: str | None = None
    api_key: str | None = None
    json: bool = False
    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))

    def client(self) -> Client:
        return Client(self.api_url, self.api_key)

    def async_client(self) -> AsyncClient:
        return AsyncClient(self.api_url, self.api_key)

    def print_json(self, data: Any) -> None:
        # plain print: no wrapping or markup, so scripts can parse it
        print(json.dumps(data, indent=2, default=str))


def _state(ctx: typer.Context) -> State:
    state = ctx.find_root().obj
    if not isinstance(state, State):  # a command invoked without the root callback (tests)
        state = ctx.find_root().obj = State()
    return state


def _fail(state: State, code: ExitCode, message: str) -> NoReturn:
    state.err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def _errors(state: State) -> Iterator[None]:
    """Exceptions become a message on stderr and the exit code their kind has."""
    try:
        yield
    except ConfigurationError as exc:
        _fail(state, ExitCode.USAGE, f"{exc} (or use --api-url / --api-key)")
    except ValidationError as exc:
        _fail(state, ExitCode.USAGE, f"{exc.error_code}: {exc.message}")
    except InternalServerError as exc:
        _fail(state, ExitCode.UNAVAILABLE, str(exc))
    except APIError as exc:
        _fail(state, ExitCode.API_REFUSED, str(exc))
    except ConnectionFailed as exc:
        _fail(state, ExitCode.UNAVAILABLE, str(exc))
    except WaitTimeout as exc:
        _fail(state, ExitCode.TIMEOUT, str(exc))
    except JobFailedError as exc:
        _fail(state, ExitCode.JOB_FAILED, str(exc))
    except DocjobsError as exc:
        _fail(state, ExitCode.USAGE, str(exc))


def _version(value: bool) -> None:
    if value:
        print(f"docjobs {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    api_url: Annotated[
        str | None, typer.Option("--api-url", envvar=API_URL_ENV, help="API base URL", show_default=False)
    ] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", envvar=API_KEY_ENV, help="API key", show_default=False)
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="machine-readable JSON on stdout")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="show the version")
    ] = False,
) -> None:
    ctx.obj = State(api_url=api_url, api_key=api_key, json=json_output)


# ---------------------------------------------------------------------------- rendering

STATUS_STYLE = {
    "queued": "cyan",
    "processing": "yellow",
    "retrying": "magenta",
    "completed": "green",
    "failed": "bold red",
    "cancelled": "dim",
}


def _status(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def _bar(progress: int, width: int = 12) -> str:
    filled = round(width * max(0, min(progress, 100)) / 100)
    return "█" * filled + "░" * (width - filled)


def _jobs_table(jobs: list[JobSummary], title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("ID", no_wrap=True, min_width=36)
    table.add_column("TYPE", no_wrap=True)
    table.add_column("STATUS", no_wrap=True)
    table.add_column("PROGRESS", no_wrap=True, overflow="ellipsis")
    table.add_column("CREATED (UTC)", no_wrap=True, overflow="ellipsis")
    for job in jobs:
        stage = "" if job.is_terminal or not job.stage else f" {job.stage}"
        table.add_row(
            job.id,
            job.type,
            _status(job.status),
            f"{_bar(job.progress, 8)} {job.progress:>3}%{stage}",
            job.created_at.replace("T", " ").rstrip("Z"),
        )
    return table


def _job_details(job: Job) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    rows: list[tuple[str, Any]] = [
        ("id", job.id),
        ("type", job.type),
        ("status", _status(job.status)),
        ("progress", f"{_bar(job.progress)} {job.progress}%" + (f"  ({job.stage})" if job.stage else "")),
        ("document", job.document_id or job.input_url or ""),
        ("file", job.metadata.filename or ""),
        ("pages", job.metadata.pages if job.metadata.pages is not None else ""),
        ("created", job.created_at),
        ("updated", job.updated_at),
        ("completed", job.completed_at or ""),
        ("retries", job.retry_count),
    ]
    if job.credits is not None:
        rows.append(("credits", f"{job.credits.cost} ({job.credits.state}, {job.credits.period})"))
    if job.options:
        rows.append(("options", json.dumps(job.options)))
    if job.error or job.error_code:
        rows.append(("error", f"[bold red]{job.error_code}[/]: {job.error}"))
    if job.result is not None:
        rows.append(("result", _result_summary(job.result)))
    elif job.result_url:
        rows.append(("result", "large result: docjobs jobs result ID -o FILE"))
    for name, value in rows:
        table.add_row(name, str(value))
    return table


def _result_summary(result: dict[str, Any]) -> str:
    parts = []
    if isinstance(result.get("chunks"), list):
        parts.append(f"{len(result['chunks'])} chunks")
    if isinstance(result.get("fields"), list):
        parts.append(f"{len(result['fields'])} fields")
    if isinstance(result.get("segments"), list):
        parts.append(f"{len(result['segments'])} segments")
    if result.get("document_id"):
        parts.append(f"document {result['document_id']}")
    return ", ".join(parts) or f"{len(result)} keys"


# ---------------------------------------------------------------------------- submitting


@dataclass
class Submission:
    source: str  # the file path or URL as given
    job: Job | None = None
    outputs: list[Path] = field(default_factory=list)
    error: str | None = None


def _output_documents(result: dict[str, Any]) -> list[str]:
    """Ids of the documents a job wrote (edited/generated document, split parts)."""
    ids = []
    if isinstance(result.get("document_id"), str):
        ids.append(result["document_id"])
    for segment in result.get("segments") or []:
        if isinstance(segment, dict) and isinstance(segment.get("document_id"), str):
            ids.append(segment["document_id"])
    return ids


async def _save_outputs(
    client: AsyncClient, sub: Submission, out_dir: Path, output_file: Path | None = None
) -> None:
    """The job's result JSON, and every output document it wrote, into ``out_dir``; with
    ``output_file``, the (single) output document goes there instead, the JSON beside it."""
    assert sub.job is not None
    if output_file is not None:
        out_dir = output_file.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    result = await client.result(sub.job)
    stem = Path(sub.source).stem if "://" not in sub.source else sub.job.id
    result_path = out_dir / f"{stem}.{sub.job.type}.json"
    result_path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    sub.outputs.append(result_path)
    documents = _output_documents(result)
    for index, document_id in enumerate(documents):
        target = output_file if output_file is not None and index == 0 else out_dir
        sub.outputs.append(await client.download(document_id, target))


async def _submit_and_follow(
    state: State,
    job_type: str,
    sources: list[str],
    options: dict[str, Any],
    *,
    wait: bool,
    timeout: float | None,
    out_dir: Path,
    webhook_url: str | None,
    metadata: dict[str, Any] | None,
    output_file: Path | None = None,
    with_document: bool = True,
    prepare: Prepare | None = None,
) -> list[Submission]:
    submissions = [Submission(source) for source in sources]
    show_progress = wait and not state.json
    progress = Progress(
        TextColumn("[bold]{task.description}", justify="left"),
        TextColumn("{task.fields[status]}"),
        BarColumn(bar_width=28),
        TaskProgressColumn(),
        TextColumn("[dim]{task.fields[stage]}"),
        TimeElapsedColumn(),
        console=state.err,
        disable=not show_progress,
    )
    limit = asyncio.Semaphore(4)  # uploads at once

    async with state.async_client() as client:
        if prepare is not None:
            await prepare(client, options)

        async def one(sub: Submission) -> None:
            name = Path(sub.source).name if "://" not in sub.source else sub.source
            task = progress.add_task(name[:40], total=100, status=_status("uploading"), stage="")

            def uploaded(sent: int, total: int) -> None:
                progress.update(task, completed=0, stage=f"{sent * 100 // max(total, 1)}% sent")

            def moved(job: Job) -> None:
                stage = "" if job.is_terminal else job.stage or ""
                progress.update(task, completed=job.progress, status=_status(job.status), stage=stage)

            async with limit:
                if not with_document:  # the source only names the job (generate's template)
                    sub.job = await client.submit(
                        job_type, options=options, webhook_url=webhook_url, metadata=metadata
                    )
                elif "://" in sub.source:
                    sub.job = await client.submit(
                        job_type,
                        input=sub.source,
                        options=options,
                        webhook_url=webhook_url,
                        metadata=metadata,
                    )
                else:
                    document = await client.upload(sub.source, on_progress=uploaded)
                    sub.job = await client.submit(
                        job_type,
                        document_id=document.document_id,
                        options=options,
                        webhook_url=webhook_url,
                        metadata=metadata,
                    )
            moved(sub.job)
            if not wait:
                return
            sub.job = await client.wait(sub.job, timeout=timeout, on_progress=moved)
            if sub.job.status == "completed":
                await _save_outputs(client, sub, out_dir, output_file)
            else:
                sub.error = f"{sub.job.error_code or 'CANCELLED'}: {sub.job.error or sub.job.status}"

        with progress:
            results = await asyncio.gather(*(one(sub) for sub in submissions), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return submissions


#: Work done once before the jobs are submitted (e.g. uploading a template), filling ``options``.
Prepare = Callable[[AsyncClient, dict[str, Any]], Awaitable[None]]


def _report(state: State, submissions: list[Submission], wait: bool) -> ExitCode:
    if state.json:
        state.print_json(
            [
                {
                    "source": s.source,
                    "job": s.job.model_dump(mode="json", exclude_none=True) if s.job else None,
                    "outputs": [str(p) for p in s.outputs],
                }
                for s in submissions
            ]
        )
    else:
        table = Table(header_style="bold", title="Summary" if wait else "Submitted", title_justify="left")
        for column in ("FILE", "JOB", "STATUS", "PAGES", "OUTPUT / ERROR"):
            table.add_column(column, overflow="fold", no_wrap=column in ("JOB", "STATUS"))
        for s in submissions:
            job = s.job
            if job is None:
                continue
            detail = s.error or ", ".join(str(p) for p in s.outputs)
            if job.status == "completed" and job.result:
                detail = f"{_result_summary(job.result)} → {detail}"
            table.add_row(
                s.source,
                job.id,
                _status(job.status),
                str(job.metadata.pages or ""),
                f"[red]{detail}[/]" if s.error else detail,
            )
        state.out.print(table)
        if not wait:
            state.out.print("[dim]follow with: docjobs jobs wait <JOB>[/]")
    failed = any(s.job is not None and s.job.status in ("failed", "cancelled") for s in submissions)
    return ExitCode.JOB_FAILED if failed else ExitCode.OK


def _parse_option_pairs(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{pair!r}: expected KEY=VALUE", param_hint="--option")
        try:
            options[key] = json.loads(raw)
        except ValueError:
            options[key] = raw
    return options


def _json_object(text: str | None, what: str) -> dict[str, Any] | None:
    if text is None:
        return None
    source = Path(text[1:]).read_text() if text.startswith("@") else text
    try:
        value = json.loads(source)
    except ValueError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint=what) from None
    if not isinstance(value, dict):
        raise typer.BadParameter("must be a JSON object", param_hint=what)
    return value


def _check_sources(sources: list[str]) -> None:
    for source in sources:
        if "://" in source:
            if not source.startswith("https://"):
                raise typer.BadParameter(f"{source}: only https:// URLs can be fetched", param_hint="FILE")
        elif not Path(source).is_file():
            raise typer.BadParameter(f"{source}: no such file", param_hint="FILE")


def run_job_command(
    ctx: typer.Context,
    job_type: str,
    sources: list[str],
    options: dict[str, Any],
    *,
    wait: bool,
    timeout: float | None,
    out_dir: Path,
    webhook_url: str | None = None,
    metadata: str | None = None,
    output_file: Path | None = None,
    with_document: bool = True,
    prepare: Prepare | None = None,
) -> None:
    """What every job type's command does once it has turned its flags into ``options``.

    ``output_file``: with --wait, the output document goes to this path (one source only).
    ``with_document=False``: the sources only name the jobs; nothing is uploaded for them.
    """
    state = _state(ctx)
    if with_document:
        _check_sources(sources)
    meta = _json_object(metadata, "--metadata")
    with _errors(state):
        submissions = asyncio.run(
            _submit_and_follow(
                state,
                job_type,
                sources,
                options,
                wait=wait,
                timeout=timeout,
                out_dir=out_dir,
                webhook_url=webhook_url,
                metadata=meta,
                output_file=output_file,
                with_document=with_document,
                prepare=prepare,
            )
        )
    raise typer.Exit(_report(state, submissions, wait))


# Options every job command shares.
Sources = Annotated[
    list[str], typer.Argument(metavar="FILE", help="files to upload, or https:// URLs", show_default=False)
]
Wait = Annotated[bool, typer.Option("--wait", "-w", help="show live progress, then download the results")]
Timeout = Annotated[float | None, typer.Option(help="with --wait: give up after this many seconds")]
OutDir = Annotated[Path, typer.Option("--out", "-o", help="with --wait: where results and output files go")]
Options = Annotated[
    list[str] | None, typer.Option("--option", help="any job option as KEY=VALUE (VALUE may be JSON)")
]
WebhookUrl = Annotated[str | None, typer.Option(help="https URL notified when each job ends")]
Metadata = Annotated[str | None, typer.Option(help="your own metadata: a JSON object, or @file.json")]


class ChunkStrategy(StrEnum):
    heading = "heading"
    size = "size"


@app.command(epilog=EPILOG)
def parse(
    ctx: typer.Context,
    files: Sources,
    ocr: Annotated[
        bool | None,
        typer.Option("--ocr/--no-ocr", help="OCR every page / never OCR (default: pages without text)"),
    ] = None,
    ocr_language: Annotated[str | None, typer.Option(help="Tesseract languages, e.g. eng+deu")] = None,
    chunk_strategy: Annotated[
        ChunkStrategy | None, typer.Option(help="split at headings, or by size only")
    ] = None,
    chunk_tokens: Annotated[int | None, typer.Option(help="target tokens per chunk (64-8192)")] = None,
    vectorize: Annotated[bool, typer.Option("--vectorize", help="embed the chunks into Pinecone")] = False,
    option: Options = None,
    wait: Wait = False,
    timeout: Timeout = None,
    out: OutDir = Path("."),
    webhook_url: WebhookUrl = None,
    metadata: Metadata = None,
) -> None:
    """Parse documents into chunks (markdown text with page numbers)."""
    options: dict[str, Any] = {}
    if ocr is not None:
        options["ocr"] = "force" if ocr else "off"
    if ocr_language:
        options["ocr_language"] = ocr_language
    if chunk_strategy:
        options["chunk_strategy"] = chunk_strategy.value
    if chunk_tokens:
        options["chunk_target_tokens"] = chunk_tokens
    if vectorize:
        options["vectorize"] = True
    options.update(_parse_option_pairs(option or []))
    run_job_command(
        ctx, "parse", files, options, wait=wait, timeout=timeout, out_dir=out,
        webhook_url=webhook_url, metadata=metadata,
    )  # fmt: skip


@app.command(epilog=EPILOG)
def submit(
    ctx: typer.Context,
    job_type: Annotated[str, typer.Argument(metavar="TYPE", help="job type, e.g. parse")],
    files: Sources,
    options_json: Annotated[
        str | None, typer.Option("--options", help="the job's options: a JSON object, or @file.json")
    ] = None,
    option: Options = None,
    wait: Wait = False,
    timeout: Timeout = None,
    out: OutDir = Path("."),
    webhook_url: WebhookUrl = None,
    metadata: Metadata = None,
) -> None:
    """Submit a job of any type the server offers, with options as JSON."""
    options = _json_object(options_json, "--options") or {}
    options.update(_parse_option_pairs(option or []))
    run_job_command(
        ctx, job_type, files, options, wait=wait, timeout=timeout, out_dir=out,
        webhook_url=webhook_url, metadata=metadata,
    )  # fmt: skip


# ---------------------------------------------------------------------------- type commands' helpers


def _json_file(path: Path, param: str) -> Any:
    """A JSON file's value; a missing or malformed file is a usage error naming the option."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise typer.BadParameter(f"{path}: {exc.strerror or exc}", param_hint=param) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{path} is not JSON: {exc}", param_hint=param) from None


def _json_list(path: Path, param: str, key: str) -> list[Any]:
    """A JSON file holding a list, or an object with that list under ``key``."""
    value = _json_file(path, param)
    if isinstance(value, dict) and key in value:
        value = value[key]
    if not isinstance(value, list) or not value:
        raise typer.BadParameter(
            f"{path} must hold a non-empty JSON list (or an object with {key!r})", param_hint=param
        )
    return value


def _comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _output_target(out: Path | None, sources: list[str], param: str = "--out") -> tuple[Path, Path | None]:
    """``-o``: a directory (existing, or written with a trailing slash) or, for one source, a file."""
    if out is None:
        return Path("."), None
    if out.is_dir() or str(out).endswith(("/", "\\")):
        return out, None
    if len(sources) > 1:
        raise typer.BadParameter(
            f"{out} is not a directory: with several files, -o names the directory they go to",
            param_hint=param,
        )
    return out.parent, out


class Engine(StrEnum):
    auto = "auto"
    bedrock = "bedrock"
    openai = "openai"
    rules = "rules"


PII_KINDS = ("email", "phone", "credit_card", "iban", "us_ssn")


@app.command(epilog=EPILOG)
def extract(
    ctx: typer.Context,
    files: Sources,
    schema: Annotated[
        Path,
        typer.Option(
            "--schema", help="JSON Schema (type: object) of the data to extract", show_default=False
        ),
    ],
    instructions: Annotated[
        str | None, typer.Option(help="guidance for a model engine (≤ 4,000 chars)")
    ] = None,
    engine: Annotated[
        Engine | None, typer.Option(help="who extracts (default auto: first configured)")
    ] = None,
    model: Annotated[str | None, typer.Option(help="the model for a model engine")] = None,
    pages: Annotated[str | None, typer.Option(help='page selection, e.g. "1-3,7,10-"')] = None,
    option: Options = None,
    wait: Wait = False,
    timeout: Timeout = None,
    out: OutDir = Path("."),
    webhook_url: WebhookUrl = None,
    metadata: Metadata = None,
) -> None:
    """Extract data matching a JSON Schema, each value with its page and verification."""
    value = _json_file(schema, "--schema")
    if not isinstance(value, dict):
        raise typer.BadParameter(f"{schema} must hold a JSON Schema object", param_hint="--schema")
    options: dict[str, Any] = {"schema": value}
    if instructions is not None:
        if not instructions.strip():
            raise typer.BadParameter("is empty", param_hint="--instructions")
        options["instructions"] = instructions
    if engine:
        options["engine"] = engine.value
    if model:
        options["model"] = model
    if pages:
        options["pages"] = pages
    options.update(_parse_option_pairs(option or []))
    run_job_command(
        ctx, "extract", files, options, wait=wait, timeout=timeout, out_dir=out,
        webhook_url=webhook_url, metadata=metadata,
    )  # fmt: skip


@app.command(epilog=EPILOG)
def split(
    ctx: typer.Context,
    files: Sources,
    pages: Annotated[
        str | None, typer.Option("--pages", help='explicit parts, e.g. "1-3,4-" (N, N-M or N- to the end)')
    ] = None,
    every: Annotated[int | None, typer.Option("--every", min=1, help="parts of N pages")] = None,
    outline: Annotated[
        int | None, typer.Option("--outline", min=1, help="one part per bookmark of this LEVEL")
    ] = None,
    blank_pages: Annotated[
        bool, typer.Option("--blank-pages", help="blank pages separate parts (and are dropped)")
    ] = False,
    categories: Annotated[
        Path | None,
        typer.Option(
            "--categories",
            help='JSON list of {"name", "description", "keywords"}: cut where the category changes',
        ),
    ] = None,
    engine: Annotated[Engine | None, typer.Option(help="with --categories: who classifies pages")] = None,
    option: Options = None,
    wait: Wait = False,
    timeout: Timeout = None,
    out: OutDir = Path("."),
    webhook_url: WebhookUrl = None,
    metadata: Metadata = None,
) -> None:
    """Split documents into parts (one strategy); --wait downloads each part's PDF."""
    given = [
        name
        for name, value in (
            ("--pages", pages),
            ("--every", every),
            ("--outline", outline),
            ("--blank-pages", blank_pages),
            ("--categories", categories),
        )
        if value
    ]
    if len(given) != 1:
        found = f" (got {' and '.join(given)})" if given else ""
        _fail(
            _state(ctx),
            ExitCode.USAGE,
            f"give exactly one of --pages, --every, --outline, --blank-pages, --categories{found}",
        )
    if engine and categories is None:
        raise typer.BadParameter("only applies to --categories", param_hint="--engine")
    options: dict[str, Any] = {}
    if pages:
        ranges = _comma_list(pages)
        if not ranges:
            raise typer.BadParameter(f"{pages!r}: no page range", param_hint="--pages")
        options["page_ranges"] = ranges
    elif every:
        options["every_n_pages"] = every
    elif outline:
        options["by_outline"] = {"level": outline}
    elif blank_pages:
        options["by_separator"] = "blank_page"
    elif categories is not None:
        options["categories"] = _json_list(categories, "--categories", "categories")
        if engine:
            options["engine"] = engine.value
    options.update(_parse_option_pairs(option or []))
    run_job_command(
        ctx, "split", files, options, wait=wait, timeout=timeout, out_dir=out,
        webhook_url=webhook_url, metadata=metadata,
    )  # fmt: skip


@app.command(epilog=EPILOG)
def edit(
    ctx: typer.Context,
    files: Sources,
    redact_pii: Annotated[
        str | None, typer.Option("--redact-pii", help=f"remove these kinds: {','.join(PII_KINDS)}")
    ] = None,
    redact_text: Annotated[
        list[str] | None, typer.Option("--redact-text", help="remove this exact text (repeatable)")
    ] = None,
    ops: Annotated[
        Path | None,
        typer.Option(
            "--ops", help="JSON list of operations (fill_form, stamp, rotate_pages...), after redaction"
        ),
    ] = None,
    option: Options = None,
    wait: Wait = False,
    timeout: Timeout = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="with --wait: the edited PDF's path (one FILE), or a directory"),
    ] = None,
    webhook_url: WebhookUrl = None,
    metadata: Metadata = None,
) -> None:
    """Edit PDFs (real redaction, forms, pages, stamps); --wait downloads the edited PDF."""
    operations: list[Any] = []
    redact: dict[str, Any] = {"op": "redact"}
    if redact_pii is not None:
        kinds = _comma_list(redact_pii)
        unknown = [kind for kind in kinds if kind not in PII_KINDS]
        if unknown or not kinds:
            raise typer.BadParameter(
                f"{', '.join(unknown) or repr(redact_pii)}: choose from {', '.join(PII_KINDS)}",
                param_hint="--redact-pii",
            )
        redact["pii"] = list(dict.fromkeys(kinds))
    if redact_text:
        if not all(text.strip() for text in redact_text):
            raise typer.BadParameter("empty text", param_hint="--redact-text")
        redact["text"] = redact_text
    if len(redact) > 1:
        operations.append(redact)
    if ops is not None:
        operations.extend(_json_list(ops, "--ops", "operations"))
    if not operations:
        _fail(_state(ctx), ExitCode.USAGE, "nothing to do: give --redact-pii, --redact-text or --ops")
    out_dir, output_file = _output_target(out, files)
    options: dict[str, Any] = {"operations": operations}
    if output_file is not None:
        options["output_filename"] = output_file.name
    options.update(_parse_option_pairs(option or []))
    run_job_command(
        ctx, "edit", files, options, wait=wait, timeout=timeout, out_dir=out_dir,
        webhook_url=webhook_url, metadata=metadata, output_file=output_file,
    )  # fmt: skip


class OutputFormat(StrEnum):
    pdf = "pdf"
    docx = "docx"
    html = "html"
    md = "md"


TEMPLATE_KINDS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


@app.command(epilog=EPILOG)
def generate(
    ctx: typer.Context,
    template: Annotated[
        Path,
        typer.Option(
            "--template",
            help="Jinja2 template: .html or .md (sent inline) or .docx (uploaded)",
            show_default=False,
        ),
    ],
    data: Annotated[Path | None, typer.Option("--data", help="JSON object the template reads")] = None,
    data_from_job: Annotated[
        str | None, typer.Option(help="use the data of this completed extract job instead of --data")
    ] = None,
    output_format: Annotated[
        OutputFormat | None, typer.Option("--format", help="output format (default: -o's suffix, else pdf)")
    ] = None,
    page_size: Annotated[str | None, typer.Option(help="A4 or letter (pdf output)")] = None,
    lenient: Annotated[
        bool, typer.Option("--lenient", help="render variables the data lacks as empty instead of failing")
    ] = False,
    option: Options = None,
    wait: Wait = False,
    timeout: Timeout = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="the output document's path (its suffix sets --format), or a directory"
        ),
    ] = None,
    webhook_url: WebhookUrl = None,
    metadata: Metadata = None,
) -> None:
    """Generate a document from a template and JSON data; --wait downloads it."""
    if not template.is_file():
        raise typer.BadParameter(f"{template}: no such file", param_hint="--template")
    suffix = template.suffix.lower()
    if suffix not in TEMPLATE_KINDS and suffix != ".docx":
        raise typer.BadParameter(
            f"{template}: a template is .html, .md or .docx, not {suffix or 'a file without suffix'}",
            param_hint="--template",
        )
    if data is not None and data_from_job:
        raise typer.BadParameter("give --data or --data-from-job, not both", param_hint="--data")
    options: dict[str, Any] = {}
    prepare: Prepare | None = None
    if suffix == ".docx":

        async def upload_template(client: AsyncClient, options: dict[str, Any]) -> None:
            document = await client.upload(template)
            options["template"] = {"document_id": document.document_id}

        prepare = upload_template
    else:
        try:
            options["template"] = {TEMPLATE_KINDS[suffix]: template.read_text(encoding="utf-8")}
        except UnicodeDecodeError:
            raise typer.BadParameter(f"{template} is not UTF-8 text", param_hint="--template") from None
    if data is not None:
        value = _json_file(data, "--data")
        if not isinstance(value, dict):
            raise typer.BadParameter(f"{data} must hold a JSON object", param_hint="--data")
        options["data"] = value
    elif data_from_job:
        options["data_from_job"] = data_from_job
    out_dir, output_file = _output_target(out, [str(template)])
    fmt = output_format.value if output_format else None
    if output_file is not None:
        implied = output_file.suffix.lower().lstrip(".")
        implied = {"htm": "html", "markdown": "md"}.get(implied, implied)
        if fmt is None and implied in OutputFormat.__members__:
            fmt = implied
        elif fmt is not None and implied and implied != fmt:
            raise typer.BadParameter(
                f"{output_file.name} does not end in .{fmt} (--format {fmt})", param_hint="--out"
            )
    output: dict[str, Any] = {}
    if fmt:
        output["format"] = fmt
    if output_file is not None:
        output["filename"] = output_file.name
    if page_size:
        output["page_size"] = page_size
    if output:
        options["output"] = output
    if lenient:
        options["strict"] = False
    options.update(_parse_option_pairs(option or []))
    run_job_command(
        ctx, "generate", [str(template)], options, wait=wait, timeout=timeout, out_dir=out_dir,
        webhook_url=webhook_url, metadata=metadata, output_file=output_file, with_document=False,
        prepare=prepare,
    )  # fmt: skip


#: The job types that have their own command (the server reports the types it runs).
JOB_TYPE_COMMANDS: dict[str, Callable[..., None]] = {
    "parse": parse,
    "extract": extract,
    "split": split,
    "edit": edit,
    "generate": generate,
}


# ---------------------------------------------------------------------------- jobs


class Status(StrEnum):
    queued = "queued"
    processing = "processing"
    retrying = "retrying"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


assert tuple(s.value for s in Status) == JOB_STATUSES


@jobs_app.command("ls")
def jobs_ls(
    ctx: typer.Context,
    status: Annotated[Status | None, typer.Option(help="only jobs with this status")] = None,
    type: Annotated[str | None, typer.Option("--type", help="only jobs of this type")] = None,
    limit: Annotated[int, typer.Option(min=1, help="at most this many jobs (newest first)")] = 20,
    watch: Annotated[bool, typer.Option("--watch", help="refresh every few seconds until Ctrl-C")] = False,
    interval: Annotated[float, typer.Option(min=0.5, help="with --watch: seconds between refreshes")] = 2.0,
) -> None:
    """List jobs, newest first (follows pages up to --limit)."""
    state = _state(ctx)
    status_value = status.value if status else None

    def fetch(client: Client) -> tuple[list[JobSummary], int]:
        page_size = min(limit, 100)
        jobs = list(client.list(status=status_value, type=type, page_size=page_size, max_items=limit))
        total = client.list_page(status=status_value, type=type, limit=1).total
        return jobs, total

    with _errors(state), state.client() as client:
        jobs, total = fetch(client)
        if state.json:
            state.print_json({"jobs": [j.model_dump(mode="json") for j in jobs], "total": total})
            return
        title = f"{len(jobs)} of {total} jobs"
        if not watch:
            state.out.print(_jobs_table(jobs, title))
            return
        with Live(_jobs_table(jobs, title), console=state.out, refresh_per_second=4) as live:
            try:
                while True:
                    time.sleep(interval)
                    jobs, total = fetch(client)
                    live.update(
                        _jobs_table(jobs, f"{len(jobs)} of {total} jobs · {time.strftime('%H:%M:%S')}")
                    )
            except KeyboardInterrupt:
                pass


@jobs_app.command("show")
def jobs_show(ctx: typer.Context, job_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Show a job: status, stage, timings, error, result summary."""
    state = _state(ctx)
    with _errors(state), state.client() as client:
        job = client.get(job_id)
    if state.json:
        state.print_json(job.model_dump(mode="json"))
    else:
        state.out.print(_job_details(job))
    raise typer.Exit(ExitCode.JOB_FAILED if job.status in ("failed", "cancelled") else ExitCode.OK)


@jobs_app.command("cancel")
def jobs_cancel(ctx: typer.Context, job_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Cancel a queued, processing or retrying job."""
    state = _state(ctx)
    with _errors(state), state.client() as client:
        answer = client.cancel(job_id)
    if state.json:
        state.print_json(answer.model_dump(mode="json"))
    else:
        state.out.print(f"{answer.job_id} {_status(answer.status)}")


@jobs_app.command("wait")
def jobs_wait(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(metavar="ID")],
    timeout: Timeout = None,
) -> None:
    """Wait for a job with a live progress bar; exit 1 if it fails."""
    state = _state(ctx)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.fields[status]}"),
        BarColumn(bar_width=28),
        TaskProgressColumn(),
        TextColumn("[dim]{task.fields[stage]}"),
        TimeElapsedColumn(),
        console=state.err,
        disable=state.json,
    )
    with _errors(state), state.client() as client, progress:
        task = progress.add_task(job_id[:13], total=100, status="", stage="")

        def moved(job: Job) -> None:
            stage = "" if job.is_terminal else job.stage or ""
            progress.update(task, completed=job.progress, status=_status(job.status), stage=stage)

        job = client.wait(job_id, timeout=timeout, on_progress=moved)
    if state.json:
        state.print_json(job.model_dump(mode="json"))
    else:
        state.out.print(_job_details(job))
    raise typer.Exit(ExitCode.JOB_FAILED if job.status in ("failed", "cancelled") else ExitCode.OK)


@jobs_app.command("result")
def jobs_result(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(metavar="ID")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write the JSON here")] = None,
) -> None:
    """Print (or save) a completed job's result JSON, however large."""
    state = _state(ctx)
    with _errors(state), state.client() as client:
        result = client.result(job_id)
    if output is None:
        state.print_json(result)
    else:
        output.write_text(json.dumps(result, indent=2, ensure_ascii=False))
        state.err.print(f"saved {output}")


# ---------------------------------------------------------------------------- account, webhooks


@app.command()
def usage(ctx: typer.Context) -> None:
    """This month's credits: limit, used, reserved, remaining, by job type."""
    state = _state(ctx)
    with _errors(state), state.client() as client:
        current = client.usage()
    if state.json:
        state.print_json(current.model_dump(mode="json"))
        return
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(justify="right")
    limit = "unlimited" if current.credits_limit == 0 else str(current.credits_limit)
    remaining = "unlimited" if current.credits_remaining is None else str(current.credits_remaining)
    for name, value in (
        ("period", current.period),
        ("limit", limit),
        ("used", str(current.credits_used)),
        ("reserved", str(current.credits_reserved)),
        ("remaining", remaining),
    ):
        table.add_row(name, value)
    for job_type, spent in sorted(current.by_type.items()):
        table.add_row(f"  {job_type}", f"{spent.used} used, {spent.reserved} reserved")
    state.out.print(table)


@webhooks_app.command("verify")
def webhooks_verify(
    ctx: typer.Context,
    secret: Annotated[str, typer.Option(help="the job's webhook_secret", envvar="DOCJOBS_WEBHOOK_SECRET")],
    signature: Annotated[str, typer.Option(help="the X-Docjobs-Signature header value")],
    tolerance: Annotated[int, typer.Option(help="refuse signatures older than this (seconds)")] = 300,
) -> None:
    """Check a delivery's signature; the raw body comes on stdin. Exit 0 valid, 1 invalid."""
    state = _state(ctx)
    body = sys.stdin.buffer.read()
    try:
        payload = webhooks.verify(secret, signature, body, tolerance_seconds=tolerance)
    except webhooks.SignatureError as exc:
        if state.json:
            state.print_json({"valid": False, "reason": str(exc)})
        else:
            state.err.print(f"[bold red]invalid:[/] {exc}")
        raise typer.Exit(ExitCode.JOB_FAILED) from None
    found = payload.get("job")
    job: dict[str, Any] = found if isinstance(found, dict) else {}
    if state.json:
        state.print_json({"valid": True, "event": payload.get("event"), "job_id": job.get("id")})
    else:
        state.out.print(f"[green]valid[/]: {payload.get('event')} for job {job.get('id')}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
