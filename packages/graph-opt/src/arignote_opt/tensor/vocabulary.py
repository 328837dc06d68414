"""What the engine needs to know about graph-core's tensor ops, and the names tensor patterns use.

- ``Elemwise`` and ``Reduce`` nodes are indexed by their scalar op, so a ``log`` rule never meets an ``add``;
- an ``Elemwise`` is commutative when its scalar op is;
- a tensor constant stands for a number only when it holds exactly one element (a pattern ``x * 1 -> x`` must
  not match a constant array that would broadcast ``x`` to a larger shape);
- Python's operators on patterns stand for the elementwise ops (``x + 1``), and :data:`P` names every op of
  :data:`VOCABULARY` (``P.log(P.exp(x))``).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from arignote_core import Constant, Dot, Elemwise, MatMul, Op, Reduce, TensorType, as_tensor
from arignote_core.scalars import SCALAR_OPS, ScalarOp
from arignote_core.tensors.math import ALIASES

from ..engine import (
    OpMatch,
    OpPatterns,
    register_commutative,
    register_constant_reader,
    register_index_key,
    register_operators,
)


def _scalar_number(const: Constant) -> Any:
    data = np.asarray(const.data)
    return data.reshape(()).item() if data.size == 1 else None


register_index_key(Elemwise, lambda op: (Elemwise, type(op.scalar_op)))
register_index_key(Reduce, lambda op: (Reduce, type(op.scalar_op)))
register_commutative(Elemwise, lambda op: op.scalar_op.commutative and op.scalar_op.nin == 2)
register_constant_reader(TensorType, _scalar_number)


@functools.cache
def elemwise(name: str) -> Elemwise:
    """The tensor op applying the scalar op ``name`` (``"add"``, ``"exp"``, ...) elementwise."""
    return Elemwise(SCALAR_OPS[name])


_OPERATORS = {"+": "add", "-": "subtract", "*": "multiply", "/": "true_divide", "//": "floor_divide",
              "%": "remainder", "**": "power", "neg": "negative", "~": "invert", "&": "bitwise_and",
              "|": "bitwise_or", "^": "bitwise_xor", "<<": "left_shift", ">>": "right_shift", "<": "less",
              "<=": "less_equal", ">": "greater", ">=": "greater_equal", "==": "equal", "!=": "not_equal",
              "and": "logical_and", "or": "logical_or", "not": "logical_not"}

#: Names tensor patterns may use: every scalar op (and NumPy/Theano aliases) as an Elemwise, the Python
#: operators, ``dot``/``matmul``, and ``constant``.
VOCABULARY: dict[str, Any] = {
    **{name: elemwise(name) for name in SCALAR_OPS},
    **{alias: elemwise(name) for alias, name in ALIASES.items()},
    **{symbol: elemwise(name) for symbol, name in _OPERATORS.items()},
    "@": MatMul(), "dot": Dot(), "matmul": MatMul(), "constant": as_tensor,
}

register_operators({symbol: elemwise(name) for symbol, name in _OPERATORS.items()})

#: Node patterns by op name: ``P.log(1 + x)``.
P = OpPatterns(VOCABULARY)


def elemwise_of(scalar_class: type[ScalarOp]) -> OpMatch:
    """Any elementwise op whose scalar op is a ``scalar_class`` (every ``Cast``, whatever its dtype)."""
    return OpMatch([(Elemwise, scalar_class)],
                   lambda op: isinstance(op, Elemwise) and isinstance(op.scalar_op, scalar_class),
                   f"elemwise({scalar_class.__name__})")


def reduction(name: str) -> OpMatch:
    """Any reduction by the scalar op ``name`` (``"add"``: every sum, whatever its axes)."""
    scalar_class = type(SCALAR_OPS[name])

    def test(op: Op) -> bool:
        return isinstance(op, Reduce) and op.scalar_op.name == name

    return OpMatch([(Reduce, scalar_class)], test, f"reduce({name})")
