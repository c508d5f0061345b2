"""Run a render in a child process with a deadline and a memory cap.

Why a process: a Python thread cannot be stopped, and neither a sandbox hook nor a signal can
interrupt one long C call (``10**10**10``, a giant ``str.center``, a MuPDF layout). A child
process can always be killed. The child (:mod:`.worker`) caps its own address space; the parent
kills it at ``RenderLimits.seconds`` (``subprocess.run(timeout=...)`` sends SIGKILL) and turns
what happened into a VALIDATION_ERROR that says which limit the template hit.

The child gets an empty working directory and an environment with nothing but ``PATH``,
``PYTHONPATH`` (this process's ``sys.path``, so it imports the same docjobs and libraries) and
locale settings: no AWS credentials, no runtime API address.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from docjobs.core.errors import DocjobsError, InputValidationError

__all__ = ["MissingEntry", "RenderLimits", "RenderRequest", "RenderResponse", "run_sandboxed"]

_BYTES_AS_BASE64 = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")


class RenderRequest(BaseModel):
    """What the child process is asked to do (its JSON is read by ``worker.RenderWork``)."""

    model_config = _BYTES_AS_BASE64

    action: Literal["render", "layout", "inspect"]
    template_kind: Literal["html", "markdown", "docx"]
    template_text: str | None = None
    template_docx: bytes | None = None
    #: The HTML to lay out (``layout``).
    html: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    strict: bool = True
    output_format: Literal["pdf", "docx", "html", "md"] = "pdf"
    page_size: Literal["A4", "letter"] = "A4"
    margin_mm: float = 20.0
    title: str = ""
    images: dict[str, bytes] = Field(default_factory=dict)
    max_output_chars: int
    max_output_bytes: int
    max_pages: int
    memory_bytes: int


class MissingEntry(BaseModel):
    variable: str
    line: int | None = None
    near: str | None = None


class RenderResponse(BaseModel):
    """What the child answered."""

    model_config = _BYTES_AS_BASE64

    ok: bool
    content: bytes | None = None
    pages: int | None = None
    variables: list[str] = Field(default_factory=list)
    fields: list[str] = Field(default_factory=list)
    missing: list[MissingEntry] = Field(default_factory=list)
    error_message: str | None = None
    error_details: dict[str, Any] | None = None


@dataclass(frozen=True)
class RenderLimits:
    """Bounds on one render (the template's work, Markdown conversion, PDF layout, DOCX filling)."""

    #: Wall-clock seconds for the whole child process, start-up included.
    seconds: float = 30.0
    #: Address-space cap of the child process.
    memory_bytes: int = 1536 * 2**20
    #: Characters of rendered template text (HTML, Markdown, DOCX XML).
    max_output_chars: int = 10_000_000
    #: Bytes of the finished file.
    max_output_bytes: int = 50 * 2**20
    max_pages: int = 1000
    #: ``document:<id>`` images per job, and bytes of each.
    max_images: int = 20
    max_image_bytes: int = 10 * 2**20


def _child_environment() -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "LANG": "C.UTF-8",
    }
    return env


def run_sandboxed(request: RenderRequest, limits: RenderLimits) -> RenderResponse:
    """Run ``request`` in a child process within ``limits``; the response of a successful run.

    Raises InputValidationError for a template or data problem (including a limit it hit) and
    DocjobsError (INTERNAL_ERROR) when the child failed for a reason of ours.
    """
    payload = request.model_dump_json().encode()
    with tempfile.TemporaryDirectory(prefix="docjobs-render-") as workdir:
        try:
            completed = subprocess.run(
                [sys.executable, "-s", "-m", "docjobs.jobtypes.generate.worker"],
                input=payload,
                capture_output=True,
                timeout=limits.seconds,
                cwd=workdir,
                env=_child_environment(),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise InputValidationError(
                f"rendering did not finish within its time limit of {limits.seconds:g} s and was stopped:"
                " a loop that does not end (or repeats too often), or a document too large to lay out",
                details={"limit": "render_time", "seconds": limits.seconds},
            ) from exc
    if completed.returncode == 0:
        try:
            response = RenderResponse.model_validate_json(completed.stdout)
        except ValueError as exc:
            raise DocjobsError(f"the render process answered something unreadable: {exc}") from exc
        if not response.ok:
            raise InputValidationError(
                response.error_message or "rendering failed", details=response.error_details
            )
        return response
    if completed.returncode == -signal.SIGKILL:
        # Not our timeout (that raised above): the kernel's OOM killer.
        raise InputValidationError("rendering ran out of memory and was stopped", details={"limit": "memory"})
    stderr = completed.stderr.decode(errors="replace").strip().splitlines()
    last_line = stderr[-1] if stderr else "no output"
    raise DocjobsError(f"the render process failed (exit status {completed.returncode}): {last_line}")
