"""Ruled tables for little cost: PyMuPDF's table finder only where a ruled table can be.

``page.find_tables()`` is expensive on pages with vector graphics: it clusters every drawing
(``get_drawings()``, pairwise), reads the text of each cluster and walks every character of
the page in Python. Most pages of real manuals have drawings (rules, shaded code blocks,
boxes) but no table, and the finder then keeps nothing after seconds of work.

A kept table has at least two rows and two columns, so its ruling (the lines, rectangle
borders, and the borders of the clusters the finder adds) has at least three distinct
horizontal and three distinct vertical positions. The pre-check computes exactly those from
``get_cdrawings()`` (raw tuples, cheap): drawings are grouped like the finder groups them
(touching within its snap tolerance), and only groups with a 3 x 3 ruling and some text in
them go on, each with its own drawings and a clip around it. Pages without such a group cost
one ``get_cdrawings()``. On a group, the finder's grid code runs on edges made here from the
raw drawings (see below): the same tables as ``find_tables(clip=..., paths=...)`` without its
per-character and rendering work.

Cell text is read from the page's words, each word going whole to the cell that holds its
centre: the finder cuts characters at cell borders ("nput size" where a ruling runs through
the "I" of "Input size").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf

__all__ = ["Table", "candidate_regions", "find_page_tables", "table_to_markdown"]

#: PyMuPDF's table finder tolerances (snap, join, edge_min_length are all 3 by default).
_SNAP = 3.0
#: Positions closer than this count as one ruling (smaller than the finder's snap: errs on
#: the side of calling the finder).
_SAME_POSITION = 1.0
#: A kept table has >= 2 rows and >= 2 columns: >= 3 rulings each way.
_MIN_RULINGS = 3
#: Bucket size (points) of the spatial grid that groups drawings.
_BUCKET = 48.0

Rect = tuple[float, float, float, float]

_WS = re.compile(r"\s+")


@dataclass
class Table:
    bbox: Rect
    rows: list[list[str]]

    @property
    def markdown(self) -> str:
        return table_to_markdown(self.rows)


def _cell(value: object) -> str:
    text = "" if value is None else _WS.sub(" ", str(value)).strip()
    return text.replace("\\", "\\\\").replace("|", "\\|")


def table_to_markdown(rows: Sequence[Sequence[object]]) -> str:
    """Rows (first row is the header) → a markdown table, one line per row.

    The one renderer of tables (PyMuPDF's and Textract's): whitespace in a cell is collapsed,
    ``|`` and ``\\`` are escaped, short rows are padded.
    """
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    lines: list[str] = []
    for i, row in enumerate(rows):
        cells = [_cell(c) for c in row] + [""] * (width - len(row))
        lines.append("| " + " | ".join(cells) + " |")
        if i == 0:
            lines.append("|" + "|".join(["---"] * width) + "|")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Pre-check: groups of drawings that can hold a ruled table
# --------------------------------------------------------------------------------------


def _rulings(path: dict[str, Any]) -> tuple[list[float], list[float]]:
    """The y of each horizontal and the x of each vertical edge the finder derives from a path."""
    horizontal: list[float] = []
    vertical: list[float] = []

    def line(p1: Sequence[float], p2: Sequence[float]) -> None:
        if abs(p1[1] - p2[1]) <= _SNAP and abs(p1[0] - p2[0]) > 0:
            horizontal.append((p1[1] + p2[1]) / 2)
        elif abs(p1[0] - p2[0]) <= _SNAP and abs(p1[1] - p2[1]) > 0:
            vertical.append((p1[0] + p2[0]) / 2)

    items: Sequence[Any] = path.get("items") or ()
    for item in items:
        kind = item[0]
        if kind == "l":
            line(item[1], item[2])
        elif kind == "re":
            x0, y0, x1, y1 = item[1]
            x0, x1 = min(x0, x1), max(x0, x1)
            y0, y1 = min(y0, y1), max(y0, y1)
            if x1 - x0 <= _SNAP and x1 - x0 < y1 - y0:
                vertical.append((x0 + x1) / 2)
            elif y1 - y0 <= _SNAP and y1 - y0 < x1 - x0:
                horizontal.append((y0 + y1) / 2)
            else:
                horizontal += [y0, y1]
                vertical += [x0, x1]
        elif kind == "qu":
            ul, ur, ll, lr = item[1]
            for p1, p2 in ((ul, ll), (ll, lr), (lr, ur), (ur, ul)):
                line(p1, p2)
    if path.get("closePath") and len(items) > 1 and items[0][0] == "l" and items[-1][0] == "l":
        line(items[-1][2], items[0][1])
    return horizontal, vertical


def _distinct(values: Iterable[float]) -> int:
    count = 0
    last: float | None = None
    for value in sorted(values):
        if last is None or value - last > _SAME_POSITION:
            count += 1
        last = value
    return count


def _groups(rects: Sequence[Rect]) -> list[list[int]]:
    """Indexes of rectangles grouped by touching (within the snap tolerance), transitively."""
    parent = list(range(len(rects)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    buckets: dict[tuple[int, int], list[int]] = {}
    for i, (x0, y0, x1, y1) in enumerate(rects):
        lo_x, hi_x, lo_y, hi_y = x0 - _SNAP, x1 + _SNAP, y0 - _SNAP, y1 + _SNAP
        mine = i  # the root of i's group (i is new: its own root until it joins one)
        for bx in range(int(lo_x // _BUCKET), int(hi_x // _BUCKET) + 1):
            for by in range(int(lo_y // _BUCKET), int(hi_y // _BUCKET) + 1):
                bucket = buckets.setdefault((bx, by), [])
                for j in bucket:
                    o = rects[j]
                    if lo_x <= o[2] and o[0] <= hi_x and lo_y <= o[3] and o[1] <= hi_y:
                        other = root(j)
                        if other != mine:
                            parent[mine] = other
                            mine = other
                bucket.append(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(rects)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _intersects(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def candidate_regions(drawings: Sequence[dict[str, Any]], text_boxes: Sequence[Rect]) -> list[Rect]:
    """Regions of a page where the table finder could keep a table.

    ``drawings`` are ``page.get_cdrawings()`` paths, ``text_boxes`` the page's text line
    boxes. A region is a group of touching drawings whose rulings (plus the group's own
    border, which the finder adds when the group holds text) have at least three distinct
    horizontal and three distinct vertical positions, and which holds text.
    """
    rects: list[Rect] = []
    rulings: list[tuple[list[float], list[float]]] = []
    for path in drawings:
        horizontal, vertical = _rulings(path)
        if not horizontal and not vertical:
            continue  # curves and slanted lines make no table edges
        x0, y0, x1, y1 = path["rect"]
        rects.append((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
        rulings.append((horizontal, vertical))
    regions: list[Rect] = []
    for group in _groups(rects):
        if len(group) == 1 and len(rulings[group[0]][0]) + len(rulings[group[0]][1]) < 2 * _MIN_RULINGS - 2:
            continue  # one line or one box: never a 2 x 2 table
        x0 = min(rects[i][0] for i in group)
        y0 = min(rects[i][1] for i in group)
        x1 = max(rects[i][2] for i in group)
        y1 = max(rects[i][3] for i in group)
        box = (x0, y0, x1, y1)
        if not any(_intersects(box, t) for t in text_boxes):
            continue
        horizontal = [y for i in group for y in rulings[i][0]] + [y0, y1]
        vertical = [x for i in group for x in rulings[i][1]] + [x0, x1]
        if _distinct(horizontal) >= _MIN_RULINGS and _distinct(vertical) >= _MIN_RULINGS:
            regions.append(box)
    return regions


# --------------------------------------------------------------------------------------
# The finder's grid, on candidate regions only
# --------------------------------------------------------------------------------------
#
# ``page.find_tables(clip=..., paths=...)`` on a region spends most of its time on what its
# result is not made of here: it reads every character of the clip into a Python dict
# (``make_chars``), re-reads the text of each joined drawing box (``get_textbox``), and
# gives each table a header found with two page renderings (``get_pixmap``). The cells come
# only from the ruling edges. So the edges are made here from the region's raw drawings
# exactly as the finder makes them (axis-parallel lines and rectangle sides cropped to the
# clip, plus the border of each group of touching drawings that holds text), and the
# finder's own grid code turns them into cells (``merge_edges``, ``edges_to_intersections``,
# ``intersections_to_cells``). The table set test checks that the result equals the full
# finder's.

Edge = dict[str, Any]
Word = Sequence[Any]  # (x0, y0, x1, y1, text, block, line, word)


def _rect(value: Any) -> Rect:
    x0, y0, x1, y1 = value
    return (float(x0), float(y0), float(x1), float(y1))


def _grow(rect: Rect, margin: float) -> Rect:
    return (rect[0] - margin, rect[1] - margin, rect[2] + margin, rect[3] + margin)


def _edge(p1: Sequence[float], p2: Sequence[float], clip: Rect) -> Edge | None:
    """The finder's edge for a segment: axis-parallel within the snap tolerance, cropped."""
    if abs(p1[0] - p2[0]) > _SNAP and abs(p1[1] - p2[1]) > _SNAP:
        return None
    x0, x1 = min(p1[0], p2[0]), max(p1[0], p2[0])
    y0, y1 = min(p1[1], p2[1]), max(p1[1], p2[1])
    if x0 > clip[2] or x1 < clip[0] or y0 > clip[3] or y1 < clip[1]:
        return None
    x0, x1 = max(x0, clip[0]), min(x1, clip[2])
    y0, y1 = max(y0, clip[1]), min(y1, clip[3])
    if x0 == x1 and y0 == y1:
        return None
    return {
        "x0": x0,
        "x1": x1,
        "top": y0,
        "bottom": y1,
        "doctop": y0,
        "width": x1 - x0,
        "height": y1 - y0,
        "orientation": "h" if y0 == y1 else "v",
    }


