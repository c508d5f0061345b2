"""``docjobs``: the command line of the docjobs Jobs API (Typer + Rich).

Exit codes (also in ``docjobs --help``):
  0 ok · 1 a job failed or was cancelled (its error_code is printed) · 2 usage error (bad
  arguments, missing URL/key, or the API's 400 VALIDATION_ERROR) · 3 the API refused the
  request (401, 404, 409, 429) · 4 the API or storage could not be reached (5xx, network) ·
  5 timed out waiting.

Job types get one command each (``parse`` today); a type the server adds is a few lines here
(see ``parse``), and ``docjobs submit TYPE`` reaches any type meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable, Iterator
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


async def _save_outputs(client: AsyncClient, sub: Submission, out_dir: Path) -> None:
    """The job's result JSON, and every output document it wrote, into ``out_dir``."""
    assert sub.job is not None
    out_dir.mkdir(parents=True, exist_ok=True)
    result = await client.result(sub.job)
    stem = Path(sub.source).stem if "://" not in sub.source else sub.job.id
    result_path = out_dir / f"{stem}.{sub.job.type}.json"
    result_path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    sub.outputs.append(result_path)
    for document_id in _output_documents(result):
        sub.outputs.append(await client.download(document_id, out_dir))


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

        async def one(sub: Submission) -> None:
            name = Path(sub.source).name if "://" not in sub.source else sub.source
            task = progress.add_task(name[:40], total=100, status=_status("uploading"), stage="")

            def uploaded(sent: int, total: int) -> None:
                progress.update(task, completed=0, stage=f"{sent * 100 // max(total, 1)}% sent")

            def moved(job: Job) -> None:
                stage = "" if job.is_terminal else job.stage or ""
                progress.update(task, completed=job.progress, status=_status(job.status), stage=stage)

            async with limit:
                if "://" in sub.source:
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
                await _save_outputs(client, sub, out_dir)
            else:
                sub.error = f"{sub.job.error_code or 'CANCELLED'}: {sub.job.error or sub.job.status}"

        with progress:
            results = await asyncio.gather(*(one(sub) for sub in submissions), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return submissions


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
) -> None:
    """What every job type's command does once it has turned its flags into ``options``."""
    state = _state(ctx)
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


#: The job types that have their own command (the server reports the types it runs).
JOB_TYPE_COMMANDS: dict[str, Callable[..., None]] = {"parse": parse}


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
