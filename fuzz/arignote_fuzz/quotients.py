"""The dividend and divisor of a floor division or a remainder node, for the comparisons that depend on them
(a quotient near an integer, the rounding a large quotient magnifies, a period finite differences cannot
resolve)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from .ir import Node

#: floor divisions and remainders, by their generated op names
QUOTIENT_OPS = frozenset({"binary//", "binary%", "literal//", "literal%", "floor_divide", "remainder", "fmod"})
_LITERAL = re.compile(r"^\(\s*(?P<left>.+?)\s*(?://|%|\*|/)\s*(?P<right>.+?)\s*\)$")


def _operand(text: str, values: Mapping[str, np.ndarray], node: Node) -> np.ndarray | None:
    slot = re.fullmatch(r"\{(\d)\}", text)
    if slot is not None:
        k = int(slot[1])
        return np.asarray(values[node.args[k]]) if k < len(node.args) and node.args[k] in values else None
    try:
        return np.asarray(float(eval(text, {"float": float})))  # a generated Python literal: 300, 1e-300, float('inf')
    except (SyntaxError, NameError, TypeError, ValueError):
        return None


def dividend_and_divisor(node: Node, values: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """``(x, y)`` of ``x // y`` or ``x % y`` at the twin's values, as float64; None for other nodes."""
    if node.op not in QUOTIENT_OPS:
        return None
    return operands(node, values)


def operands(node: Node, values: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """``(x, y)`` of a binary operator node ``(x op y)`` (a literal or a graph value each), as float64."""
    found = _LITERAL.match(node.template)
    if found is None:
        return None
    x, y = _operand(found["left"], values, node), _operand(found["right"], values, node)
    if x is None or y is None:
        return None
    return x.astype(np.float64), y.astype(np.float64)
