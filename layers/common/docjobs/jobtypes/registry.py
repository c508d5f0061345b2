"""The job types this deployment runs: one ``JobTypeSpec`` per folder under ``docjobs/jobtypes/``.

A job type is a folder ``docjobs/jobtypes/<type>/`` whose ``spec.py`` defines ``SPEC``, a state
machine ``statemachines/<type>.asl.json`` (built from ``statemachines/src/``) and its stage
functions in template.yaml. Submission, cancel, the S3 upload trigger, progress, the job detail
and the tests read this registry; nothing outside the type's folder names a type.

A type's ``spec`` module (options models and progress spans, never an engine such as PyMuPDF
or a model client) is imported when the type is first asked for, and only that type's: a
function that cancels a parse job never imports the other types' options models.
"""

from __future__ import annotations

import importlib
import math
import os
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from docjobs.core.errors import ConfigurationError, InputValidationError

STATE_MACHINE_ARN_PREFIX = "STATE_MACHINE_ARN_PREFIX"
#: The types the API contract names: listable even where this deployment does not run one.
CONTRACT_JOB_TYPES = ("parse", "extract", "split", "generate", "edit", "workflow")


def _no_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {"metadata": dict(summary), "truncated": True}


@dataclass(frozen=True)
class JobTypeSpec:
    """Everything the shared code needs to know about one job type."""

    name: str
    description: str
    options_model: type[BaseModel]
    #: Where each stage's progress starts and ends (0-100), in the order the stages run.
    stage_spans: Mapping[str, tuple[int, int]]
    #: Whether a job needs ``document_id`` or ``input`` (``generate`` does not).
    needs_document: bool = True
    #: Whether its result publishes output documents (a workflow step can read them).
    produces_documents: bool = False
    #: Whether a running job takes one of the MaxConcurrentJobs slots (docjobs.adapters.capacity).
    #: A workflow does not: it only waits for its child jobs, which take theirs; holding slots
    #: while waiting for children that need slots could deadlock.
    uses_capacity: bool = True
    #: What ``GET /api/jobs/{id}`` shows when the result is too large to inline: made from the
    #: summary the type's last stage stored on the job record.
    truncated_result: Callable[[Mapping[str, Any]], dict[str, Any]] = _no_summary
    #: Credits per page of the input (per output page for types that make documents), and per
    #: page that needs OCR on top (parse). Scaled by the ``CreditRateScale`` parameter.
    credits_per_page: int = 1
    credits_per_ocr_page: int = 0
    #: Extra checks at submission that need the tenant (e.g. documents named in options).
    check_submission: Callable[[str, BaseModel], None] | None = None
    #: ``"module:function"`` called with the job once it has ended failed or cancelled (a
    #: workflow cancels its running children); imported only when a job of the type ends.
    after_end: str | None = None
    #: Checks that also need the request's ``document_id``/``input`` (tenant id, options, the
    #: ``SubmitJobRequest``): how a type that needs no document uses one (generate: the template).
    check_request: Callable[[str, BaseModel, Any], None] | None = None
    #: Values of the job its state machine's Choices read, as ``$.flags`` of the execution input
    #: (generate: whether a model writes Markdown first). Ids and booleans, never content.
    execution_flags: Callable[[Any], Mapping[str, Any]] | None = None

    def state_machine_arn(self) -> str:
        """Every type's state machine is named ``<stack>-<type>`` (template.yaml), so one setting,
        ``STATE_MACHINE_ARN_PREFIX``, gives every type's ARN and adding a type changes no
        function's configuration or policy."""
        prefix = os.environ.get(STATE_MACHINE_ARN_PREFIX, "")
        if ":stateMachine:" not in prefix:
            raise ConfigurationError(f"{STATE_MACHINE_ARN_PREFIX} is not set: cannot start {self.name} jobs")
        return prefix + self.name

    def validate_options(self, options: Mapping[str, Any], where: str = "options") -> BaseModel:
        """The options model, or InputValidationError naming each option path that does not fit."""
        try:
            return self.options_model.model_validate(dict(options))
        except ValidationError as exc:
            errors = [{"loc": [where, *e["loc"]], "msg": e["msg"]} for e in exc.errors(include_url=False)]
            problems = "; ".join(f"{option_path(e['loc'])}: {e['msg']}" for e in errors)
            raise InputValidationError(
                f"options do not fit a {self.name} job: {problems}", details={"errors": errors}
            ) from exc

    def run_after_end(self, job: Any) -> None:
        if self.after_end is None:
            return
        module, _, function = self.after_end.partition(":")
        getattr(importlib.import_module(module), function)(job)

    def cost(self, pages: int, ocr_pages: int = 0, scale: float = 1.0) -> int:
        """Credits for ``pages`` (and ``ocr_pages`` of them OCR'd), rounded up."""
        return math.ceil((pages * self.credits_per_page + ocr_pages * self.credits_per_ocr_page) * scale)

    def progress_at(self, stage: str, fraction: float) -> int:
        start, end = self.stage_spans[stage]
        return start + round((end - start) * min(1.0, max(0.0, fraction)))


def option_path(loc: Sequence[int | str]) -> str:
    """``["options", "operations", 2, "pages"]`` → ``options.operations[2].pages``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_registry: dict[str, JobTypeSpec] = {}
_discovered = False


@cache
def _built_in_names() -> tuple[str, ...]:
    """The built-in types: the folders under ``docjobs/jobtypes/`` (listed, not imported)."""
    import docjobs.jobtypes as package

    return tuple(module.name for module in pkgutil.iter_modules(package.__path__) if module.ispkg)


def _load(name: str) -> JobTypeSpec | None:
    """The spec of one type, importing only that type's ``spec`` module."""
    if name not in _registry and name in _built_in_names():
        register(importlib.import_module(f"docjobs.jobtypes.{name}.spec").SPEC)
    return _registry.get(name)


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    for name in _built_in_names():
        _load(name)
    _discovered = True


def register(spec: JobTypeSpec) -> None:
    """Add a job type (each built-in type's ``spec`` module; tests add their own)."""
    existing = _registry.get(spec.name)
    if existing is not None and existing is not spec:
        raise ValueError(f"job type {spec.name} is registered twice")
    _registry[spec.name] = spec


def unregister(name: str) -> None:
    """Remove a job type registered by a test."""
    _registry.pop(name, None)


def job_types() -> dict[str, JobTypeSpec]:
    _discover()
    return dict(_registry)


def enabled_job_types() -> frozenset[str]:
    return frozenset(job_types())


def find_job_type(name: str) -> JobTypeSpec | None:
    """The spec of ``name``, or None when this deployment does not run it."""
    return _load(name)


def get_job_type(name: str) -> JobTypeSpec:
    """The spec of ``name``, or InputValidationError naming the types this deployment runs."""
    spec = _load(name)
    if spec is None:
        raise InputValidationError(
            f"job type '{name}' is not available in this deployment; "
            f"available: {', '.join(sorted(job_types()))}"
        )
    return spec


def check_listable_type(name: str) -> None:
    """A ``?type=`` filter must name a contract type or one this deployment runs (400 otherwise)."""
    known = sorted(set(CONTRACT_JOB_TYPES) | set(_built_in_names()) | set(_registry))
    if name not in known:
        raise InputValidationError(f"type: '{name}' is not a job type; job types: {', '.join(known)}")
