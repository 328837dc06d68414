"""Ops that compute the identity but change how gradients flow through them.

- ``zero_grad(x)``: the gradient through ``x`` is zero (``x`` still counts as depending on its inputs), and so
  is its tangent in forward mode (JAX's ``stop_gradient``).
- ``disconnected_grad(x)``: no gradient goes through ``x`` at all: asking for the gradient of an input that the
  cost reaches only through ``x`` is a disconnected-input error, as if ``x`` were a constant.
- ``grad_clip(x, lo, hi)``: the gradient through ``x`` is clipped to ``[lo, hi]`` elementwise.
- ``grad_scale(x, multiplier)``: the gradient through ``x`` is multiplied by ``multiplier``.

``grad_clip`` and ``grad_scale`` change reverse mode only: their forward tangent is the input's, since they are
the identity. At run time all four are the identity; a rewrite can remove them once gradients are taken
(``identity_at_runtime`` marks them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from arignote_core import Apply, Op, Variable, as_tensor
from arignote_core.tensors.math import clip, multiply

from .registry import register_pullback, register_pushforward
from .tensor_utils import is_differentiable, zeros_like


class GradientOp(Op):
    """The identity at run time, with a special derivative rule."""

    identity_at_runtime: ClassVar[bool] = True

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return [inputs[0]]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


@dataclass(frozen=True)
class ZeroGrad(GradientOp):
    """Identity whose derivative is zero."""


@dataclass(frozen=True)
class DisconnectedGrad(GradientOp):
    """Identity through which no gradient flows."""


@dataclass(frozen=True)
class GradClip(GradientOp):
    """Identity whose gradient is clipped to ``[lower, upper]``."""

    lower: float
    upper: float

    def __post_init__(self) -> None:
        if not self.lower <= self.upper:
            raise ValueError(f"grad_clip: the lower bound {self.lower} is above the upper bound {self.upper}")


@dataclass(frozen=True)
class GradScale(GradientOp):
    """Identity whose gradient is multiplied by ``multiplier``."""

    multiplier: float


def zero_grad(x: Any) -> Variable:
    """``x``, with a zero gradient (and zero tangent) through it."""
    return ZeroGrad()(x)


def disconnected_grad(x: Any) -> Variable:
    """``x``, with no gradient through it: the inputs of ``x`` count as disconnected through this path."""
    return DisconnectedGrad()(x)


def grad_clip(x: Any, lower: float, upper: float) -> Variable:
    """``x``, with the gradient through it clipped to ``[lower, upper]``."""
    return GradClip(float(lower), float(upper))(x)


def grad_scale(x: Any, multiplier: float) -> Variable:
    """``x``, with the gradient through it multiplied by ``multiplier``."""
    return GradScale(float(multiplier))(x)


@register_pullback(ZeroGrad)
def _zero_grad_pullback(op: ZeroGrad, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    x = node.inputs[0]
    return [zeros_like(x) if output_grads[0] is not None and is_differentiable(x) else None]


@register_pullback(DisconnectedGrad)
def _disconnected_grad_pullback(op: DisconnectedGrad, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    return [None]


@register_pushforward(ZeroGrad)
@register_pushforward(DisconnectedGrad)
def _stop_pushforward(op: GradientOp, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    return [None]


@register_pullback(GradClip)
def _grad_clip_pullback(op: GradClip, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    return [None if gz is None else clip(gz, op.lower, op.upper)]


@register_pullback(GradScale)
def _grad_scale_pullback(op: GradScale, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    return [None if gz is None else multiply(gz, op.multiplier)]


@register_pushforward(GradClip)
@register_pushforward(GradScale)
def _identity_pushforward(op: GradientOp, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    return [tangents[0]]
