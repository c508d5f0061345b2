"""Cold import time of the API handlers, compared with `import boto3` alone in the same run.

Each figure is the median of several fresh interpreters: `python -X importtime` (summing the
top-level imports' cumulative microseconds) and the wall-clock time of the import: what a Lambda
cold start pays before the handler runs. Each run of a handler alternates with a run of
`import boto3`, and the multiple is the median of those pairs' ratios, so a change in the
machine's load between runs moves both sides alike. The "floor" rows are what every API
function needs before any code of its own (boto3, pydantic with one model, Powertools' Logger).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 9
HANDLERS = [
    "list_jobs",
    "get_job",
    "cancel_job",
    "submit_job",
    "create_document",
    "get_document",
    "delete_document",
    "usage",
    "authorizer",
]
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def _template_environment() -> dict[str, str]:
    """The literal values of template.yaml's Globals environment (as every function has them);
    values that reference stack resources are left out."""
    from docjobs_local.template import load_template

    variables = load_template(ROOT / "template.yaml")["Globals"]["Function"]["Environment"]["Variables"]
    return {name: value for name, value in variables.items() if isinstance(value, str)}


_ENV = {**os.environ, **_template_environment(), "AWS_DEFAULT_REGION": "us-east-1"}


def _env() -> dict[str, str]:
    return _ENV


def import_micros(module: str, cwd: Path, extra_env: Mapping[str, str] | None = None) -> int:
    """``-X importtime``: the top-level imports' cumulative microseconds."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=cwd,
        env={**_env(), **(extra_env or {})},
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


def _timed_micros(clock: str, module: str, cwd: Path, extra_env: Mapping[str, str] | None) -> int:
    """The import alone, timed in a fresh interpreter by ``time.<clock>``."""
    code = f"import time; t = time.{clock}(); import {module}; print(time.{clock}() - t)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={**_env(), **(extra_env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return round(float(result.stdout) * 1_000_000)


def wall_micros(module: str, cwd: Path, extra_env: Mapping[str, str] | None = None) -> int:
    """Wall-clock time of the import alone, without -X importtime's own overhead."""
    return _timed_micros("perf_counter", module, cwd, extra_env)


def cpu_micros(module: str, cwd: Path, extra_env: Mapping[str, str] | None = None) -> int:
    """CPU time (user + system) of the import alone: less moved than wall time by other
    processes competing for the machine's cores."""
    return _timed_micros("process_time", module, cwd, extra_env)


def paired(
    measure: Callable[..., int], module: str, cwd: Path, extra_env: Mapping[str, str] | None = None
) -> tuple[float, float, float]:
    """Runs alternating with ``import boto3`` (the machine's load changes both alike): the median
    of each, in ms, and the median of the per-pair ratios."""
    ours, base = [], []
    for _ in range(RUNS):
        base.append(measure("boto3", ROOT))
        ours.append(measure(module, cwd, extra_env))
    ratio = statistics.median(o / b for o, b in zip(ours, base, strict=True))
    return statistics.median(ours) / 1000, statistics.median(base) / 1000, ratio


#: What any API function needs before its own code: boto3, pydantic with one model (request
#: validation, settings) and Powertools' Logger. Written to a scratch module, imported like a handler.
FLOORS = {
    "floor: boto3 + 1 pydantic model": (
        "import boto3\nfrom pydantic import BaseModel\n\n\nclass M(BaseModel):\n    x: int = 0\n"
    ),
    "floor: + Powertools Logger": (
        "import boto3\nfrom aws_lambda_powertools import Logger\nfrom pydantic import BaseModel\n\n\n"
        "class M(BaseModel):\n    x: int = 0\n\n\nlogger = Logger()\n"
    ),
}


def _row(
    label: str, ms: float, ratio: float, wall: float, wall_ratio: float, cpu: float, cpu_ratio: float
) -> str:
    return f"{label:34} {ms:14.1f} {ratio:8.2f} {wall:8.1f} {wall_ratio:8.2f} {cpu:8.1f} {cpu_ratio:8.2f}"


def main() -> None:
    import tempfile

    header = (
        f"{'import':34} {'importtime ms':>14} {'x boto3':>8} {'wall ms':>8} {'x boto3':>8} "
        f"{'cpu ms':>8} {'x boto3':>8}"
    )
    print(header)
    rows, bases = [], []
    with tempfile.TemporaryDirectory() as scratch:
        targets = [(f"functions/{name}/app.py", ROOT / "functions" / name) for name in HANDLERS]
        for label, source in FLOORS.items():
            folder = Path(scratch) / str(len(targets))
            folder.mkdir()
            (folder / "app.py").write_text(source)
            targets.append((label, folder))
        for label, cwd in targets:
            ms, base_ms, ratio = paired(import_micros, "app", cwd)
            wall, base_wall, wall_ratio = paired(wall_micros, "app", cwd)
            cpu, base_cpu, cpu_ratio = paired(cpu_micros, "app", cwd)
            bases.append((base_ms, base_wall, base_cpu))
            rows.append(_row(label, ms, ratio, wall, wall_ratio, cpu, cpu_ratio))
    base_ms = statistics.median(b[0] for b in bases)
    base_wall = statistics.median(b[1] for b in bases)
    base_cpu = statistics.median(b[2] for b in bases)
    print(_row("boto3 alone", base_ms, 1.0, base_wall, 1.0, base_cpu, 1.0))
    print("\n".join(rows))
    print(f"(x boto3: median of {RUNS} ratios, each against an `import boto3` run right before it)")


if __name__ == "__main__":
    main()
