"""A small layered layout that writes SVG, so that a graph can be drawn without Graphviz.

Sugiyama's method, simplified: each box goes one layer above the highest of its sources (a leaf just below its
first reader), the boxes of a layer are ordered by the mean position of their neighbours over a few sweeps,
then packed and centred; edges are curves from a source's top to its reader's bottom. Text is monospace, so a
box's width follows from its longest line. It knows nothing of graphs: :mod:`.dotgraph` gives it the boxes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

CHAR_WIDTH, LINE_HEIGHT, PAD, GAP_X, GAP_Y = 7.3, 15.0, 7.0, 22.0, 46.0
SWEEPS = 4

#: fill and stroke of each kind of box; an ``output`` is text alone
STYLES = {
    "op": ("white", "black"),
    "fused": ("honeydew", "darkgreen"),
    "input": ("lightblue", "black"),
    "shared": ("#ffec8b", "black"),
    "constant": ("#f4f4f4", "gray"),
    "output": ("none", "none"),
}


@dataclass(frozen=True)
class Box:
    """A box of a picture: its id, its lines of text and its kind (a key of ``STYLES``)."""

    ident: str
    lines: tuple[str, ...]
    kind: str

    def text(self) -> tuple[str, ...]:
        return ("fused kernel", *self.lines) if self.kind == "fused" else self.lines

    @property
    def size(self) -> tuple[float, float]:
        lines = self.text()
        return max(map(len, lines)) * CHAR_WIDTH + 2 * PAD, len(lines) * LINE_HEIGHT + 2 * PAD


@dataclass(frozen=True)
class Edge:
    """An edge from the box ``source`` to the box ``target`` that reads it, with an optional label."""

    source: str
    target: str
    label: str = ""


@dataclass(frozen=True)
class Picture:
    """Boxes in topological order (every source before its readers) and the edges between them."""

    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]


def _layers(pic: Picture) -> list[list[str]]:
    sources, targets = defaultdict(list), defaultdict(list)
    for edge in pic.edges:
        sources[edge.target].append(edge.source)
        targets[edge.source].append(edge.target)
    layer: dict[str, int] = {}
    for box in pic.boxes:
        layer[box.ident] = 1 + max((layer[s] for s in sources[box.ident]), default=-1)
    for box in pic.boxes:  # a leaf goes just below its first reader
        if not sources[box.ident] and targets[box.ident]:
            layer[box.ident] = max(0, min(layer[t] for t in targets[box.ident]) - 1)
    rows: list[list[str]] = [[] for _ in range(1 + max(layer.values(), default=-1))]
    for box in pic.boxes:
        rows[layer[box.ident]].append(box.ident)
    return _order(rows, sources, targets)


def _order(rows: list[list[str]], sources: dict[str, list[str]], targets: dict[str, list[str]]) -> list[list[str]]:
    """Reorder each row by the mean position of each box's neighbours in the row before (barycentres)."""
    for sweep in range(SWEEPS):
        upward = sweep % 2 == 0
        sequence = range(1, len(rows)) if upward else range(len(rows) - 2, -1, -1)
        for k in sequence:
            before = {ident: i for i, ident in enumerate(rows[k - 1 if upward else k + 1])}
            neighbours = sources if upward else targets

            def centre(ident: str, position: int, before: dict[str, int] = before,
                       neighbours: dict[str, list[str]] = neighbours) -> float:
                near = [before[n] for n in neighbours[ident] if n in before]
                return sum(near) / len(near) if near else float(position)

            rows[k] = [ident for _, ident in sorted((centre(ident, i), ident) for i, ident in enumerate(rows[k]))]
    return rows


def layered_svg(pic: Picture) -> str:
    """The SVG text of ``pic``: the first layer (the inputs) at the bottom, the outputs at the top."""
    boxes = {box.ident: box for box in pic.boxes}
    rows = _layers(pic)
    widths = [sum(boxes[i].size[0] for i in row) + GAP_X * (len(row) - 1) for row in rows]
    heights = [max((boxes[i].size[1] for i in row), default=0.0) for row in rows]
    width = max(widths, default=0.0) + 2 * GAP_X
    height = sum(heights) + GAP_Y * (len(rows) + 1)
    place: dict[str, tuple[float, float, float, float]] = {}  # left, top, width, height
    top = height - GAP_Y
    for row, row_width, row_height in zip(rows, widths, heights, strict=True):
        top -= row_height
        left = (width - row_width) / 2
        for ident in row:
            w, h = boxes[ident].size
            place[ident] = (left, top + (row_height - h) / 2, w, h)
            left += w + GAP_X
        top -= GAP_Y
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="monospace" font-size="12">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>',
             '<rect width="100%" height="100%" fill="white"/>']
    parts += _edges(pic.edges, place)
    parts += [_box(boxes[ident], *place[ident]) for row in rows for ident in row]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _edges(edges: tuple[Edge, ...], place: dict[str, tuple[float, float, float, float]]) -> list[str]:
    """Each edge leaves its source's top and enters its reader's bottom, readers' inputs spread left to right."""
    inputs = defaultdict(list)
    for edge in edges:
        inputs[edge.target].append(edge)
    parts = []
    for target, incoming in inputs.items():
        left, top, w, h = place[target]
        for k, edge in enumerate(incoming):
            sl, st, sw, _ = place[edge.source]
            x1, y1, x2, y2 = sl + sw / 2, st, left + w * (k + 1) / (len(incoming) + 1), top + h
            middle = (y1 + y2) / 2
            parts.append(f'<path d="M{x1:.1f},{y1:.1f} C{x1:.1f},{middle:.1f} {x2:.1f},{middle:.1f} {x2:.1f},'
                         f'{y2:.1f}" fill="none" stroke="gray" marker-end="url(#arrow)"/>')
            if edge.label:
                parts.append(f'<text x="{(x1 + x2) / 2 + 3:.1f}" y="{middle:.1f}" font-size="9" fill="dimgray">'
                             f"{escape(edge.label)}</text>")
    return parts


def _box(box: Box, left: float, top: float, w: float, h: float) -> str:
    fill, stroke = STYLES[box.kind]
    radius = h / 2 if box.kind in ("input", "shared") else 6.0 if box.kind in ("fused", "constant") else 0.0
    parts = [f"<g id={quoteattr(box.ident)}>"]
    if box.kind != "output":
        parts.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{radius:.1f}" '
                     f'fill="{fill}" stroke="{stroke}"/>')
    for k, line in enumerate(box.text()):
        style = ' font-style="italic" fill="darkgreen"' if box.kind == "fused" and k == 0 else ""
        parts.append(f'<text x="{left + w / 2:.1f}" y="{top + PAD + (k + 0.8) * LINE_HEIGHT:.1f}" '
                     f'text-anchor="middle"{style}>{escape(line)}</text>')
    parts.append("</g>")
    return "".join(parts)
