"""What shipping bytecode in the common layer saves an API function's cold start.

Lambda's /opt is read-only: a layer without .pyc files is compiled again on every cold start.
This bench builds, in a scratch folder, the layer as a handler sees it: the docjobs package and
the installed packages the handler imports that the Lambda runtime does not provide (the runtime
ships boto3, botocore, s3transfer, urllib3, dateutil, six, jmespath and certifi, compiled). It
imports each handler with that folder first on sys.path and bytecode writing off, once with
sources only (as SAM's ``python3.12`` build method ships them) and once compiled with
``compileall --invalidation-mode checked-hash`` (layers/common/Makefile). Each run alternates
with an ``import boto3`` run; the multiple is the median of the pairs' ratios (CPU time).

    python -m bench.cold_bytecode
"""

from __future__ import annotations

import compileall
import json
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from py_compile import PycInvalidationMode

from bench.cold_imports import HANDLERS, ROOT, _env, cpu_micros, paired

#: Top-level packages the Lambda Python runtime already has (with bytecode).
RUNTIME_PACKAGES = {"boto3", "botocore", "s3transfer", "urllib3", "dateutil", "six", "jmespath", "certifi"}
SITE = Path(sysconfig.get_paths()["purelib"]).resolve()


def _imported_packages(handler: str) -> set[str]:
    """The site-packages top-level names ``functions/<handler>/app.py`` imports."""
    code = (
        "import json, sys, app\n"
        "print(json.dumps([getattr(m, '__file__', None) for m in list(sys.modules.values())]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "functions" / handler,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    names = set()
    for file in json.loads(result.stdout.splitlines()[-1]):
        if not file:
            continue
        path = Path(file).resolve()
        if SITE in path.parents:
            names.add(path.relative_to(SITE).parts[0])
    # Not the runtime's packages, nor what this venv's .pth files load at startup.
    return {n for n in names if n.split(".")[0] not in RUNTIME_PACKAGES and not n.startswith("_")}


def build_layer(folder: Path) -> None:
    names: set[str] = set()
    for handler in HANDLERS:
        names |= _imported_packages(handler)
    for name in sorted(names):
        source = SITE / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.is_file() and source.suffix in {".py", ".so"}:
            shutil.copy2(source, folder / name)
    shutil.copytree(
        ROOT / "layers" / "common" / "docjobs",
        folder / "docjobs",
        ignore=shutil.ignore_patterns("__pycache__"),
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        layer = Path(scratch) / "python"
        layer.mkdir()
        build_layer(layer)
        extra = {"PYTHONPATH": str(layer), "PYTHONDONTWRITEBYTECODE": "1"}
        sources: dict[str, tuple[float, float]] = {}
        for handler in HANDLERS:
            ms, _, ratio = paired(cpu_micros, "app", ROOT / "functions" / handler, extra)
            sources[handler] = (ms, ratio)
        compileall.compile_dir(
            str(layer),
            quiet=1,
            workers=0,
            invalidation_mode=PycInvalidationMode.CHECKED_HASH,
        )
        print(f"{'handler (cpu ms, x boto3)':34} {'sources only':>20} {'with bytecode':>20}")
        for handler in HANDLERS:
            ms, ratio = paired(cpu_micros, "app", ROOT / "functions" / handler, extra)[0::2]
            before_ms, before_ratio = sources[handler]
            print(
                f"{'functions/' + handler + '/app.py':34} {before_ms:11.1f} {before_ratio:7.2f}x "
                f"{ms:11.1f} {ratio:7.2f}x"
            )


if __name__ == "__main__":
    main()
