"""The only place docjobs_local reaches into moto internals. Written against moto==5.2.1 (pinned).

Three patches, installed once per process by ``install()`` and idempotent:

1. **Lambda invocation → the real handler, in process.**
   With ``{"lambda": {"use_docker": False}}`` moto serves Lambda from
   ``moto.awslambda_simple.models.LambdaSimpleBackend``, whose ``invoke`` returns a canned
   payload. Every Lambda call path goes through one of two methods:

   - ``LambdaSimpleBackend.invoke(function_name, qualifier, body, headers, response_headers)``:
     the Invoke API (boto3 ``lambda.invoke``), used by Step Functions' Task states
     (``moto/stepfunctions/parser/asl/.../lambda_eval_utils.py`` creates a boto3 Lambda client)
     and by ``moto/events/notifications.py::_invoke_lambda``;
   - ``moto.awslambda.models.LambdaFunction.invoke(body, request_headers, response_headers)``:
     called directly on the function model by ``moto/s3/notifications.py::_invoke_awslambda``
     (S3 → Lambda notifications) and by the InvokeAsync API.

   Both are wrapped: if the function's name is registered with a ``Runtime`` (see
   runtime.py) the handler runs in process; otherwise moto's original method runs. A handler
   exception sets ``x-amz-function-error: Unhandled`` and a ``{"errorType", "errorMessage"}``
   payload, as the Lambda service does.

2. **EventBridge → Lambda targets.** moto's ``moto.events.models.Rule.send_to_targets`` only
   delivers to logs, SQS, event buses, archives and API destinations, and raises
   ``NotImplementedError`` for a Lambda target. The wrapper delivers to Lambda targets itself
   (after moto's own ``event_pattern.matches_event``; honouring ``Input``/``InputPath``/
   ``InputTransformer`` like moto does) and passes the other targets to the original. S3 events
   get a unique, increasing ``sequencer`` per PUT as on AWS (moto sends a constant).

3. **Step Functions "Execution Status Change" events.** AWS publishes one to the default
   event bus when a STANDARD execution ends; moto does not. The wrapper around
   ``moto.stepfunctions.parser.backend.execution.BaseExecutionWorkerCommunication.terminated``
   (called on the execution's worker thread once the ASL program ends, after which
   ``Execution.exec_status`` is SUCCEEDED/FAILED/TIMED_OUT/ABORTED) calls the moto events
   backend's ``put_events`` with source ``aws.states`` and the AWS detail shape, so the
   template's EventBridge rules route it (through patch 2) to their Lambda targets.

4. **StartExecution without a name.** AWS names such an execution with a UUID;
   ``moto.stepfunctions.parser.models.StepFunctionsParserBackend.start_execution`` names it
   ``None`` (so a second one fails with ExecutionAlreadyExists). The wrapper supplies a UUID.

5. **A second execution of a state machine.** ``start_execution`` deep-copies the state
   machine, including its ``executions`` list; once one execution has run, its worker holds
   an ``RLock`` and the copy fails (``TypeError: cannot pickle '_thread.RLock' object``).
   ``Execution.__deepcopy__`` returning the execution itself (executions are shared, never
   copied) fixes it.

6. **StopExecution right after StartExecution.** moto's ``ExecutionWorker.stop`` calls
   ``self.env.set_stop`` but ``env`` is only created once the worker thread runs, so a stop
   in between raised ``AttributeError`` (a cancel right after a submit would answer 500).
   The wrapper records such a stop and returns at once, as AWS does; the environment is
   stopped as soon as the worker creates it, before the program's first state.

7. **TransactWriteItems without copying whole tables.** moto backs up every table a
   transaction touches with ``copy.deepcopy`` (to roll back a failed transaction), so each
   job status change cost time proportional to every job stored. During a transaction the
   backup is a snapshot instead: the table object and its item index are copied (references),
   and only the items the transaction names are deep-copied (an Update mutates its item in
   place; a Put or Delete only changes the index). Rollback restores exactly as before.

8. **DynamoDB requests are atomic across threads.** moto applies a request's changes in plain
   Python without any lock: two TransactWriteItems on different threads interleave (one's
   rollback restores a snapshot taken before the other's writes, losing them), and a
   ConditionExpression is checked and then written non-atomically. The local runtime runs
   many handlers at once, so counters drifted and a cancel was overwritten. Every DynamoDB API
   request (``DynamoHandler.call_action``: reads, conditional writes, transactions) now runs
   under one process-wide lock, which gives the serializable isolation DynamoDB promises for
   single-item writes and transactions. Requests are in-memory and short, so the lock costs
   little.

9. **A stopped execution never fails a Lambda task.** When ``StopExecution`` lands while a
   Lambda Task state is being evaluated, moto's interpreter skips the evaluation of the task's
   resource (every ``EvalComponent.eval`` is a no-op once the environment is stopped) and then
   pops the wrong value from its stack: ``'dict' object has no attribute 'region'``, recorded
   as a ``States.TaskFailed`` of the stopped execution. The wrapper around the Lambda and service
   tasks' ``_eval_execution`` lets the stop win: if the environment is no longer running, the
   evaluation ends quietly. And ``Environment.set_error`` (which moto's program calls for any
   exception, replacing whatever state the program was in) no longer turns a stopped
   execution into a FAILED one: AWS reports a stopped execution as ABORTED, whatever its
   in-flight task did, so the execution tracker never sees a failure for a cancelled job.
"""

