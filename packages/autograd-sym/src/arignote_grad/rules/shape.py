"""Shape ops: DimShuffle, Reshape, Alloc, BroadcastTo, SumToShape, MakeVector, ARange, Shape.

All of them are linear in their data input, so each pushforward applies the op itself to the tangent. Shape
arguments (sizes, target shapes) are integers and disconnected; ``shape(x)`` does not depend on ``x``'s values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from arignote_core import (
    Alloc,
    Apply,
    ARange,
    DimShuffle,
    MakeVector,
    Reshape,
    Shape,
    Variable,
    arange,
    constant,
)
from arignote_core.tensors.basic import reshape
from arignote_core.tensors.broadcast import BroadcastTo, SumToShape, broadcast_to
from arignote_core.tensors.elemwise import dimshuffle
from arignote_core.tensors.math import multiply
from arignote_core.tensors.math import sum as tensor_sum

from ..registry import register_linear, register_pullback, register_pushforward
from ..tensor_utils import broadcast_like, cast_to, drop_axes, shape_of, unbroadcast_to, zeros_like


def _disconnected_rest(node: Apply, first: Any) -> list[Any]:
    return [first] + [None] * (len(node.inputs) - 1)


@register_pullback(DimShuffle)
def dimshuffle_pullback(op: DimShuffle, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    if gz is None:
        return [None]
    gz = drop_axes(gz, [k for k, d in enumerate(op.new_order) if d == "x"])
    kept = op.kept
    return [dimshuffle(gz, [kept.index(d) if d in kept else "x" for d in range(op.input_ndim)])]


@register_pushforward(DimShuffle)
def dimshuffle_pushforward(op: DimShuffle, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    t = drop_axes(tangents[0], op.dropped)
    return [dimshuffle(t, ["x" if d == "x" else sorted(op.kept).index(int(d)) for d in op.new_order])]


@register_pullback(Reshape)
def reshape_pullback(op: Reshape, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    x = node.inputs[0]
    return _disconnected_rest(node, None if gz is None else reshape(gz, shape_of(x), ndim=x.type.ndim))


register_linear(Reshape, Alloc, BroadcastTo, SumToShape)


@register_pullback(Shape)
def shape_pullback(op: Shape, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    return [None]


@register_pullback(Alloc)
@register_pullback(BroadcastTo)
def broadcast_pullback(op: Any, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    value = node.inputs[0]
    return _disconnected_rest(node, None if gz is None else unbroadcast_to(cast_to(gz, value), value))


@register_pullback(SumToShape)
def sum_to_shape_pullback(op: SumToShape, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    return _disconnected_rest(node, None if gz is None else broadcast_like(gz, node.inputs[0]))


@register_pullback(MakeVector)
def make_vector_pullback(op: MakeVector, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    return [None if gz is None else gz[i] for i in range(len(node.inputs))]


@register_pushforward(MakeVector)
def make_vector_pushforward(op: MakeVector, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    zero = constant(np.zeros((), dtype=op.dtype))
    return [op(*(zero if t is None else t for t in tangents))]


def _arange_positions(out: Variable) -> Variable:
    return arange(shape_of(out)[0], dtype=out.type.dtype)


@register_pullback(ARange)
def arange_pullback(op: ARange, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    if gz is None:
        return [None, None, None]
    start, stop, _ = node.inputs
    out = node.outputs[0]
    return [tensor_sum(gz), zeros_like(stop), tensor_sum(multiply(gz, _arange_positions(out)))]


@register_pushforward(ARange)
def arange_pushforward(op: ARange, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    t_start, _, t_step = tangents
    out = node.outputs[0]
    total = None
    if t_start is not None:
        total = broadcast_to(t_start, shape_of(out))
    if t_step is not None:
        steps = multiply(t_step, _arange_positions(out))
        total = steps if total is None else total + steps
    return [None if total is None else cast_to(total, out)]
