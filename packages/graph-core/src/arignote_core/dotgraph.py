"""Pictures of a graph or compiled function: ops, types, static shapes, fused kernels as clusters.

:func:`to_dot` writes Graphviz's DOT text; :func:`to_svg` lays the same picture out itself (:mod:`.svglayout`),
for machines without Graphviz.
"""

from __future__ import annotations

from typing import Any

from .formatting import pformat_scalar
from .graph import Apply, Constant, Variable, toposort
from .printing import graph_roots
from .scalars import Composite
from .shared import SharedVariable
from .svglayout import Box, Edge, Picture, layered_svg

#: Graphviz attributes of each kind of box (see :class:`.svglayout.Box`)
DOT_STYLES = {
    "op": "shape=box",
    "fused": "shape=box",
    "input": "shape=ellipse, style=filled, fillcolor=lightblue",
    "shared": "shape=ellipse, style=filled, fillcolor=lightgoldenrod1",
    "constant": "shape=box, style=rounded, color=gray50, fontcolor=gray30",
    "output": "shape=plaintext",
}


def _kind(var: Variable) -> str:
    if isinstance(var, Constant):
        return "constant"
    return "shared" if isinstance(var, SharedVariable) else "input"


def _op_box(node: Apply, ident: str) -> Box:
    types = ", ".join(str(o.type) for o in node.outputs)
    scalar_op = getattr(node.op, "scalar_op", None)
    if not isinstance(scalar_op, Composite):
        return Box(ident, (str(node.op), types), "op")
    expression = tuple(pformat_scalar(o, scalar_op.inputs) for o in scalar_op.outputs)
    return Box(ident, ("Elemwise{composite}", *expression, types), "fused")


def picture(obj: Any) -> Picture:
    """The boxes and edges of ``obj`` (variables, a FunctionGraph or a Function), in topological order: each op
    a box labelled with the op and its output types, a fused kernel (``Elemwise(Composite)``) with its scalar
    expression, inputs, shared variables and constants, and one box per output."""
    roots = graph_roots(obj)
    ids: dict[int, str] = {}

    def ident(item: Any) -> str:
        return ids.setdefault(id(item), f"n{len(ids)}")

    boxes: list[Box] = []
    edges: list[Edge] = []
    leaves: set[str] = set()
    for node in toposort(roots):
        for var in node.inputs:
            source = ident(var.owner) if var.owner is not None else ident(var)
            if var.owner is None and source not in leaves:
                leaves.add(source)
                boxes.append(Box(source, (str(var), str(var.type)), _kind(var)))
            edges.append(Edge(source, ident(node), str(var.type) if var.owner is not None else ""))
        boxes.append(_op_box(node, ident(node)))
    for k, root in enumerate(roots):
        source = ident(root.owner) if root.owner is not None else ident(root)
        if root.owner is None and source not in leaves:
            leaves.add(source)
            boxes.append(Box(source, (str(root), str(root.type)), _kind(root)))
        boxes.append(Box(f"out{k}", (f"output {k}: {root.type}",), "output"))
        edges.append(Edge(source, f"out{k}", ""))
    return Picture(tuple(boxes), tuple(edges))


def _quote(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


NEWLINE = "\\n"  # a line break inside a DOT label


def to_dot(obj: Any, name: str = "arignote") -> str:
    """DOT text of ``obj`` (variables, a FunctionGraph or a Function). Each op is a box labelled with the op
    and its output type; an elementwise fused kernel (``Elemwise(Composite)``) is a cluster showing its scalar
    expression; inputs are blue, shared variables yellow, constants grey."""
    pic = picture(obj)
    lines = [f"digraph {_quote(name)} {{", "  rankdir=BT;", '  graph [fontname="Helvetica"];',
             '  node [fontname="Helvetica", fontsize=10];']
    for box in pic.boxes:
        node = f"{box.ident} [label={_quote(NEWLINE.join(box.lines))}, {DOT_STYLES[box.kind]}];"
        if box.kind != "fused":
            lines.append("  " + node)
            continue
        lines += [f"  subgraph cluster_{box.ident} {{", '    style="rounded,filled"; fillcolor=honeydew;',
                  '    label="fused kernel";', "    " + node, "  }"]
    for edge in pic.edges:
        lines.append(f"  {edge.source} -> {edge.target} [label={_quote(edge.label)}, fontsize=8];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(obj: Any) -> str:
    """An SVG picture of ``obj`` laid out without Graphviz (:func:`.svglayout.layered_svg`): the boxes of
    :func:`to_dot`, inputs at the bottom and outputs at the top, as ``dot`` draws them."""
    return layered_svg(picture(obj))