from __future__ import annotations

import copy
import datetime
import itertools
import json
import logging
import threading
import time
import uuid
from typing import Any

from .runtime import FunctionSpec, Runtime

LOG = logging.getLogger("docjobs_local.moto_patch")

MOTO_VERSION = "5.2.1"
TERMINAL_STATUSES = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")

_runtimes: list[Runtime] = []
_installed = False
_install_lock = threading.Lock()
# executionArn -> set once the status-change event has been delivered (see wait_for_status_event)
_status_events: dict[str, threading.Event] = {}
_status_lock = threading.Lock()


def register_runtime(runtime: Runtime) -> None:
    install()
    if runtime not in _runtimes:
        _runtimes.append(runtime)


def unregister_runtime(runtime: Runtime) -> None:
    if runtime in _runtimes:
        _runtimes.remove(runtime)


def _lookup(name_or_arn: str) -> tuple[Runtime, FunctionSpec] | None:
    for runtime in reversed(_runtimes):
        spec = runtime.find(name_or_arn)
        if spec is not None:
            return runtime, spec
    return None


def _decode(body: Any) -> Any:
    if body is None or body in (b"", ""):
        return {}
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8")
    if isinstance(body, str):
        return json.loads(body)
    return body


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key in headers:
        if str(key).lower() == name.lower():
            return str(headers[key])
    return None


def _dispatch(found: tuple[Runtime, FunctionSpec], body: Any, headers: Any, response_headers: Any) -> bytes:
    runtime, spec = found
    event = _decode(body)
    if _header(headers, "X-Amz-Invocation-Type") == "Event":
        runtime.invoke_event(spec, event)
        return b""
    payload, function_error = runtime.invoke(spec, event)
    if function_error and response_headers is not None:
        response_headers["x-amz-function-error"] = function_error
    if response_headers is not None:
        response_headers["Content-Length"] = str(len(payload))
    return payload


def install() -> None:
    """Install the three patches (idempotent). Fails loudly on another moto version."""
    global _installed
    with _install_lock:
        if _installed:
            return
        import moto

        if moto.__version__ != MOTO_VERSION:
            raise RuntimeError(
                f"docjobs_local patches moto internals written for moto=={MOTO_VERSION}; "
                f"found {moto.__version__}. Re-check moto_patch.py before changing the pin."
            )
        _patch_lambda()
        _patch_events()
        _patch_stepfunctions()
        _patch_dynamodb_transactions()
        _patch_dynamodb_atomicity()
        _patch_stopped_lambda_tasks()
        _installed = True


# --------------------------------------------------------------------------- 1. Lambda


def _patch_lambda() -> None:
    from moto.awslambda.models import LambdaFunction
    from moto.awslambda_simple.models import LambdaSimpleBackend

    original_backend_invoke = LambdaSimpleBackend.invoke
    original_function_invoke = LambdaFunction.invoke

    def backend_invoke(
        self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> Any:
        fn = self.get_function(function_name, qualifier)
        found = _lookup(fn.function_name)
        if found is None:
            return original_backend_invoke(self, function_name, qualifier, body, headers, response_headers)
        return _dispatch(found, body, headers, response_headers)

    def function_invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> Any:
        found = _lookup(self.function_name)
        if found is None:
            return original_function_invoke(self, body, request_headers, response_headers)
        # S3 notifications and InvokeAsync: asynchronous invocations in AWS.
        runtime, spec = found
        runtime.invoke_event(spec, _decode(body))
        return b""

    LambdaSimpleBackend.invoke = backend_invoke  # type: ignore[method-assign]
    LambdaFunction.invoke = function_invoke  # type: ignore[method-assign]


# --------------------------------------------------------------------------- 2. EventBridge


def _iso(epoch_or_str: Any) -> str:
    if isinstance(epoch_or_str, int | float):
        dt = datetime.datetime.fromtimestamp(float(epoch_or_str), tz=datetime.UTC)
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(epoch_or_str)


def _target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    from moto.events.utils import EventTemplateParser

    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        node: Any = event
        for part in target["InputPath"].lstrip("$").strip(".").split("."):
            if part:
                node = node.get(part) if isinstance(node, dict) else None
        return node
    if "InputTransformer" in target:
        transformer = target["InputTransformer"]
        rendered = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,
        )
        return rendered
    return event


