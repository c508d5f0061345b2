"""What an extract job costs next to a parse job on the same 20-page document.

Both run end to end as jobs: template.yaml deployed into moto in process, the real state machines
(parse: Upload -> Parse -> Chunk -> Finish; extract: Upload -> Parse -> Extract), the rules
engine for extract (no model: the figure is the engine's own cost, not a model's latency).
Documents: 20 generated invoice pages (one invoice a page, a line-items table each) and the
first 20 pages of a real PDF from /usr/share/doc when one is there. Prints the median job
seconds of each and the ratio extract / parse.

Prints figures only; asserts nothing. ``.venv/bin/python -m bench.extract_vs_parse [--runs 3] [real.pdf]``
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGES = 20


def invoices(pages: int = PAGES) -> bytes:
    import pymupdf

    from tests.extract_documents import invoice_pdf

    one = pymupdf.open(stream=invoice_pdf(), filetype="pdf")
    doc = pymupdf.open()
    for _ in range(pages):
        doc.insert_pdf(one)
    data: bytes = doc.tobytes(garbage=1)
    return data


def first_pages(path: str, pages: int = PAGES) -> bytes | None:
    import pymupdf

    with pymupdf.open(path) as source:
        if source.page_count < pages:
            return None
        doc = pymupdf.open()
        doc.insert_pdf(source, from_page=0, to_page=pages - 1)
        data: bytes = doc.tobytes(garbage=1)
        return data


def real_document() -> str | None:
    candidates = sorted(glob.glob("/usr/share/doc/**/*.pdf", recursive=True), key=os.path.getsize)
    for path in candidates:
        try:
            if first_pages(path) is not None:
                return path
        except Exception:
            continue
    return None


def run_jobs(documents: dict[str, bytes], runs: int) -> dict[str, dict[str, list[float]]]:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    import docjobs.adapters.aws_clients
    import docjobs.core.settings
    from docjobs.adapters import api_keys
    from docjobs_local.emulator import MOTO_CONFIG, EmulatedStack
    from tests.extract_documents import INVOICE_SCHEMA

    times: dict[str, dict[str, list[float]]] = {name: {"parse": [], "extract": []} for name in documents}
    with mock_aws(config=MOTO_CONFIG):
        stack = EmulatedStack(
            ROOT / "template.yaml",
            parameters={"OcrEngine": "tesseract", "LogLevel": "WARNING", "BedrockModelId": ""},
            env_overrides={"POWERTOOLS_LOG_LEVEL": "WARNING"},
        ).deploy()
        docjobs.adapters.aws_clients.reset_clients()
        docjobs.core.settings.get_settings.cache_clear()
        try:
            key = api_keys.create_api_key("bench", name="bench")
            headers = {"Authorization": f"Bearer {key}"}
            bucket = stack.physical_name("DocumentsBucket")
            machines = {
                "parse": stack.state_machine_arn("ParseStateMachine"),
                "extract": stack.state_machine_arn("ExtractStateMachine"),
            }
            options: dict[str, dict[str, Any]] = {"parse": {}, "extract": {"schema": INVOICE_SCHEMA}}
            for name, data in documents.items():
                for _ in range(runs):
                    for job_type in ("parse", "extract"):
                        _, _, body = stack.api_request(
                            "POST", "/api/documents", headers=headers, body={"filename": f"{name}.pdf"}
                        )
                        document_id = json.loads(body)["document_id"]
                        stack.client("s3").put_object(
                            Bucket=bucket, Key=f"documents/bench/{document_id}/{name}.pdf", Body=data
                        )
                        started = time.perf_counter()
                        _, _, body = stack.api_request(
                            "POST",
                            "/api/jobs",
                            headers=headers,
                            body={"type": job_type, "document_id": document_id, "options": options[job_type]},
                        )
                        job_id = json.loads(body)["id"]
                        arn = machines[job_type].replace(":stateMachine:", ":execution:", 1) + ":" + job_id
                        stack.wait_for_execution(arn, timeout=900)
                        seconds = time.perf_counter() - started
                        _, _, body = stack.api_request("GET", f"/api/jobs/{job_id}", headers=headers)
                        status = json.loads(body)["status"]
                        if status != "completed":
                            raise SystemExit(f"{job_type} job on {name} ended {status}: {body[:500]!r}")
                        times[name][job_type].append(seconds)
        finally:
            stack.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "real", nargs="?", help="a PDF of at least 20 pages (default: one from /usr/share/doc)"
    )
    args = parser.parse_args()
    documents = {"invoices_20p": invoices()}
    real = args.real or real_document()
    if real:
        data = first_pages(real)
        if data is not None:
            documents[f"{Path(real).stem}_20p"] = data
    times = run_jobs(documents, args.runs)
    print(f"{'document':32} {'parse s':>8} {'extract s':>9} {'extract/parse':>13}  (median of {args.runs})")
    for name, by_type in times.items():
        parse, extract = statistics.median(by_type["parse"]), statistics.median(by_type["extract"])
        print(f"{name:32} {parse:8.2f} {extract:9.2f} {extract / parse:13.2f}")
    if real:
        print(f"real document: {real}")


if __name__ == "__main__":
    main()
