"""Each function loads with only the packages its layers ship, as on Lambda.

Every function's handler module is imported in a fresh interpreter where any third-party package
its layers (template.yaml, layers/*/requirements.txt) do not provide cannot be imported. What a
function imports while it runs is checked by the local runtime on every invocation
(``docjobs_local.layers``), so the integration and e2e tests cover the rest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from docjobs_local import layers
from docjobs_local.template import ResolvedTemplate

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ResolvedTemplate.from_file(ROOT / "template.yaml")

_BLOCKER = textwrap.dedent(
    """
    import importlib.abc, importlib.machinery, json, sys
    ALLOWED = set(json.loads(sys.argv[1]))
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            top = name.partition(".")[0]
            if path is None and top not in ALLOWED:
                spec = importlib.machinery.PathFinder.find_spec(top)
                if spec is not None and "-packages" in (spec.origin or str(spec.submodule_search_locations)):
                    raise ImportError(f"{top} is not in this function's layers")
            return None
    sys.meta_path.insert(0, Block())
    """
)


def _function_imports(logical_id: str) -> tuple[Path, layers.FunctionImports]:
    imports = layers.template_function_imports(TEMPLATE, logical_id)
    return ROOT / TEMPLATE.function_properties(logical_id)["CodeUri"], imports


FUNCTIONS = sorted(TEMPLATE.resources_of_type("AWS::Serverless::Function"))


def test_layers_split_the_heavy_packages() -> None:
    _, list_jobs = _function_imports("ListJobsFunction")
    _, parse = _function_imports("ParseStageFunction")
    _, vectorize = _function_imports("VectorizeStageFunction")
    assert "pymupdf" not in list_jobs.modules and "pymupdf" in parse.modules
    assert "openai" not in parse.modules and "pinecone" not in parse.modules
    assert "pinecone" in vectorize.modules and "pymupdf" not in vectorize.modules
    # The registry's specs validate edit patterns with `regex`: every function has it.
    assert "regex" in list_jobs.modules


def _load(code_dir: Path, imports: layers.FunctionImports) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _BLOCKER + "import app", json.dumps(sorted(imports.modules))],
        cwd=code_dir,
        env={
            "POWERTOOLS_SERVICE_NAME": "docjobs",
            "AWS_DEFAULT_REGION": "us-east-1",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_each_function_loads_with_its_layers_only(logical_id: str) -> None:
    result = _load(*_function_imports(logical_id))
    assert result.returncode == 0, f"{logical_id}: {result.stderr[-2000:]}"


def test_a_handler_importing_a_package_its_layers_lack_does_not_load(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import pymupdf\n")
    _, imports = _function_imports("ListJobsFunction")
    result = _load(tmp_path, imports)
    assert result.returncode != 0 and "pymupdf is not in this function's layers" in result.stderr


def test_the_shared_package_is_checked_as_loading_it_would_import() -> None:
    """Loading the registry loads every job type's spec, and edit's options import `regex`."""
    assert "regex" in layers.shared_module_needs("docjobs.jobtypes.registry")
    assert "pymupdf" not in layers.shared_module_needs("docjobs.api.routes")