def _patch_events() -> None:
    from moto.events.models import Rule

    original_send = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        _unique_s3_sequencer(original_event)
        lambda_targets = [t for t in self.targets if ":lambda:" in t.get("Arn", "")]
        if lambda_targets and self.state == "ENABLED" and self.event_pattern.matches_event(original_event):
            event = copy.deepcopy(original_event)
            event["time"] = _iso(event.get("time"))
            event.pop("ingestion-time", None)
            for target in lambda_targets:
                found = _lookup(target["Arn"])
                if found is None:
                    LOG.warning("EventBridge rule %s targets unknown function %s", self.name, target["Arn"])
                    continue
                found[0].invoke_event(found[1], _target_input(target, event))
        others = [t for t in self.targets if ":lambda:" not in t.get("Arn", "")]
        if others:
            clone = copy.copy(self)
            clone.targets = others
            original_send(clone, original_event, transform_input)

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


_MOTO_S3_SEQUENCER = "617f08299329d189"  # moto puts this constant in every S3 event
_sequence = itertools.count()


def _unique_s3_sequencer(event: Any) -> None:
    """S3 gives each PUT of a key a larger ``sequencer``; moto a constant (docjobs derives upload
    job ids from it, so a second upload of a key must not look like a redelivery of the first)."""
    obj = (event.get("detail") or {}).get("object") if event.get("source") == "aws.s3" else None
    if isinstance(obj, dict) and obj.get("sequencer") == _MOTO_S3_SEQUENCER:
        obj["sequencer"] = f"{time.time_ns():016X}{next(_sequence) % 65536:04X}"


# --------------------------------------------------------------------------- 3. Step Functions


def _epoch_ms(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000)
    return int(float(value) * 1000)


def status_change_detail(execution: Any) -> dict[str, Any]:
    """The ``detail`` of AWS's "Step Functions Execution Status Change" event for an execution."""
    output = getattr(execution, "output", None)
    if output is not None and not isinstance(output, str):
        output = json.dumps(output, separators=(",", ":"))
    inp = getattr(execution, "input_data", None)
    if inp is not None and not isinstance(inp, str):
        inp = json.dumps(inp, separators=(",", ":"))
    status = execution.exec_status
    return {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine.arn,
        "name": execution.name,
        "status": getattr(status, "value", str(status)),
        "startDate": _epoch_ms(execution.start_date),
        "stopDate": _epoch_ms(getattr(execution, "stop_date", None)),
        "input": inp,
        "output": output,
        "inputDetails": {"included": True},
        "outputDetails": {"included": output is not None} if output is not None else None,
        "error": getattr(execution, "error", None),
        "cause": getattr(execution, "cause", None),
    }


def _publish_status_change(execution: Any) -> None:
    from moto.events.models import events_backends

    detail = status_change_detail(execution)
    if detail["status"] not in TERMINAL_STATUSES:
        return
    backend = events_backends[execution.account_id][execution.region_name]
    backend.put_events(
        [
            {
                "Source": "aws.states",
                "DetailType": "Step Functions Execution Status Change",
                "Detail": json.dumps(detail),
                "Resources": [execution.exec_arn],
            }
        ]
    )


def _status_event(execution_arn: str) -> threading.Event:
    with _status_lock:
        return _status_events.setdefault(execution_arn, threading.Event())


def wait_for_status_event(execution_arn: str, timeout: float) -> bool:
    """Wait until the status-change event of a finished execution has been published (and, with
    inline delivery, handled by its Lambda targets)."""
    return _status_event(execution_arn).wait(timeout)


