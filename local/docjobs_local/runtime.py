"""In-process Lambda runtime: load ``functions/<dir>/app.py`` handlers and call them like Lambda does.

Each function has a pool of execution environments, as Lambda does: an invocation takes an
idle environment, or creates one (a cold start) when all are busy, and runs alone in it, so
concurrent invocations of one function never share a handler's module state (an API
function's resolver keeps per-request state in its module-level ``app``). An environment is
the handler module loaded with importlib under its own package name
(``_docjobs_local_fn.<LogicalId>``, then ``..__env2``, ...), so two functions' ``app.py``
never collide and relative imports inside a function directory work; nothing is added to
``sys.path``. The shared ``docjobs`` package is loaded once per process (it holds no
per-request state: see ``docjobs.api.http``).

``Runtime.invoke`` returns ``(payload_bytes, function_error)`` exactly as the Lambda Invoke API
would: on an exception, ``function_error`` is ``"Unhandled"`` and the payload is
``{"errorType": <exception class name>, "errorMessage": str(e), "stackTrace": [...]}``, which
is what Step Functions' Retry/Catch match on.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import threading
import time
import traceback
import types
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import iam, layers

LOG = logging.getLogger("docjobs_local.runtime")

_PACKAGE_ROOT = "_docjobs_local_fn"


@dataclass
class FunctionSpec:
    """One Lambda function of the template, as the local runtime needs it."""

    logical_id: str
    function_name: str
    function_arn: str
    code_dir: Path
    handler: str  # "app.lambda_handler"
    timeout_seconds: float = 3.0
    memory_mb: int = 128
    # The function role's session credentials (iam.py): its AWS calls are signed with them.
    credentials: Any = None
    # What its code may import (its layers' packages, layers.py); None: not checked.
    imports: layers.FunctionImports | None = None
    # Idle execution environments (handler instances), and how many were ever created.
    _idle: list[Callable[[Any, Any], Any]] = field(default_factory=list, repr=False)
    _environments: int = field(default=0, repr=False)


class LambdaContext:
    """The subset of the Python runtime's context object that handlers and powertools use."""

    def __init__(self, spec: FunctionSpec, deadline: float, request_id: str | None = None) -> None:
        self.function_name = spec.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.function_arn
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.function_name}"
        self.log_stream_name = f"local/[$LATEST]{self.aws_request_id.replace('-', '')}"
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Runtime:
    """Registry of functions by physical name, and the in-process invoker."""

    def __init__(self, *, enforce_timeouts: bool = True, async_events: bool = False) -> None:
        self.functions: dict[str, FunctionSpec] = {}
        self.enforce_timeouts = enforce_timeouts
        # Asynchronous event sources (S3 notifications, EventBridge targets, InvocationType=Event)
        # run on a worker thread when True (like AWS); inline when False (deterministic tests).
        self.async_events = async_events
        self._load_lock = threading.RLock()
        self._pending = 0
        self._idle = threading.Condition()
        self._pool: ThreadPoolExecutor | None = None

    # ---- registry

    def register(self, spec: FunctionSpec) -> None:
        self.functions[spec.function_name] = spec

    def find(self, name_or_arn: str) -> FunctionSpec | None:
        name = name_or_arn.split(":function:", 1)[-1].split(":", 1)[0]
        return self.functions.get(name)

    # ---- execution environments

    def load(self, spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        """A fresh handler instance of ``spec`` (its own copy of the function's modules)."""
        with self._load_lock:
            spec._environments += 1
            number = spec._environments
        module_path, _, attr = spec.handler.rpartition(".")
        if not module_path or not attr:
            raise RuntimeError(f"{spec.logical_id}: Handler {spec.handler!r} is not 'module.function'")
        file = spec.code_dir.joinpath(*module_path.split(".")).with_suffix(".py")
        if not file.is_file():
            raise RuntimeError(f"{spec.logical_id}: handler file {file} does not exist")
        with self._load_lock:  # module execution is not reentrant-safe across threads
            if _PACKAGE_ROOT not in sys.modules:
                root = types.ModuleType(_PACKAGE_ROOT)
                root.__path__ = []
                sys.modules[_PACKAGE_ROOT] = root
            # One package per execution environment: relative imports inside the function's
            # directory resolve to that environment's own modules.
            pkg_name = f"{_PACKAGE_ROOT}.{spec.logical_id}" + (f"__env{number}" if number > 1 else "")
            if pkg_name not in sys.modules:
                pkg_spec = importlib.util.spec_from_file_location(
                    pkg_name,
                    spec.code_dir / "__init__.py",
                    submodule_search_locations=[str(spec.code_dir)],
                )
                assert pkg_spec is not None
                pkg = importlib.util.module_from_spec(pkg_spec)
                sys.modules[pkg_name] = pkg
                if (spec.code_dir / "__init__.py").is_file():
                    assert pkg_spec.loader is not None
                    pkg_spec.loader.exec_module(pkg)
            mod_name = f"{pkg_name}.{module_path}"
            mod_spec = importlib.util.spec_from_file_location(mod_name, file)
            assert mod_spec is not None and mod_spec.loader is not None
            module = importlib.util.module_from_spec(mod_spec)
            sys.modules[mod_name] = module
            try:
                mod_spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[mod_name]
                raise
        handler = getattr(module, attr, None)
        if not callable(handler):
            raise RuntimeError(f"{spec.logical_id}: {file} has no callable {attr!r}")
        return handler

    def _acquire(self, spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        """An idle execution environment of ``spec``, or a new one (a cold start)."""
        with self._load_lock:
            if spec._idle:
                return spec._idle.pop()
        return self.load(spec)

    def _release(self, spec: FunctionSpec, handler: Callable[[Any, Any], Any]) -> None:
        with self._load_lock:
            spec._idle.append(handler)

    def environments(self, spec: FunctionSpec) -> int:
        """How many execution environments of ``spec`` have been created (cold starts)."""
        return spec._environments

    # ---- invocation

    def invoke(self, spec: FunctionSpec, event: Any) -> tuple[bytes, str | None]:
        """Run the handler now, in this thread. Returns (payload, FunctionError or None)."""
        started = time.monotonic()
        context = LambdaContext(spec, started + spec.timeout_seconds)
        identity = iam.run_as(spec.credentials)
        handler: Callable[[Any, Any], Any] | None = None
        try:
            with layers.running(spec.imports):
                handler = self._acquire(spec)
                result = handler(event, context)
        except Exception as exc:  # noqa: BLE001 - the Lambda runtime reports any handler error
            # Straight to stderr (what CloudWatch would show): logging config may be changed by
            # the code under test.
            sys.stderr.write(
                f"[{spec.logical_id}] raised {type(exc).__name__}: {exc}\n{traceback.format_exc()}\n"
            )
            return _error_payload(type(exc).__name__, str(exc), exc), "Unhandled"
        finally:
            iam.reset_identity(identity)
            if handler is not None:
                self._release(spec, handler)
        elapsed = time.monotonic() - started
        if self.enforce_timeouts and elapsed > spec.timeout_seconds:
            message = f"Task timed out after {spec.timeout_seconds:.2f} seconds"
            sys.stderr.write(f"[{spec.logical_id}] {message} (took {elapsed:.2f}s)\n")
            return _error_payload("Sandbox.Timedout", message, None), "Unhandled"
        try:
            return json.dumps(result).encode("utf-8"), None
        except (TypeError, ValueError) as exc:
            return _error_payload("Runtime.MarshalError", f"Unable to marshal response: {exc}", None), (
                "Unhandled"
            )

    def invoke_event(self, spec: FunctionSpec, event: Any) -> None:
        """An asynchronous invocation (S3, EventBridge, InvocationType=Event)."""
        if not self.async_events:
            self.invoke(spec, event)
            return
        with self._idle:
            self._pending += 1
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="docjobs-local-event")
        self._pool.submit(self._run_event, spec, event)

    def _run_event(self, spec: FunctionSpec, event: Any) -> None:
        try:
            self.invoke(spec, event)
        finally:
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no asynchronous invocation is pending; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=False)
            self._pool = None


def _error_payload(error_type: str, message: str, exc: BaseException | None) -> bytes:
    body: dict[str, Any] = {"errorMessage": message, "errorType": error_type, "requestId": ""}
    if exc is not None:
        body["stackTrace"] = traceback.format_tb(exc.__traceback__)
    return json.dumps(body).encode("utf-8")
