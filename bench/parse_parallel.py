"""A 3,000-page document through the page-parallel parse path of the real state machine.

Generates a ``--pages`` page PDF whose pages carry vector drawings (rules, boxes, a ruled table
every other page), deploys template.yaml into moto in process and runs one parse job: above
``PARSE_RANGE_PAGES`` (``--range-pages``, default the template's 400) the Parse task plans page
ranges, the ParsePages Map parses them, MergePages joins them. Prints the job's outcome, the
whole time, and each task's time (for the Map: every range's, whose maximum is what one range
Lambda needs on AWS, where the ranges run side by side; locally they share this machine).

Run from the project root: ``.venv/bin/python -m bench.parse_parallel`` (``--pages 3000``).
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict

from bench.parse_overhead import PipelineRunner


def _task_seconds(history: list[dict[str, object]]) -> dict[str, list[float]]:
    """Seconds of every Task state run (Map iterations give one figure each)."""
    entered: dict[str, list[object]] = defaultdict(list)
    spent: dict[str, list[float]] = defaultdict(list)
    for event in history:
        if event["type"] == "TaskStateEntered":
            entered[event["stateEnteredEventDetails"]["name"]].append(event["timestamp"])  # type: ignore[index]
        elif event["type"] == "TaskStateExited":
            name = event["stateExitedEventDetails"]["name"]  # type: ignore[index]
            started = entered[name].pop(0)
            spent[name].append((event["timestamp"] - started).total_seconds())  # type: ignore[operator]
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--range-pages", type=int, default=400)
    args = parser.parse_args()
    from tests.sample_documents import large_pdf

    started = time.perf_counter()
    data = large_pdf(args.pages, ruled=True)
    print(
        f"document: {args.pages} pages with drawings, {len(data) / 1024 / 1024:.1f} MiB "
        f"(generated in {time.perf_counter() - started:.1f} s); ranges of {args.range_pages} pages"
    )
    os.environ["PARSE_RANGE_PAGES"] = str(args.range_pages)
    with PipelineRunner() as runner:
        seconds, job = runner.run(data)
        history = runner.last_history
    print(
        f"job {job['status']} (stage {job['stage']}): {job['pages']} pages, {job['chunks']} chunks, "
        f"{seconds:.1f} s end to end ({(job['pages'] or 0) / seconds:.0f} pages/s)"
        + (f"; error: {job['error']}" if job.get("error") else "")
    )
    for name, times in _task_seconds(history).items():
        if len(times) == 1:
            print(f"  {name:12} {times[0]:7.1f} s")
        else:
            print(f"  {name:12} {len(times)} runs, longest {max(times):.1f} s, total {sum(times):.1f} s")


if __name__ == "__main__":
    main()
