"""Printing graphs: ``dprint`` (an indented tree with types, ids and source lines) and ``pprint`` (math); and
printing values as a function runs: the ``Print`` op (Theano's ``theano.printing.Print``)."""

from __future__ import annotations

import io
import sys
from typing import Any, TextIO

from .debugprint import Print
from .fgraph import FunctionGraph
from .formatting import format_expression
from .function import Function
from .graph import Apply, Constant, Variable

__all__ = ["Print", "dprint", "graph_roots", "pprint"]


def graph_roots(obj: Any) -> list[Variable]:
    """The output variables of variables, a FunctionGraph or a compiled Function."""
    if isinstance(obj, Function):
        return list(obj.fgraph.outputs)
    if isinstance(obj, FunctionGraph):
        return list(obj.outputs)
    if isinstance(obj, Variable):
        return [obj]
    return list(obj)


def _ids() -> Any:
    names: dict[int, str] = {}

    def ident(obj: Any) -> str:
        if id(obj) not in names:
            n = len(names)
            label = ""
            while True:
                label = chr(ord("A") + n % 26) + label
                n = n // 26 - 1
                if n < 0:
                    break
            names[id(obj)] = label
        return names[id(obj)]

    return ident


def dprint(obj: Any, file: TextIO | None = None, depth: int = -1, print_source: bool = True) -> str:
    """Print ``obj`` (variables, a FunctionGraph or a compiled Function) as an indented tree, one node a line:
    op, output type, node id, and the user's source line. Shared subtrees print once, then by id. The inner
    graphs of ops that have them (``OpFromGraph``, ``IfElse``: an ``inner_graphs`` list of labelled graphs)
    follow, under "Inner graphs:", each headed by the op and the id of its first node."""
    roots = graph_roots(obj)
    ident = _ids()
    printed: set[int] = set()
    with_inner: list[Apply] = []
    out = io.StringIO()

    def line(var: Variable, prefix: str, child_prefix: str, level: int) -> None:
        node = var.owner
        name = f" '{var.name}'" if var.name else ""
        if node is None:
            kind = "Constant " if isinstance(var, Constant) else ""
            text = f"{kind}{var}" if isinstance(var, Constant) else f"{var}"
            out.write(f"{prefix}{text} [id {ident(var)}] <{var.type}>\n")
            return
        out_index = f".{var.index}" if len(node.outputs) > 1 else ""
        seen = id(node) in printed
        source = f"  {node.source.short()}" if print_source and node.source and not seen else ""
        more = " ..." if seen and node.inputs else ""
        out.write(f"{prefix}{node.op}{out_index} [id {ident(node)}] <{var.type}>{name}{source}{more}\n")
        if seen or level == depth:
            return
        printed.add(id(node))
        if getattr(node.op, "inner_graphs", None) is not None:
            with_inner.append(node)
        for k, inp in enumerate(node.inputs):
            last = k == len(node.inputs) - 1
            line(inp, child_prefix + ("└─ " if last else "├─ "), child_prefix + ("   " if last else "│  "),
                 level + 1)

    for root in roots:
        line(root, "", "", 0)
    shown: set[int] = set()
    for node in with_inner:  # grows while inner graphs print: nested ones follow
        if id(node.op) in shown:
            continue
        if not shown:
            out.write("\nInner graphs:\n")
        shown.add(id(node.op))
        out.write(f"\n{node.op} [id {ident(node)}]\n")
        for label, graph in node.op.inner_graphs:
            if label:
                out.write(f" {label}:\n")
            for inner_out in graph.outputs:
                line(inner_out, " ← ", "    ", 0)
    text = out.getvalue()
    (file or sys.stdout).write(text)
    return text


# -----------------------------------------------------------------------------------------------------------
# pprint

def pprint(obj: Any, file: TextIO | None = None) -> str:
    """A one-line mathematical form of each output, e.g. ``sum(exp(x * 2.0))``; returns the text."""
    roots = graph_roots(obj)
    text = "\n".join(format_expression(r, {}) for r in roots)
    if file is not None:
        file.write(text + "\n")
    return text


