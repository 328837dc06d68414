"""The derivatives of nn-extras' ops, in autograd-sym's registries like every other op's (the ops carry none).

Convolution is bilinear in its input and filters, and its two adjoints are convolutions again; pooling's
gradients are ops of their own, whose derivatives close the set (a max pool's gradient is piecewise constant in
the input, so its derivative there is zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply, Op, Variable, shape
from arignote_core.tensors.creation import zeros_like
from arignote_grad import register_pullback, register_pushforward

from .conv import Conv2d, Conv2dGradInput, Conv2dGradWeights
from .metrics import ConfusionMatrix
from .pool import AveragePool2dGrad, MaxPool2dGrad, MaxPool2dGradGrad, Pool2d

Grads = Sequence[Variable | None]


@register_pushforward(Conv2d)
@register_pushforward(Conv2dGradInput)
@register_pushforward(Conv2dGradWeights)
def bilinear_pushforward(op: Op, node: Apply, tangents: Grads) -> list[Any]:
    """Tangent of an op bilinear in its first two inputs: ``op(da, b) + op(a, db)``."""
    a, b, *rest = node.inputs
    da, db = tangents[0], tangents[1]
    terms = ([op(da, b, *rest)] if da is not None else []) + ([op(a, db, *rest)] if db is not None else [])
    if not terms:
        return [None]
    return [terms[0] if len(terms) == 1 else terms[0] + terms[1]]


@register_pullback(Conv2d)
def conv2d_pullback(op: Conv2d, node: Apply, output_grads: Grads) -> list[Any]:
    (gy,) = output_grads
    if gy is None:
        return [None, None]
    x, w = node.inputs
    return [Conv2dGradInput(**op.params())(w, gy, shape(x)), Conv2dGradWeights(**op.params())(x, gy, shape(w))]


@register_pullback(Conv2dGradInput)
def conv2d_grad_input_pullback(op: Conv2dGradInput, node: Apply, output_grads: Grads) -> list[Any]:
    (g,) = output_grads
    if g is None:
        return [None, None, None]
    w, gy, _ = node.inputs
    return [Conv2dGradWeights(**op.params())(g, gy, shape(w)), Conv2d(**op.params())(g, w), None]


@register_pullback(Conv2dGradWeights)
def conv2d_grad_weights_pullback(op: Conv2dGradWeights, node: Apply, output_grads: Grads) -> list[Any]:
    (g,) = output_grads
    if g is None:
        return [None, None, None]
    x, gy, _ = node.inputs
    return [Conv2dGradInput(**op.params())(g, gy, shape(x)), Conv2d(**op.params())(x, g), None]


@register_pullback(Pool2d)
def pool2d_pullback(op: Pool2d, node: Apply, output_grads: Grads) -> list[Any]:
    (gy,) = output_grads
    if gy is None:
        return [None]
    (x,) = node.inputs
    if op.mode == "max":
        return [MaxPool2dGrad(**op.pool_params())(x, gy)]
    return [AveragePool2dGrad(**op.pool_params(), mode=op.mode)(gy, shape(x))]


@register_pushforward(Pool2d)
def pool2d_pushforward(op: Pool2d, node: Apply, tangents: Grads) -> list[Any]:
    (dx,) = tangents
    if dx is None:
        return [None]
    if op.mode == "max":
        return [MaxPool2dGradGrad(**op.pool_params())(node.inputs[0], dx)]
    return [op(dx)]


@register_pullback(MaxPool2dGrad)
def max_pool2d_grad_pullback(op: MaxPool2dGrad, node: Apply, output_grads: Grads) -> list[Any]:
    (g,) = output_grads
    if g is None:
        return [None, None]
    x, _ = node.inputs
    # piecewise constant in x: zero almost everywhere
    return [zeros_like(x), MaxPool2dGradGrad(**op.pool_params())(x, g)]


@register_pullback(MaxPool2dGradGrad)
def max_pool2d_grad_grad_pullback(op: MaxPool2dGradGrad, node: Apply, output_grads: Grads) -> list[Any]:
    (g,) = output_grads
    if g is None:
        return [None, None]
    x, _ = node.inputs
    return [zeros_like(x), MaxPool2dGrad(**op.pool_params())(x, g)]


@register_pushforward(MaxPool2dGrad)
@register_pushforward(MaxPool2dGradGrad)
def linear_in_second_pushforward(op: Op, node: Apply, tangents: Grads) -> list[Any]:
    """Tangent of a max pool's gradient ops: linear in their second input for the first's argmax pattern."""
    d = tangents[1]
    return [None if d is None else op(node.inputs[0], d)]


@register_pullback(AveragePool2dGrad)
def average_pool2d_grad_pullback(op: AveragePool2dGrad, node: Apply, output_grads: Grads) -> list[Any]:
    (g,) = output_grads
    if g is None:
        return [None, None]
    return [Pool2d(**op.pool_params(), mode=op.mode)(g), None]


@register_pushforward(AveragePool2dGrad)
def average_pool2d_grad_pushforward(op: AveragePool2dGrad, node: Apply, tangents: Grads) -> list[Any]:
    dgy = tangents[0]
    return [None if dgy is None else op(dgy, node.inputs[1])]


@register_pullback(ConfusionMatrix)
def confusion_matrix_pullback(op: ConfusionMatrix, node: Apply, output_grads: Grads) -> list[Any]:
    """Counts: no derivative in the labels (integers)."""
    return [None, None]
