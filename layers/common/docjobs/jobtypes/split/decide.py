"""Stage ``extracting`` of a split job: decide the parts (the plan work file).

Rule strategies read the PDF itself (page count, outline, blank pages); ``categories`` streams
the text the shared parsing/OCR stages wrote, one page at a time, and reads the PDF's page
labels. A document that does not fit the options (a range past the last page, no outline, pages
matching no category with ``allow_uncategorized: false``) fails the job with VALIDATION_ERROR.
"""

from __future__ import annotations

import tempfile

from pydantic import BaseModel

from docjobs.adapters import aws_clients, storage
from docjobs.core.models import JobRecord
from docjobs.domain import transitions
from docjobs.engines.models import resolve_engine
from docjobs.jobtypes.parse.chunk import merged_pages
from docjobs.jobtypes.split.categories import plan_by_categories
from docjobs.jobtypes.split.cues import PageText, label_resets
from docjobs.jobtypes.split.options import SplitOptions
from docjobs.jobtypes.split.plan import SplitPlan
from docjobs.jobtypes.split.rules import plan_by_rules
from docjobs.pipeline.progress import ThrottledProgress
from docjobs.pipeline.runner import StageInput, stage
from docjobs.pipeline.stages.parse import ParseOutput

#: The plan work file (segments and unassigned pages; small).
PLAN = "split/plan.json"


class DecideInput(StageInput):
    document_key: str
    parse: ParseOutput


class DecideOutput(BaseModel):
    strategy: str
    engine: str
    pages: int
    segments: int
    unassigned_pages: int
    materialize: bool


def plan_key(tenant_id: str, job_id: str) -> str:
    return storage.work_key(tenant_id, job_id, PLAN)


def load_plan(tenant_id: str, job_id: str) -> SplitPlan:
    return SplitPlan.model_validate(storage.get_json(plan_key(tenant_id, job_id)))


@stage("extracting")
def decide(task: DecideInput, job: JobRecord) -> DecideOutput:
    from docjobs.engines.pdf import MUPDF_LOCK, open_document

    options = SplitOptions.model_validate(job.options)
    progress = ThrottledProgress(job, "extracting")
    filename = task.document_key.rsplit("/", 1)[-1]
    resets: dict[int, str] = {}
    plan: SplitPlan | None = None
    with tempfile.NamedTemporaryFile(suffix="-" + filename) as source:
        aws_clients.s3().download_fileobj(storage.bucket(), task.document_key, source)
        source.flush()
        with MUPDF_LOCK, open_document(source.name, filename=filename) as doc:
            if options.strategy == "categories":
                resets = label_resets(doc)
            else:
                plan = plan_by_rules(doc, options, progress=progress.update)
    if plan is None:
        # The same choice as at submission (a 400 then); the deployment's engines may have changed
        # since, which fails the job with VALIDATION_ERROR naming the configured ones.
        choice = resolve_engine(options.engine, options.model)
        total = task.parse.pages
        pages = (PageText.from_row(row) for row in merged_pages(job.tenant_id, job.id))
        plan = plan_by_categories(
            pages,
            total,
            options,
            engine=choice.engine,
            label_resets=resets,
            progress=lambda page: progress.update(page / total),
        )
    storage.put_json(plan_key(job.tenant_id, job.id), plan.model_dump(mode="json"))
    transitions.report_progress(job.tenant_id, job.id, "extracting", 1.0)
    return DecideOutput(
        strategy=plan.strategy,
        engine=plan.engine,
        pages=plan.pages,
        segments=len(plan.segments),
        unassigned_pages=len(plan.unassigned_pages),
        materialize=options.materialize,
    )
