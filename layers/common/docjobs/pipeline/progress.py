"""Progress within a long stage, written at most once per interval.

Where each stage's progress starts and ends is the job type's (``JobTypeSpec.stage_spans``);
status and progress writes are ``docjobs.domain.transitions``'.
"""

from __future__ import annotations

import time

from docjobs.core.models import JobRecord, Stage
from docjobs.domain import transitions


class ThrottledProgress:
    """Clients poll every couple of seconds; writing more often only costs DynamoDB writes."""

    def __init__(self, job: JobRecord, stage: Stage, min_interval: float = 2.0) -> None:
        self.job, self.stage, self.min_interval = job, stage, min_interval
        self._last = time.monotonic()

    def update(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last >= self.min_interval:
            transitions.report_progress(self.job.tenant_id, self.job.id, self.stage, fraction)
            self._last = now
