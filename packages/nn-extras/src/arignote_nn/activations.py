"""Activation functions, composed of graph-core's elementwise ops (so fusion and every backend handle them, and
autograd-sym differentiates them through the scalar ops' rules). Python-scalar constants are weak: a float32
input gives a float32 output.
"""

from __future__ import annotations

import math
from typing import Any

import arignote_core as ac
from arignote_core import TensorVariable, as_tensor

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def sigmoid(x: Any) -> TensorVariable:
    """``1 / (1 + exp(-x))``."""
    return ac.sigmoid(x)


def hard_sigmoid(x: Any, slope: float = 0.2, shift: float = 0.5) -> TensorVariable:
    """``clip(slope * x + shift, 0, 1)``: Theano's defaults; ``slope=1/6`` gives PyTorch's ``hardsigmoid``."""
    return ac.clip(as_tensor(x) * slope + shift, 0, 1)


def softplus(x: Any) -> TensorVariable:
    """``log(1 + exp(x))``, computed without overflow."""
    return ac.softplus(x)


def softsign(x: Any) -> TensorVariable:
    """``x / (1 + |x|)``."""
    x = as_tensor(x)
    return x / (1 + ac.abs(x))


def relu(x: Any, alpha: float = 0.0) -> TensorVariable:
    """``max(x, 0)``; with ``alpha`` (Theano's argument) the negative part is scaled by it instead of zeroed."""
    x = as_tensor(x)
    if alpha == 0:
        return ac.maximum(x, 0)
    return leaky_relu(x, alpha)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> TensorVariable:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    x = as_tensor(x)
    return ac.where(x > 0, x, x * negative_slope)


def elu(x: Any, alpha: float = 1.0) -> TensorVariable:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere (the exponential never sees positive inputs, so
    neither the value nor the gradient of the unused branch overflows)."""
    x = as_tensor(x)
    return ac.where(x > 0, x, ac.expm1(ac.minimum(x, 0)) * alpha)


def selu(x: Any) -> TensorVariable:
    """The self-normalizing ``scale * elu(x, alpha)`` of Klambauer et al. (2017)."""
    return elu(x, SELU_ALPHA) * SELU_SCALE


def gelu(x: Any, approximate: str = "none") -> TensorVariable:
    """``x * Phi(x)`` with the normal CDF ``Phi`` (as ``erfc``, accurate in the left tail);
    ``approximate="tanh"`` uses the tanh approximation."""
    x = as_tensor(x)
    if approximate == "none":
        return x * (ac.erfc(x * -math.sqrt(0.5)) * 0.5)
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2 / math.pi)
        return x * ((ac.tanh(inner) + 1) * 0.5)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x: Any) -> TensorVariable:
    """``x * sigmoid(x)`` (also called swish)."""
    x = as_tensor(x)
    return x * ac.sigmoid(x)


swish = silu
