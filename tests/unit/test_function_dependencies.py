"""Functions without the pipeline layer must never import PyMuPDF, pinecone or textractcaller.

Each function's handler module is imported in a fresh interpreter where those packages cannot
be imported (as in Lambda, where the layer is absent); the chunking stage also runs its work.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from docjobs_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
PIPELINE_PACKAGES = ("pymupdf", "fitz", "pinecone", "textractcaller", "trp")

_BLOCKER = textwrap.dedent(
    f"""
    import importlib.abc, sys
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in {PIPELINE_PACKAGES!r}:
                raise ImportError(f"{{name}} is in the pipeline layer, which this function does not have")
            return None
    sys.meta_path.insert(0, Block())
    """
)


def _functions_without_pipeline_layer() -> list[tuple[str, str]]:
    template = load_template(ROOT / "template.yaml")
    found = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        layers = [str(getattr(layer, "value", layer)) for layer in resource["Properties"].get("Layers", [])]
        if not any("PipelineLayer" in layer for layer in layers):
            found.append((logical_id, resource["Properties"]["CodeUri"]))
    return sorted(found)


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"POWERTOOLS_SERVICE_NAME": "docjobs", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", _BLOCKER + code], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_the_template_gives_the_pipeline_layer_only_to_some_functions() -> None:
    names = [name for name, _ in _functions_without_pipeline_layer()]
    assert "ListJobsFunction" in names
    assert "ChunkStageFunction" in names
    assert "ParseStageFunction" not in names


@pytest.mark.parametrize(("logical_id", "code_uri"), _functions_without_pipeline_layer())
def test_function_imports_without_the_pipeline_layer(logical_id: str, code_uri: str) -> None:
    result = _run("import app", ROOT / code_uri)
    assert result.returncode == 0, f"{logical_id}: {result.stderr[-2000:]}"


def test_chunking_stage_work_needs_no_pipeline_package() -> None:
    code = textwrap.dedent(
        """
        from docjobs.engines.chunking import ChunkingOptions, chunk_pages
        from docjobs.engines.pdf import ParsedPage
        from docjobs.jobtypes.parse.chunk import vectorize_decision
        pages = [ParsedPage(page=1, text="# Title\\n\\nSome body text. " * 40, char_count=100)]
        chunks = list(chunk_pages(pages, ChunkingOptions(target_tokens=64, overlap_tokens=8)))
        assert chunks, "no chunks"
        print(len(chunks), vectorize_decision(True, len(chunks)))
        """
    )
    result = _run(code, ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "no Pinecone API key" in result.stdout
