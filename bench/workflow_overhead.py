"""What orchestrating a workflow costs: wall time against the sum of its children's times, and
Step Functions state transitions per step.

Runs the packet workflow (split by categories → extract per part → generate a report) on the
generated 7-page packet through the real state machines in the local runtime, with the child
poll interval at 0 and 1 s. Prints one table.

    python -m bench.workflow_overhead
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

STEPS: list[dict[str, Any]] = [
    {"id": "parts", "type": "split", "options": {"categories": []}},
    {
        "id": "fields",
        "type": "extract",
        "input": "parts.segments",
        "options": {
            "engine": "rules",
            "schema": {
                "type": "object",
                "properties": {"total": {"type": "number"}, "date": {"type": "string"}},
            },
        },
    },
    {
        "id": "report",
        "type": "generate",
        "input": "fields",
        "options": {
            "template": {
                "markdown": "# Packet\n{% for i in items %}- {{ i.total | default('-') }}\n{% endfor %}"
            },
            "output": {"format": "pdf", "filename": "report.pdf"},
        },
    },
]


def _seconds(job: dict[str, Any]) -> float:
    start = datetime.fromisoformat(job["created_at"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(job["completed_at"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


def main() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "BEDROCK_MODEL_ID": "",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    import docjobs.adapters.aws_clients
    import docjobs.core.settings
    from docjobs.adapters import api_keys
    from docjobs_local.emulator import MOTO_CONFIG, EmulatedStack
    from tests import split_documents

    STEPS[0]["options"]["categories"] = split_documents.PACKET_CATEGORIES
    rows = []
    for poll in (0, 1):
        os.environ["CHILD_POLL_SECONDS"] = str(poll)
        with mock_aws(config=MOTO_CONFIG):
            stack = EmulatedStack(
                ROOT / "template.yaml",
                parameters={"OcrEngine": "tesseract", "LogLevel": "WARNING", "BedrockModelId": ""},
            ).deploy()
            docjobs.adapters.aws_clients.reset_clients()
            docjobs.core.settings.get_settings.cache_clear()
            headers = {"Authorization": f"Bearer {api_keys.create_api_key('bench', name='bench')}"}

            def api(
                method: str, path: str, body: Any = None, stack: EmulatedStack = stack, headers: Any = headers
            ) -> Any:
                _, _, raw = stack.api_request(method, path, headers=headers, body=body)
                return json.loads(raw)

            document = api("POST", "/api/documents", {"filename": "packet.pdf"})
            bucket = stack.physical_name("DocumentsBucket")
            stack.client("s3").put_object(
                Bucket=bucket,
                Key=f"documents/bench/{document['document_id']}/packet.pdf",
                Body=split_documents.packet_pdf(),
            )
            started = time.perf_counter()
            job = api(
                "POST",
                "/api/jobs",
                {"type": "workflow", "document_id": document["document_id"], "options": {"steps": STEPS}},
            )
            arn = stack.arn("WorkflowStateMachine").replace(":stateMachine:", ":execution:") + ":" + job["id"]
            stack.wait_for_execution(arn, timeout=600)
            wall = time.perf_counter() - started
            job = api("GET", f"/api/jobs/{job['id']}")
            history = stack.execution_history(arn)
            transitions = sum(1 for e in history if e["type"].endswith("StateEntered"))
            children = [api("GET", f"/api/jobs/{i}") for s in job["result"]["steps"] for i in s["job_ids"]]
            child_sum = sum(_seconds(c) for c in children)
            by_step = {s["id"]: len(s["job_ids"]) for s in job["result"]["steps"]}
            rows.append((poll, job["status"], wall, child_sum, len(children), by_step, transitions))
            stack.close()
    print(
        "poll s | status | workflow wall s | sum of children s | children | per step | transitions | per step"
    )
    for poll, status, wall, child_sum, count, by_step, transitions in rows:
        print(
            f"{poll:6} | {status} | {wall:15.1f} | {child_sum:17.1f} | {count:8} | {by_step} | "
            f"{transitions:11} | {transitions / len(by_step):.1f}"
        )


if __name__ == "__main__":
    main()