def _path_edges(path: dict[str, Any], clip: Rect) -> Iterable[Edge | None]:
    items: Sequence[Any] = path.get("items") or ()
    if path.get("closePath") and items and items[0][0] == "l" and items[-1][0] == "l":
        items = [*items, ("l", items[-1][2], items[0][1])]
    for item in items:
        kind = item[0]
        if kind == "l":
            yield _edge(item[1], item[2], clip)
        elif kind == "re":
            x0, y0, x1, y1 = item[1]
            x0, x1 = min(x0, x1), max(x0, x1)
            y0, y1 = min(y0, y1), max(y0, y1)
            if x1 - x0 <= _SNAP and x1 - x0 < y1 - y0:  # a filled rectangle drawn as a line
                x = (x0 + x1) / 2
                yield _edge((x, y0), (x, y1), clip)
            elif y1 - y0 <= _SNAP and y1 - y0 < x1 - x0:
                y = (y0 + y1) / 2
                yield _edge((x0, y), (x1, y), clip)
            else:
                yield from _box_edges((x0, y0, x1, y1), clip)
        elif kind == "qu":
            ul, ur, ll, lr = item[1]
            for p1, p2 in ((ul, ll), (ll, lr), (lr, ur), (ur, ul)):
                yield _edge(p1, p2, clip)