def _patch_stepfunctions() -> None:
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original_start = StepFunctionsParserBackend.start_execution

    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: Any = None,
        execution_input: Any = None,
        trace_header: Any = None,
    ) -> Any:
        return original_start(
            self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header
        )

    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]

    from moto.stepfunctions.parser.backend.execution import Execution

    Execution.__deepcopy__ = lambda self, memo: self  # type: ignore[attr-defined]

    original_terminated = BaseExecutionWorkerCommunication.terminated

    def terminated(self: Any) -> None:
        original_terminated(self)
        execution = self.execution
        try:
            _publish_status_change(execution)
        except Exception:
            LOG.exception("could not publish the status-change event of %s", execution.exec_arn)
        finally:
            _status_event(execution.exec_arn).set()

    BaseExecutionWorkerCommunication.terminated = terminated  # type: ignore[method-assign]

    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original_stop = ExecutionWorker.stop
    original_environment = ExecutionWorker._get_evaluation_environment
    start_lock = threading.Lock()

    def _get_evaluation_environment(self: Any) -> Any:
        env = original_environment(self)
        with start_lock:
            self.env = env
            env._docjobs_pending_stop = getattr(self, "_docjobs_pending_stop", None)
        return env

    from moto.stepfunctions.parser.asl.component.program.program import Program

    original_program_body = Program._eval_body

    def _eval_body(self: Any, env: Any) -> None:
        pending = getattr(env, "_docjobs_pending_stop", None)
        if pending is not None:
            # Stopped before it started: no state runs, the program ends ABORTED (once
            # ``Program.eval`` has made the environment "running", which set_stop requires).
            env.set_stop(**pending)
            return
        original_program_body(self, env)

    Program._eval_body = _eval_body  # type: ignore[method-assign]

    def stop(self: Any, stop_date: Any, error: Any, cause: Any) -> None:
        with start_lock:
            if getattr(self, "env", None) is None:
                self._docjobs_pending_stop = {"stop_date": stop_date, "error": error, "cause": cause}
                return
        original_stop(self, stop_date, error, cause)

    ExecutionWorker._get_evaluation_environment = _get_evaluation_environment  # type: ignore[method-assign]
    ExecutionWorker.stop = stop  # type: ignore[method-assign]


# --------------------------------------------------------------------------- 7. DynamoDB


_transaction = threading.local()


def _touched_keys(backend: Any, transact_items: list[dict[str, Any]]) -> dict[str, set[tuple[Any, Any]]]:
    """Table name -> the (hash, range) keys a transaction names (moto's DynamoType values)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    touched: dict[str, set[tuple[Any, Any]]] = {}
    for item in transact_items:
        _, op = next(iter(item.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue
        attributes = op.get("Key") or op.get("Item") or {}
        if table.hash_key_attr not in attributes:
            continue
        range_attr = table.range_key_attr
        range_value = DynamoType(attributes[range_attr]) if range_attr and range_attr in attributes else None
        touched.setdefault(table.name, set()).add((DynamoType(attributes[table.hash_key_attr]), range_value))
    return touched


def _table_snapshot(real_copy: Any, table: Any, touched: set[tuple[Any, Any]]) -> Any:
    """The table with its own item index; only the items the transaction names are deep copies."""
    snapshot = real_copy.copy(table)
    items = real_copy.copy(table.items)  # same mapping type (a defaultdict keeps its factory)
    for hash_value, bucket in table.items.items():
        if isinstance(bucket, dict):  # range-key table: {range value: Item}
            items[hash_value] = {
                range_value: real_copy.deepcopy(item) if (hash_value, range_value) in touched else item
                for range_value, item in bucket.items()
            }
        elif (hash_value, None) in touched:
            items[hash_value] = real_copy.deepcopy(bucket)
    snapshot.items = items
    return snapshot


def _patch_dynamodb_transactions() -> None:
    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    real_copy = dynamodb_models.copy

    class _TransactionCopy:
        """Stands in for the ``copy`` module inside moto.dynamodb.models."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real_copy, name)

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            touched = getattr(_transaction, "touched", None)
            if touched is not None and isinstance(value, Table):
                return _table_snapshot(real_copy, value, touched.get(value.name, set()))
            return real_copy.deepcopy(value, memo)

    dynamodb_models.copy = _TransactionCopy()  # type: ignore[assignment]
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        _transaction.touched = _touched_keys(self, transact_items)
        try:
            original(self, transact_items)
        finally:
            _transaction.touched = None

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


# --------------------------------------------------------------------------- 8. DynamoDB locking

#: Serialises every DynamoDB request of this process (reentrant: a transaction calls get_item).
DYNAMODB_LOCK = threading.RLock()


def _patch_dynamodb_atomicity() -> None:
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with DYNAMODB_LOCK:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


# --------------------------------------------------------------------------- 9. stopped tasks


def _patch_stopped_lambda_tasks() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
        StateTaskLambda,
    )

    for cls in (StateTaskLambda, StateTaskService):
        _guard_stopped(cls)

    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped

    original_set_error = Environment.set_error

    def set_error(self: Any, error: Any) -> None:
        if isinstance(self._program_state, ProgramStopped):
            return  # stopped stays stopped (ABORTED)
        original_set_error(self, error)

    Environment.set_error = set_error  # type: ignore[method-assign]


def _guard_stopped(cls: Any) -> None:
    original = cls._eval_execution

    def _eval_execution(self: Any, env: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, env, *args, **kwargs)
        except Exception:
            if not env.is_running():
                LOG.debug("execution stopped during a Lambda task; its evaluation ends here")
                return None
            raise

    cls._eval_execution = _eval_execution
