"""The job intake queue: submissions and uploads put a job here; the starter (``JobStarterFunction``)
starts its execution when there is capacity (``docjobs.adapters.capacity``)."""

from __future__ import annotations

import json

from docjobs.adapters import aws_clients
from docjobs.core.models import JobRecord
from docjobs.core.settings import get_settings


def enqueue(job: JobRecord) -> None:
    """Ask for ``job`` to be started; raises botocore's ClientError when SQS refuses."""
    aws_clients.sqs().send_message(
        QueueUrl=get_settings().job_intake_queue_url,
        MessageBody=json.dumps({"tenant_id": job.tenant_id, "job_id": job.id, "job_type": job.type}),
    )


def delay(receipt_handle: str, seconds: int) -> None:
    """Show a message again only after ``seconds`` (a job waiting for capacity)."""
    aws_clients.sqs().change_message_visibility(
        QueueUrl=get_settings().job_intake_queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
    )
