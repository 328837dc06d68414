"""Unpooling of the last two axes: ``unpool_2d`` (nearest-neighbour upsampling, each value repeated over a
window) and ``max_unpool_2d`` (each pooled value put back where its window's maximum was, zeros elsewhere).

``max_unpool_2d`` is the max pool's own gradient op :class:`arignote_nn.MaxPool2dGrad` applied to the
pooled values, so its derivative (``MaxPool2dGradGrad``: the output gradient read at each maximum) and its C
kernel are the max pool's; it is constant in the input that locates the maxima.
"""

from __future__ import annotations

from typing import Any

from arignote_core import TensorVariable, as_tensor, repeat

from .pool import MaxPool2dGrad, _float_input
from .windows import as_pair


def unpool_2d(x: Any, ws: Any) -> TensorVariable:
    """Upsample the last two axes by repeating each value over a ``ws`` window (an int or a pair): (..., H, W)
    -> (..., H * ws[0], W * ws[1]), as Theano's ``repeat`` upsampling; its gradient sums each window."""
    x = _float_input(x, "unpool_2d")
    rows, cols = as_pair(ws, "unpool_2d's window ws")
    return repeat(repeat(x, rows, axis=-2), cols, axis=-1)


def max_unpool_2d(pooled: Any, input: Any, ws: Any, stride: Any = None, pad: Any = (0, 0),
                  ignore_border: bool = False) -> TensorVariable:
    """Put each value of ``pooled`` at the first maximum of its window in ``input`` (the array that was max
    pooled with these ``ws``, ``stride``, ``pad``, ``ignore_border``; Theano's defaults), zeros elsewhere: the
    result has ``input``'s shape. Where windows overlap, values sharing a maximum add up."""
    op = MaxPool2dGrad(ws, ws if stride is None else stride, pad, bool(ignore_border))
    x = _float_input(input, "max_unpool_2d's input")
    values = _float_input(as_tensor(pooled), "max_unpool_2d's pooled values")
    want = op.static_out(x.type.shape)
    if values.type.ndim != x.type.ndim or any(g is not None and w is not None and g != w
                                    for g, w in zip(values.type.shape, want, strict=True)):
        raise ValueError(f"max_unpool_2d: pooled values {values} of type {values.type} do not have the shape "
                         f"{want} that pooling {x} of type {x.type} with {op.describe()} gives")
    return op(x, values)
