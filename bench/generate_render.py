"""Time and peak memory of a generate render: a 2,000-row table to a PDF of about 50 pages.

The template is an HTML report whose table has one row per data item (2,000 items, five
columns), rendered exactly as a generate job does: ``engine.generate_document`` runs the
sandboxed render child (Jinja2), then the layout child (PyMuPDF Story, A4, 20 mm margins).

Prints, per run and as the median: wall time of each phase (render, layout) and of the whole
call (child start-up included), pages and bytes; then the peak resident set of each child
process (``RUSAGE_CHILDREN`` measured in a fresh interpreter per phase) and of the calling
process. Asserts nothing. Run from the project root:
``.venv/bin/python -m bench.generate_render`` (``--rows 2000 --runs 3``).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

TEMPLATE = """<style>th, td { padding: 1.5pt 4pt; }</style>
<h1>Shipment report {{ report.number }}</h1>
<p>Warehouse {{ report.warehouse }}, {{ report.period }}. {{ rows|length }} lines.</p>
<table>
<thead><tr><th>#</th><th>SKU</th><th>Description</th><th>Qty</th><th>Amount</th></tr></thead>
<tbody>
{% for row in rows %}<tr><td>{{ loop.index }}</td><td>{{ row.sku }}</td><td>{{ row.description }}</td>
<td>{{ row.qty }}</td><td>{{ "%.2f"|format(row.amount) }}</td></tr>
{% endfor %}</tbody>
</table>
<p>Total: {{ "%.2f"|format(rows|sum(attribute="amount")) }}</p>
"""


def data(rows: int) -> dict[str, Any]:
    return {
        "report": {"number": "SR-2026-11", "warehouse": "Leipzig North", "period": "November 2026"},
        "rows": [
            {
                "sku": f"SKU-{i:05d}",
                "description": f"Pallet of model {i % 97} fasteners, zinc plated",
                "qty": i % 40 + 1,
                "amount": round((i % 40 + 1) * 3.75, 2),
            }
            for i in range(1, rows + 1)
        ],
    }


def _phases(rows: int) -> tuple[float, float, int, int]:
    """(render s, layout s, pages, bytes): the two child processes generate_document runs."""
    from docjobs.jobtypes.generate.engine import TemplateSource, _request
    from docjobs.jobtypes.generate.rendering import RenderLimits, run_sandboxed

    limits = RenderLimits()
    template = TemplateSource(kind="html", text=TEMPLATE)
    started = time.perf_counter()
    rendered = run_sandboxed(
        _request(template, limits, action="render", data=data(rows), output_format="pdf", title="bench"),
        limits,
    )
    rendered_at = time.perf_counter()
    laid_out = run_sandboxed(
        _request(template, limits, action="layout", html=(rendered.content or b"").decode(), title="bench"),
        limits,
    )
    done = time.perf_counter()
    return rendered_at - started, done - rendered_at, laid_out.pages or 0, len(laid_out.content or b"")


def measure_child(phase: str, rows: int) -> None:
    """In a fresh interpreter: run up to ``phase`` and print the peak RSS of the last child (MiB)."""
    from docjobs.jobtypes.generate.engine import TemplateSource, _request
    from docjobs.jobtypes.generate.rendering import RenderLimits, run_sandboxed

    limits = RenderLimits()
    template = TemplateSource(kind="html", text=TEMPLATE)
    rendered = run_sandboxed(
        _request(template, limits, action="render", data=data(rows), output_format="pdf", title="bench"),
        limits,
    )
    peak_render = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if phase == "layout":
        html = (rendered.content or b"").decode()
        run_sandboxed(_request(template, limits, action="layout", html=html, title="bench"), limits)
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "render_child_mib": peak_render / 1024,
                "children_mib": peak_children / 1024,
                "self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--measure", choices=["render", "layout"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure_child(args.measure, args.rows)
        return

    from docjobs.jobtypes.generate.engine import TemplateSource, generate_document
    from docjobs.jobtypes.generate.options import OutputOptions

    print(f"generate: HTML template, {args.rows:,}-row table -> PDF (A4, 20 mm margins)")
    renders, layouts, totals = [], [], []
    for run in range(1, args.runs + 1):
        render_s, layout_s, pages, size = _phases(args.rows)
        started = time.perf_counter()
        document = generate_document(
            TemplateSource(kind="html", text=TEMPLATE),
            data(args.rows),
            output=OutputOptions(filename="bench"),
        )
        total_s = time.perf_counter() - started
        assert document.pages == pages
        renders.append(render_s)
        layouts.append(layout_s)
        totals.append(total_s)
        print(
            f"  run {run}: render {render_s:.2f} s, layout {layout_s:.2f} s;"
            f" generate_document {total_s:.2f} s; {pages} pages, {size / 1024:.0f} KiB"
        )
    print(
        f"median: render {statistics.median(renders):.2f} s, layout {statistics.median(layouts):.2f} s,"
        f" generate_document {statistics.median(totals):.2f} s"
    )

    peaks = {}
    for phase in ("render", "layout"):
        out = subprocess.run(
            [sys.executable, "-m", "bench.generate_render", "--measure", phase, "--rows", str(args.rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        peaks[phase] = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"peak RSS: render child {peaks['render']['render_child_mib']:.0f} MiB,"
        f" layout child {peaks['layout']['children_mib']:.0f} MiB (max of both children),"
        f" calling process {peaks['layout']['self_mib']:.0f} MiB"
    )


if __name__ == "__main__":
    main()
