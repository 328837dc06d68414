"""Printing graphs: ``dprint`` (an indented tree with types, ids and source lines) and ``pprint`` (math)."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from .graph import Constant, Variable


def graph_roots(obj: Any) -> list[Variable]:
    """The output variables of variables, a FunctionGraph or a compiled Function."""
    from .fgraph import FunctionGraph
    from .function import Function

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
    op, output type, node id, and the user's source line. Shared subtrees print once, then by id."""
    roots = graph_roots(obj)
    ident = _ids()
    printed: set[int] = set()
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
        for k, inp in enumerate(node.inputs):
            last = k == len(node.inputs) - 1
            line(inp, child_prefix + ("└─ " if last else "├─ "), child_prefix + ("   " if last else "│  "),
                 level + 1)

    for root in roots:
        line(root, "", "", 0)
    text = out.getvalue()
    (file or sys.stdout).write(text)
    return text


# -----------------------------------------------------------------------------------------------------------
# pprint

_PRECEDENCE = {"**": 4, "*": 3, "/": 3, "//": 3, "%": 3, "+": 2, "-": 2, "<": 1, ">": 1, "<=": 1, ">=": 1,
               "==": 1, "!=": 1, "&": 0, "|": 0, "^": 0, "<<": 1, ">>": 1}


def _format(var: Variable, names: dict[Variable, str], parent_precedence: int = -1) -> str:
    if var in names:
        return names[var]
    node = var.owner
    if node is None:
        return str(var)
    op = node.op
    scalar_op: Any = getattr(op, "scalar_op", op) if type(op).__name__ == "Elemwise" else op
    symbol = getattr(scalar_op, "symbol", None)
    if symbol is not None and len(node.inputs) == 2:
        prec = _PRECEDENCE[symbol]
        text = f"{_format(node.inputs[0], names, prec)} {symbol} {_format(node.inputs[1], names, prec + 1)}"
        return f"({text})" if prec < parent_precedence else text
    if symbol is not None and len(node.inputs) == 1:
        return f"{symbol}{_format(node.inputs[0], names, 5)}"
    label = scalar_op.name if scalar_op is not op else str(op)
    return f"{label}({', '.join(_format(i, names) for i in node.inputs)})"


def pprint(obj: Any, file: TextIO | None = None) -> str:
    """A one-line mathematical form of each output, e.g. ``sum(exp(x * 2.0))``; returns the text."""
    roots = graph_roots(obj)
    text = "\n".join(_format(r, {}) for r in roots)
    if file is not None:
        file.write(text + "\n")
    return text


def pformat_scalar(var: Variable, inputs: Sequence[Variable]) -> str:
    """The expression of a Composite's output in terms of its inputs ``i0, i1, ...``."""
    return _format(var, {v: f"i{k}" for k, v in enumerate(inputs)})
