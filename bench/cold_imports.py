"""Cold import time of the API handlers, compared with `import boto3` alone in the same run.

Each figure is the median of several fresh interpreters (`python -X importtime`), summing the
top-level imports' cumulative microseconds: what a Lambda cold start pays before the handler runs.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7
HANDLERS = [
    "list_jobs",
    "get_job",
    "cancel_job",
    "submit_job",
    "create_document",
    "get_document",
    "usage",
    "authorizer",
]
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_micros(code: str, cwd: Path) -> int:
    env = {**os.environ, "POWERTOOLS_SERVICE_NAME": "docjobs", "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    total = 0
    for line in result.stderr.splitlines():
        match = _LINE.match(line)
        if match and len(match.group(3)) == 1:  # top-level imports only (one leading space)
            total += int(match.group(2))
    return total


def median_ms(code: str, cwd: Path) -> float:
    return statistics.median(import_micros(code, cwd) for _ in range(RUNS)) / 1000


def wall_ms(module: str, cwd: Path) -> float:
    """Median wall-clock time of the import alone, without -X importtime's own overhead."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {**os.environ, "POWERTOOLS_SERVICE_NAME": "docjobs", "AWS_DEFAULT_REGION": "us-east-1"}
    samples = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(RUNS)
    ]
    return statistics.median(samples) * 1000


def main() -> None:
    baseline = median_ms("import boto3", ROOT)
    baseline_wall = wall_ms("boto3", ROOT)
    print(f"{'import':34} {'importtime ms':>14} {'x boto3':>8} {'wall ms':>8} {'x boto3':>8}")
    print(f"{'boto3 alone':34} {baseline:14.1f} {1.0:8.2f} {baseline_wall:8.1f} {1.0:8.2f}")
    for name in HANDLERS:
        ms = median_ms("import app", ROOT / "functions" / name)
        wall = wall_ms("app", ROOT / "functions" / name)
        print(
            f"{'functions/' + name + '/app.py':34} {ms:14.1f} {ms / baseline:8.2f} "
            f"{wall:8.1f} {wall / baseline_wall:8.2f}"
        )


if __name__ == "__main__":
    main()