def _box_edges(box: Rect, clip: Rect) -> Iterable[Edge | None]:
    x0, y0, x1, y1 = box
    for p1, p2 in (((x0, y0), (x0, y1)), ((x0, y1), (x1, y1)), ((x1, y1), (x1, y0)), ((x1, y0), (x0, y0))):
        yield _edge(p1, p2, clip)


def _neighbours(a: Rect, b: Rect) -> bool:
    """The finder's "almost touching" test: an x end and a y end of one rectangle lie within
    the other's extent (grown by the snap tolerance), either way round."""

    def within(r: Rect, s: Rect) -> bool:
        lo_x, hi_x, lo_y, hi_y = s[0] - _SNAP, s[2] + _SNAP, s[1] - _SNAP, s[3] + _SNAP
        in_x = lo_x <= r[0] <= hi_x or lo_x <= r[2] <= hi_x
        return in_x and (lo_y <= r[1] <= hi_y or lo_y <= r[3] <= hi_y)

    return within(a, b) or within(b, a)


def _has_text(area: Rect, words: Sequence[Word]) -> bool:
    x0, y0, x1, y1 = area
    return any(w[0] < x1 and x0 < w[2] and w[1] < y1 and y0 < w[3] and w[4].strip() for w in words)


def _text_boxes(rects: Sequence[Rect], words: Sequence[Word]) -> list[Rect]:
    """The finder's joined drawing boxes that hold text: each box grows by every rectangle
    that almost touches it, until none does."""
    pending = sorted(set(rects), key=lambda r: (r[3], r[0]))
    boxes: list[Rect] = []
    while pending:
        x0, y0, x1, y1 = pending[0]
        grown = True
        while grown:
            grown = False
            for i in range(len(pending) - 1, 0, -1):
                other = pending[i]
                if _neighbours((x0, y0, x1, y1), other):
                    x0, y0 = min(x0, other[0]), min(y0, other[1])
                    x1, y1 = max(x1, other[2]), max(y1, other[3])
                    del pending[i]
                    grown = True
        if _has_text((x0, y0, x1, y1), words):
            boxes.append((x0, y0, x1, y1))
        del pending[0]
    return boxes


def _cell_groups(cells: Sequence[Rect]) -> list[list[Rect]]:
    """Cells grouped into tables: cells sharing a corner belong to one table."""
    remaining = list(cells)
    groups: list[list[Rect]] = []
    while remaining:
        first = remaining.pop(0)
        group = [first]
        corners = {(first[0], first[1]), (first[0], first[3]), (first[2], first[1]), (first[2], first[3])}
        added = True
        while added:
            added = False
            for cell in list(remaining):
                mine = ((cell[0], cell[1]), (cell[0], cell[3]), (cell[2], cell[1]), (cell[2], cell[3]))
                if any(c in corners for c in mine):
                    corners.update(mine)
                    group.append(cell)
                    remaining.remove(cell)
                    added = True
        groups.append(group)
    return groups


