"""Graphviz DOT text for a graph or compiled function: ops, types, static shapes, fused kernels as clusters."""

from __future__ import annotations

from typing import Any

from .formatting import pformat_scalar
from .graph import Apply, Constant, Variable, toposort
from .printing import graph_roots
from .scalars import Composite
from .shared import SharedVariable


def _quote(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def _variable_style(var: Variable) -> str:
    if isinstance(var, Constant):
        return "shape=box, style=rounded, color=gray50, fontcolor=gray30"
    if isinstance(var, SharedVariable):
        return "shape=ellipse, style=filled, fillcolor=lightgoldenrod1"
    return "shape=ellipse, style=filled, fillcolor=lightblue"


def to_dot(obj: Any, name: str = "arignote") -> str:
    """DOT text of ``obj`` (variables, a FunctionGraph or a Function). Each op is a box labelled with the op
    and its output type; an elementwise fused kernel (``Elemwise(Composite)``) is a cluster showing its scalar
    expression; inputs are blue, shared variables yellow, constants grey."""
    roots = graph_roots(obj)
    ids: dict[int, str] = {}

    def ident(item: Any) -> str:
        return ids.setdefault(id(item), f"n{len(ids)}")

    lines = [f"digraph {_quote(name)} {{", "  rankdir=BT;", '  graph [fontname="Helvetica"];',
             '  node [fontname="Helvetica", fontsize=10];']
    emitted: set[str] = set()
    for node in toposort(roots):
        lines.extend(_node_lines(node, ident))
        for var in node.inputs:
            source = ident(var.owner) if var.owner is not None else ident(var)
            if var.owner is None and source not in emitted:
                emitted.add(source)
                lines.append(f"  {source} [label={_quote(str(var) + NEWLINE + str(var.type))}, "
                             f"{_variable_style(var)}];")
            label = str(var.type) if var.owner is not None else ""
            lines.append(f"  {source} -> {ident(node)} [label={_quote(label)}, fontsize=8];")
    for k, root in enumerate(roots):
        out = f"out{k}"
        lines.append(f"  {out} [label={_quote(f'output {k}: {root.type}')}, shape=plaintext];")
        lines.append(f"  {ident(root.owner) if root.owner is not None else ident(root)} -> {out};")
    lines.append("}")
    return "\n".join(lines) + "\n"


NEWLINE = "\\n"  # a line break inside a DOT label


def _node_lines(node: Apply, ident: Any) -> list[str]:
    types = ", ".join(str(o.type) for o in node.outputs)
    scalar_op = getattr(node.op, "scalar_op", None)
    if not isinstance(scalar_op, Composite):
        return [f"  {ident(node)} [label={_quote(str(node.op) + NEWLINE + types)}, shape=box];"]
    expression = NEWLINE.join(pformat_scalar(o, scalar_op.inputs) for o in scalar_op.outputs)
    label = "Elemwise{composite}" + NEWLINE + expression + NEWLINE + types
    return [f"  subgraph cluster_{ident(node)} {{", '    style="rounded,filled"; fillcolor=honeydew;',
            '    label="fused kernel";', f"    {ident(node)} [label={_quote(label)}, shape=box];", "  }"]
