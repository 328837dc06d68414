"""Running sums and products (``cumsum``, ``cumprod``).

The gradient of a running sum is the running sum of the gradient taken from the end. The running product's
rules, ``cumsum_reversed(g * out) / x`` and ``out * cumsum(t / x)``, assume no zero in ``x`` (as Theano's and
PyTensor's do); ``prod`` itself is exact with zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply
from arignote_core.tensors.cumulative import CumOp
from arignote_core.tensors.math import multiply, true_divide

from ..registry import register_pullback, register_pushforward
from ..tensor_utils import cast_to


def _reversed(x: Any, axis: int) -> Any:
    return x[(slice(None),) * axis + (slice(None, None, -1),)]


def _cumsum(x: Any, axis: int) -> Any:
    return CumOp(axis, "add", x.type.dtype)(x)


def _reverse_cumsum(x: Any, axis: int) -> Any:
    return _reversed(_cumsum(_reversed(x, axis), axis), axis)


@register_pullback(CumOp)
def cumulative_pullback(op: CumOp, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    if gz is None:
        return [None]
    x, out = node.inputs[0], node.outputs[0]
    if op.mode == "add":
        return [cast_to(_reverse_cumsum(gz, op.axis), x)]
    return [cast_to(true_divide(_reverse_cumsum(multiply(gz, out), op.axis), x), x)]


@register_pushforward(CumOp)
def cumulative_pushforward(op: CumOp, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    (t,) = tangents
    x, out = node.inputs[0], node.outputs[0]
    if op.mode == "add":
        return [CumOp(op.axis, "add", op.dtype)(t)]
    return [cast_to(multiply(out, _cumsum(true_divide(t, x), op.axis)), out)]