Grid = list[list[Rect | None]]


def _grids(paths: Sequence[dict[str, Any]], clip: Rect, words: Sequence[Word]) -> list[Grid]:
    """The finder's tables in ``clip`` from ``paths`` (raw drawings): rows of cell boxes."""
    from pymupdf import table as finder

    found = [e for p in paths for e in _path_edges(p, clip)]
    boxes = _text_boxes([_rect(p["rect"]) for p in paths], words)
    found += [e for box in boxes for e in _box_edges(box, clip)]
    edges = [e for e in found if e is not None]
    edges = finder.filter_edges(edges, min_length=1)
    edges = finder.merge_edges(edges, _SNAP, _SNAP, _SNAP, _SNAP)
    edges = finder.filter_edges(edges, min_length=_SNAP)
    cells = finder.intersections_to_cells(finder.edges_to_intersections(edges, _SNAP, _SNAP))
    grids: list[tuple[tuple[float, float], Grid]] = []
    for group in _cell_groups([_rect(c) for c in cells]):
        if len({c[0] for c in group}) < 2 or len({c[2] for c in group}) < 2:
            continue
        bbox = _bbox([group])
        if not _has_text(bbox, words):
            continue
        columns = sorted({c[0] for c in group})
        rows: dict[float, dict[float, Rect]] = {}
        for cell in sorted(group, key=lambda c: (c[1], c[0])):
            rows.setdefault(cell[1], {})[cell[0]] = cell
        grid = [[row.get(x) for x in columns] for row in rows.values()]
        grids.append((min((c[1], c[0]) for c in group), grid))
    return [grid for _, grid in sorted(grids, key=lambda item: item[0])]


def _bbox(grid: Sequence[Sequence[Rect | None]]) -> Rect:
    cells = [c for row in grid for c in row if c is not None]
    x0, y0 = min(c[0] for c in cells), min(c[1] for c in cells)
    return (x0, y0, max(c[2] for c in cells), max(c[3] for c in cells))


def _cell_rows(grid: Sequence[Sequence[Rect | None]], bbox: Rect, words: Sequence[Word]) -> list[list[str]]:
    """The table's rows with whole words: each word goes to the cell holding its centre."""
    texts: list[list[list[tuple[int, int, int, str]]]] = [[[] for _ in row] for row in grid]
    tx0, ty0, tx1, ty1 = bbox
    for word in words:
        x0, y0, x1, y1, text = word[0], word[1], word[2], word[3], word[4]
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if not (ty0 <= cy <= ty1) or x1 <= tx0 or x0 >= tx1:
            continue
        best: tuple[int, int] | None = None
        best_overlap = 0.0
        for r, row in enumerate(grid):
            for c, cell in enumerate(row):
                if cell is None or not (cell[1] <= cy <= cell[3]):
                    continue
                if cell[0] <= cx <= cell[2]:
                    best, best_overlap = (r, c), float("inf")
                    break
                overlap = min(x1, cell[2]) - max(x0, cell[0])
                if overlap > best_overlap:
                    best, best_overlap = (r, c), overlap
            if best_overlap == float("inf"):
                break
        if best is not None:
            texts[best[0]][best[1]].append((word[5], word[6], word[7], text))
    return [[" ".join(w[3] for w in sorted(cell)) for cell in row] for row in texts]


def find_page_tables(
    page: pymupdf.Page,
    text_boxes: Sequence[Rect],
    *,
    textpage: pymupdf.TextPage | None = None,
) -> list[Table]:
    """Ruled tables of a page (>= 2 rows, >= 2 columns, some text), found cheaply.

    ``text_boxes`` are the page's text line boxes (from the ``dict`` extraction the caller
    already made); ``textpage`` is that extraction's text page (its words are reused).
    """
    # Drawings and text both come in unrotated page coordinates, on a rotated page too.
    drawings = page.get_cdrawings()
    regions = candidate_regions(drawings, text_boxes)
    if not regions:
        return []
    all_words: list[Word] = textpage.extractWORDS() if textpage is not None else page.get_text("words")
    tables: list[Table] = []
    for region in regions:
        clip = _grow(region, _SNAP)
        own = [p for p in drawings if p.get("items") and _intersects(_grow(_rect(p["rect"]), 0.5), clip)]
        words = [w for w in all_words if _intersects(_rect(w[:4]), clip)]
        for grid in _grids(own, clip, words):
            bbox = _bbox(grid)
            rows = _cell_rows(grid, bbox, words)
            if len(rows) < 2 or max((len(r) for r in rows), default=0) < 2:
                continue
            if not any(_cell(c) for row in rows for c in row):
                continue
            tables.append(Table(bbox=bbox, rows=rows))
    return tables
