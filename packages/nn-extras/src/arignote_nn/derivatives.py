"""The derivatives of nn-extras' ops, in autograd-sym's registries like every other op's (the ops carry none).

Convolution is bilinear in its input and filters, and its two adjoints are convolutions again; pooling's
gradients are ops of their own, whose derivatives close the set (a max pool's gradient is piecewise constant in
the input, so its derivative there is zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply, Op, Variable, as_tensor, shape
from arignote_core.tensors.creation import zeros_like
from arignote_grad import register_pullback, register_pushforward, undefined_grad

from .conv import Conv2d, Conv2dGradInput, Conv2dGradWeights, ConvParams
from .conv3d import Conv3d, Conv3dGradInput, Conv3dGradWeights
from .ctc import CTCLoss, CTCLossGrad
from .metrics import ConfusionMatrix
from .pool import AveragePool2dGrad, MaxPool2dGrad, MaxPool2dGradGrad, Pool2d

Grads = Sequence[Variable | None]


#: the convolution families, one per spatial rank: (forward, gradient in the input, gradient in the filters)
_CONV_FAMILIES = ((Conv2d, Conv2dGradInput, Conv2dGradWeights), (Conv3d, Conv3dGradInput, Conv3dGradWeights))
#: each convolution op's family
CONV_FAMILIES: dict[type, tuple[type, ...]] = {op_class: family for family in _CONV_FAMILIES for op_class in family}


def _family(op: ConvParams) -> tuple[Any, Any, Any]:
    """The three ops of ``op``'s family, with its parameters."""
    forward, grad_input, grad_weights = CONV_FAMILIES[type(op)]
    return forward(**op.params()), grad_input(**op.params()), grad_weights(**op.params())


def bilinear_pushforward(op: Op, node: Apply, tangents: Grads) -> list[Any]:
    """Tangent of an op bilinear in its first two inputs: ``op(da, b) + op(a, db)``."""
    a, b, *rest = node.inputs
    da, db = tangents[0], tangents[1]
    terms = ([op(da, b, *rest)] if da is not None else []) + ([op(a, db, *rest)] if db is not None else [])
    if not terms:
        return [None]
    return [terms[0] if len(terms) == 1 else terms[0] + terms[1]]


def conv_pullback(op: ConvParams, node: Apply, output_grads: Grads) -> list[Any]:
    """``conv(x, w)``: the input gradient and the filter gradient."""
    (gy,) = output_grads
    if gy is None:
        return [None, None]
    x, w = node.inputs
    _, grad_input, grad_weights = _family(op)
    return [grad_input(w, gy, shape(x)), grad_weights(x, gy, shape(w))]


def conv_grad_input_pullback(op: ConvParams, node: Apply, output_grads: Grads) -> list[Any]:
    """``conv_grad_input(w, gy)``: bilinear, its pullback is made of the other two ops."""
    (g,) = output_grads
    if g is None:
        return [None, None, None]
    w, gy, _ = node.inputs
    forward, _, grad_weights = _family(op)
    return [grad_weights(g, gy, shape(w)), forward(g, w), None]


def conv_grad_weights_pullback(op: ConvParams, node: Apply, output_grads: Grads) -> list[Any]:
    """``conv_grad_weights(x, gy)``: bilinear, its pullback is made of the other two ops."""
    (g,) = output_grads
    if g is None:
        return [None, None, None]
    x, gy, _ = node.inputs
    forward, grad_input, _ = _family(op)
    return [grad_input(g, gy, shape(x)), forward(x, g), None]


for _forward, _grad_input, _grad_weights in _CONV_FAMILIES:
    for _op_class in (_forward, _grad_input, _grad_weights):
        register_pushforward(_op_class)(bilinear_pushforward)
    register_pullback(_forward)(conv_pullback)
    register_pullback(_grad_input)(conv_grad_input_pullback)
    register_pullback(_grad_weights)(conv_grad_weights_pullback)


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


@register_pullback(CTCLoss)
def ctc_loss_pullback(op: CTCLoss, node: Apply, output_grads: Grads) -> list[Any]:
    """Each example's gradient (``CTCLossGrad``) scaled by its output gradient; none in the integer inputs."""
    (g,) = output_grads
    if g is None:
        return [None, None, None, None]
    return [CTCLossGrad(op.blank)(*node.inputs) * as_tensor(g)[None, :, None], None, None, None]


@register_pullback(CTCLossGrad)
def ctc_loss_grad_pullback(op: CTCLossGrad, node: Apply, output_grads: Grads) -> list[Any]:
    """CTC's gradient has no derivative rule (second order is not implemented)."""
    return [undefined_grad(op, 0, "the second derivative of the CTC loss is not implemented"), None, None, None]
