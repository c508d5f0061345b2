"""Lambda's SQS event source mappings, locally: a poller per function ``SQS`` event.

moto invokes an SQS-mapped function once, inline, when a message is sent, and never again, so a
message a function reports as failed (``ReportBatchItemFailures``) or that was delayed with
ChangeMessageVisibility would never be seen again. These pollers do what Lambda's do:
``ScalingConfig.MaximumConcurrency`` threads (default 2) receive up to ``BatchSize`` messages
with the function's role, invoke the handler, and delete what succeeded (every message, or all
but the reported ``batchItemFailures``); failed messages come back after their visibility
timeout, and the queue's redrive policy moves them to its dead-letter queue.

A message sent to a polled queue wakes its pollers at once (a wrapper around moto's
``SQSBackend.send_message``/``send_message_batch``); otherwise an idle poller looks again every
``IDLE_POLL_SECONDS``.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from . import iam
from .runtime import FunctionSpec, Runtime

LOG = logging.getLogger("docjobs_local.pollers")
IDLE_POLL_SECONDS = 0.5

_wakeups: dict[str, list[threading.Event]] = {}  # queue name → its pollers' wake-up events
_patch_lock = threading.Lock()
_patched = False


def _patch_sqs_send() -> None:
    global _patched
    with _patch_lock:
        if _patched:
            return
        from moto.sqs.models import SQSBackend

        for name in ("send_message", "send_message_batch"):
            setattr(SQSBackend, name, _waking(getattr(SQSBackend, name)))
        _patched = True


def _waking(original: Any) -> Any:
    def wrapper(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        result = original(self, queue_name, *args, **kwargs)
        for event in list(_wakeups.get(queue_name, [])):
            event.set()
        return result

    return wrapper


class SqsPoller:
    """Polls one queue for one function, like a Lambda event source mapping."""

    def __init__(
        self,
        runtime: Runtime,
        spec: FunctionSpec,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        *,
        batch_size: int = 10,
        concurrency: int = 2,
        report_batch_item_failures: bool = False,
        region: str = "us-east-1",
    ) -> None:
        self.runtime = runtime
        self.spec = spec
        self.sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.queue_name = queue_url.rstrip("/").rsplit("/", 1)[-1]
        self.batch_size = max(1, min(10, batch_size))
        self.concurrency = max(1, concurrency)
        self.report_failures = report_batch_item_failures
        self.region = region
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._empty_polls = 0
        self._lock = threading.Condition()

    def start(self) -> None:
        _patch_sqs_send()
        _wakeups.setdefault(self.queue_name, []).append(self._wake)
        for i in range(self.concurrency):
            thread = threading.Thread(
                target=self._loop, name=f"docjobs-local-sqs-{self.spec.logical_id}-{i}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=10)
        if self._wake in _wakeups.get(self.queue_name, []):
            _wakeups[self.queue_name].remove(self._wake)

    def idle(self) -> bool:
        """Nothing in flight and the last receive found the queue empty (of visible messages)."""
        with self._lock:
            return self._busy == 0 and self._empty_polls > 0

    def _loop(self) -> None:
        identity = iam.run_as(self.spec.credentials)  # Lambda polls with the function's role
        try:
            while not self._stop.is_set():
                try:
                    handled = self._poll_once()
                except Exception:
                    LOG.exception("SQS poller for %s failed; retrying", self.spec.logical_id)
                    handled = False
                if not handled:
                    self._wake.wait(IDLE_POLL_SECONDS)
                    self._wake.clear()
        finally:
            iam.reset_identity(identity)

    def _poll_once(self) -> bool:
        with self._lock:
            self._busy += 1
        try:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=self.batch_size,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            with self._lock:
                self._empty_polls = 0 if messages else self._empty_polls + 1
            if not messages:
                return False
            event = {"Records": [self._record(m) for m in messages]}
            payload, error = self.runtime.invoke(self.spec, event)
            if error:
                return True  # every message comes back after its visibility timeout
            failed: set[str] = set()
            if self.report_failures and payload:
                result = json.loads(payload) or {}
                failed = {f["itemIdentifier"] for f in (result.get("batchItemFailures") or [])}
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                self.sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
                )
            return True
        finally:
            with self._lock:
                self._busy -= 1
                self._lock.notify_all()

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }
