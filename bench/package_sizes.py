"""Unzipped size of every function after `sam build`: its code plus the layers it uses.

Run `make sizes` (which runs `sam build` first). Lambda's limit is 250 MB unzipped
(function + layers); docjobs keeps every function under 100 MB.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from docjobs_local.template import load_template

BUILD = Path(".aws-sam/build")
LIMIT_MB = 100


def tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main() -> int:
    built = BUILD / "template.yaml"
    if not built.is_file():
        print("no .aws-sam/build/template.yaml: run `make build` first", file=sys.stderr)
        return 1
    template = load_template(built)
    resources = template["Resources"]
    global_layers = template.get("Globals", {}).get("Function", {}).get("Layers", [])
    sizes: dict[str, int] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            sizes[logical_id] = tree_bytes(BUILD / resource["Properties"]["ContentUri"])
    print(f"{'function':32} {'code MB':>8} {'layers MB':>10} {'total MB':>9}")
    worst = 0.0
    for logical_id, resource in sorted(resources.items()):
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        code = tree_bytes(BUILD / resource["Properties"]["CodeUri"])  # paths relative to the build dir
        layers = [*global_layers, *resource["Properties"].get("Layers", [])]
        layer_ids = [ref["Ref"] if isinstance(ref, dict) else str(ref) for ref in layers]
        layer_bytes = sum(sizes.get(lid, 0) for lid in layer_ids)
        total = (code + layer_bytes) / 2**20
        worst = max(worst, total)
        print(f"{logical_id:32} {code / 2**20:8.2f} {layer_bytes / 2**20:10.1f} {total:9.1f}")
    for lid, size in sizes.items():
        print(f"layer {lid}: {size / 2**20:.1f} MB")
    print(f"largest function: {worst:.1f} MB unzipped (target < {LIMIT_MB} MB; Lambda limit 250 MB)")
    return 0 if worst < LIMIT_MB else 2


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parents[1])
    raise SystemExit(main())
