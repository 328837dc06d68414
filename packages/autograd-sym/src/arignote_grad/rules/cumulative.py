"""Running sums and products (``cumsum``, ``cumprod``).

The gradient of a running sum is the running sum of the gradient taken from the end. The running product's rules
are exact with zeros, like ``prod``'s, and divide by no zero: along the axis, an element before the first zero
has ``d out[k] / d x[i] = out[k] / x[i]``; the first zero has the running product of ``x`` with that zero read as
1; every element after it has zero (each of its products holds the first zero). As for ``prod``, the second
derivatives are finite but exact only away from zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply
from arignote_core.tensors.cumulative import CumOp
from arignote_core.tensors.math import equal, logical_and, multiply, true_divide, where

from ..registry import register_pullback, register_pushforward
from ..tensor_utils import cast_to


def _reversed(x: Any, axis: int) -> Any:
    return x[(slice(None),) * axis + (slice(None, None, -1),)]


def _cumsum(x: Any, axis: int) -> Any:
    return CumOp(axis, "add", x.type.dtype)(x)


def _reverse_cumsum(x: Any, axis: int) -> Any:
    return _reversed(_cumsum(_reversed(x, axis), axis), axis)


def _zero_positions(op: CumOp, x: Any) -> tuple[Any, Any, Any, Any]:
    """(before, first, x with every zero read as 1, the running product with the first zero read as 1), where
    ``before`` marks the elements ahead of the first zero of their line and ``first`` that zero."""
    is_zero = equal(x, 0)
    zeros_so_far = CumOp(op.axis, "add", "int64")(is_zero)
    before = equal(zeros_so_far, 0)
    first = logical_and(is_zero, equal(zeros_so_far, 1))
    product_past_first = CumOp(op.axis, "mul", op.dtype)(where(first, 1, x))
    return before, first, where(is_zero, 1, x), product_past_first


@register_pullback(CumOp)
def cumulative_pullback(op: CumOp, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    if gz is None:
        return [None]
    x, out = node.inputs[0], node.outputs[0]
    if op.mode == "add":
        return [cast_to(_reverse_cumsum(gz, op.axis), x)]
    before, first, safe_x, product_past_first = _zero_positions(op, x)
    ahead = true_divide(_reverse_cumsum(multiply(gz, out), op.axis), safe_x)
    at_first = _reverse_cumsum(multiply(gz, product_past_first), op.axis)
    return [cast_to(where(before, ahead, where(first, at_first, 0)), x)]


@register_pushforward(CumOp)
def cumulative_pushforward(op: CumOp, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    (t,) = tangents
    x, out = node.inputs[0], node.outputs[0]
    if op.mode == "add":
        return [CumOp(op.axis, "add", op.dtype)(t)]
    before, first, safe_x, product_past_first = _zero_positions(op, x)
    ahead = multiply(out, _cumsum(true_divide(t, safe_x), op.axis))
    from_first = multiply(product_past_first, _cumsum(where(first, t, 0), op.axis))
    return [cast_to(where(before, ahead, from_first), out)]
