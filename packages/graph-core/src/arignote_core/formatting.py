"""The one-line mathematical form of an expression (``exp(x * 2.0)``): what ``pprint`` prints and what names a
``Composite`` (``composite{i0 * i1}``). It reads only the graph, so the scalar floor can use it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .graph import Variable

_PRECEDENCE = {"**": 4, "*": 3, "/": 3, "//": 3, "%": 3, "+": 2, "-": 2, "<": 1, ">": 1, "<=": 1, ">=": 1,
               "==": 1, "!=": 1, "&": 0, "|": 0, "^": 0, "<<": 1, ">>": 1}


def format_expression(var: Variable, names: dict[Variable, str], parent_precedence: int = -1) -> str:
    """``var`` as an expression of the variables ``names`` names (the others by their own ``str``)."""
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
        left, right = format_expression(node.inputs[0], names, prec), format_expression(node.inputs[1], names, prec + 1)
        text = f"{left} {symbol} {right}"
        return f"({text})" if prec < parent_precedence else text
    if symbol is not None and len(node.inputs) == 1:
        return f"{symbol}{format_expression(node.inputs[0], names, 5)}"
    label = scalar_op.name if scalar_op is not op else str(op)
    return f"{label}({', '.join(format_expression(i, names) for i in node.inputs)})"


def pformat_scalar(var: Variable, inputs: Sequence[Variable]) -> str:
    """The expression of a Composite's output in terms of its inputs ``i0, i1, ...``."""
    return format_expression(var, {v: f"i{k}" for k, v in enumerate(inputs)})
