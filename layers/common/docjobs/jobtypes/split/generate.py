"""Stage ``generating`` of a split job: write each part, publish the result, complete the job.

Parts are written one at a time (``materialize.iter_parts``) and staged as output documents;
``publish_result`` registers them as documents of the tenant only when the job completes, so a
job cancelled while its parts are being written registers none. Progress writes (at most every
2 s) also notice a cancel and stop the stage between parts.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from docjobs.adapters import aws_clients, storage
from docjobs.adapters.storage import OutputDocument
from docjobs.core.models import JobRecord
from docjobs.domain import transitions
from docjobs.jobtypes.split.decide import DecideOutput, load_plan
from docjobs.jobtypes.split.options import SplitOptions
from docjobs.jobtypes.split.plan import SplitPlan
from docjobs.jobtypes.split.result import PartDocument, build_result
from docjobs.pipeline.progress import ThrottledProgress
from docjobs.pipeline.results import PublishedResult, publish_result, write_json_result
from docjobs.pipeline.runner import StageInput, stage

PDF = "application/pdf"


class GenerateInput(StageInput):
    document_key: str
    decide: DecideOutput


def _write_parts(job: JobRecord, plan: SplitPlan, document_key: str) -> list[OutputDocument]:
    from docjobs.engines.pdf import MUPDF_LOCK, open_document
    from docjobs.jobtypes.split.materialize import as_pdf, iter_parts

    filename = document_key.rsplit("/", 1)[-1]
    stem = Path(filename).stem
    progress = ThrottledProgress(job, "generating")
    outputs: list[OutputDocument] = []
    with tempfile.NamedTemporaryFile(suffix="-" + filename) as source, tempfile.TemporaryDirectory() as parts:
        aws_clients.s3().download_fileobj(storage.bucket(), document_key, source)
        source.flush()
        with MUPDF_LOCK, open_document(source.name, filename=filename) as doc:
            pdf = as_pdf(doc)
            try:
                for part in iter_parts(pdf, plan, stem=stem, directory=parts):
                    with part.path.open("rb") as body:
                        outputs.append(
                            storage.stage_output(
                                job.tenant_id, job.id, part.filename, body, PDF, pages=part.pages
                            )
                        )
                    progress.update(part.number / len(plan.segments))
            finally:
                if pdf is not doc:
                    pdf.close()
    return outputs


@stage("generating")
def generate(task: GenerateInput, job: JobRecord) -> PublishedResult:
    options = SplitOptions.model_validate(job.options)
    plan = load_plan(job.tenant_id, job.id)
    outputs = _write_parts(job, plan, task.document_key) if options.materialize else []
    transitions.report_progress(job.tenant_id, job.id, "generating", 1.0)
    parts = (
        [
            PartDocument(document_id=o.document_id, filename=o.filename, bytes=o.bytes, pages=o.pages or 0)
            for o in outputs
        ]
        if options.materialize
        else None
    )
    result = build_result(plan, parts)
    summary = {
        "strategy": plan.strategy,
        "engine": plan.engine,
        "pages": plan.pages,
        "segments": len(plan.segments),
        "unassigned_pages": len(plan.unassigned_pages),
    }
    return publish_result(job, write_json_result(result.model_dump(mode="json")), summary, outputs)
