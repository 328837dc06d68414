"""Reductions: sum, prod, max/min; ``argmax``/``argmin`` and logical reductions have no derivative.

- ``prod`` is exact with zeros: where a reduced slice holds one zero, that element's gradient is the product of
  the others, and every other element's is zero; with two or more zeros, all are zero. No division by zero
  happens anywhere in the graph, so second derivatives stay finite.
- ``max``/``min`` ties: the gradient is split equally among the elements equal to the result (as JAX does), so
  it is a valid subgradient and sums to the output gradient. ``fmax``/``fmin`` reductions follow the same rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply, ArgReduce, Reduce, Variable
from arignote_core.tensors.elemwise import dimshuffle
from arignote_core.tensors.math import equal, multiply, prod, true_divide, where
from arignote_core.tensors.math import sum as tensor_sum

from ..errors import undefined_grad
from ..registry import register_pullback, register_pushforward
from ..tensor_utils import broadcast_like, cast_to, indicator, is_differentiable, zeros_like

_EXTREMA = ("maximum", "minimum", "fmax", "fmin")


def keep_reduced_axes(g: Variable, axes: Sequence[int], ndim: int) -> Variable:
    """``g`` (a reduction's result) with size-1 axes put back where the reduction removed them."""
    kept = iter(range(ndim - len(axes)))
    return dimshuffle(g, ["x" if d in axes else next(kept) for d in range(ndim)])


def product_of_others(x: Variable, axes: Sequence[int]) -> Variable:
    """For each element, the product of the other elements of its reduced slice (exact with zeros)."""
    is_zero = equal(x, 0)
    zero_count = tensor_sum(is_zero, axis=axes, keepdims=True)
    nonzero_product = prod(where(is_zero, 1, x), axis=axes, keepdims=True, dtype=x.type.dtype)
    without_self = true_divide(nonzero_product, where(is_zero, 1, x))
    return where(is_zero, where(equal(zero_count, 1), nonzero_product, 0),
                 where(equal(zero_count, 0), without_self, 0))


def tie_share(x: Variable, out: Variable, axes: Sequence[int]) -> Variable:
    """1/k on the k elements of each reduced slice equal to the slice's extremum, 0 elsewhere."""
    hits = indicator(equal(x, keep_reduced_axes(out, axes, x.type.ndim)), x.type.dtype)
    return true_divide(hits, tensor_sum(hits, axis=axes, keepdims=True))


def _integer_reduction(op: Any, node: Apply) -> list[Any] | None:
    x, out = node.inputs[0], node.outputs[0]
    if not is_differentiable(out) or not is_differentiable(x):
        return [zeros_like(x)]  # counts and logical reductions: step functions of their input
    return None


@register_pullback(Reduce)
def reduce_pullback(op: Reduce, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    integer = _integer_reduction(op, node)
    if integer is not None:
        return integer
    (x,), (gz,) = node.inputs, output_grads
    if gz is None:
        return [None]
    name = op.scalar_op.name
    gz = cast_to(gz, x)
    if not op.axes:
        return [gz]
    g = keep_reduced_axes(gz, op.axes, x.type.ndim)
    if name == "add":
        return [broadcast_like(g, x)]
    if name == "multiply":
        return [multiply(g, product_of_others(x, op.axes))]
    if name in _EXTREMA:
        return [multiply(g, tie_share(x, node.outputs[0], op.axes))]
    raise NotImplementedError(f"no derivative for a reduction by {name} ({op})")


@register_pushforward(Reduce)
def reduce_pushforward(op: Reduce, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    (x,), (t,) = node.inputs, tangents
    out = node.outputs[0]
    name = op.scalar_op.name
    if name == "add":
        return [Reduce(op.scalar_op, op.axes, out.type.dtype)(t)]
    if name == "multiply":
        weighted = multiply(t, product_of_others(x, op.axes))
    elif name in _EXTREMA:
        weighted = multiply(t, tie_share(x, out, op.axes))
    else:
        raise NotImplementedError(f"no derivative for a reduction by {name} ({op})")
    return [cast_to(tensor_sum(weighted, axis=op.axes), out)]


@register_pullback(ArgReduce)
def arg_reduce_pullback(op: ArgReduce, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    return [undefined_grad(op, 0, f"{op.function} returns indices, which have no derivative")]
