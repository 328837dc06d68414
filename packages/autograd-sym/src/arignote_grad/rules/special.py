"""Softmax, log-softmax and log-sum-exp (graph-core's numerically stable ops).

Their Jacobians are written with the op's own output, so gradients stay as stable as the forward values:
``softmax``: ``y * (g - sum(g * y))``; ``log_softmax``: ``g - exp(y) * sum(g)``; ``logsumexp``:
``g * exp(x - out)`` (``exp(x - out)`` is the softmax, never overflowing since ``out >= max(x)``). Softmax's
Jacobian is symmetric, so its pushforward uses the same formula as its pullback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply
from arignote_core.tensors.math import exp, multiply, subtract
from arignote_core.tensors.math import sum as tensor_sum
from arignote_core.tensors.special import LogSoftmax, LogSumExp, Softmax

from ..registry import register_pullback, register_pushforward
from .reduce import keep_reduced_axes


def _softmax_vjp(y: Any, g: Any, axes: tuple[int, ...]) -> Any:
    return multiply(y, subtract(g, tensor_sum(multiply(g, y), axis=axes, keepdims=True)))


@register_pullback(Softmax)
def softmax_pullback(op: Softmax, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    return [None if gz is None else _softmax_vjp(node.outputs[0], gz, op.axes)]


@register_pushforward(Softmax)
def softmax_pushforward(op: Softmax, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    return [_softmax_vjp(node.outputs[0], tangents[0], op.axes)]


@register_pullback(LogSoftmax)
def log_softmax_pullback(op: LogSoftmax, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    if gz is None:
        return [None]
    probabilities = exp(node.outputs[0])
    return [subtract(gz, multiply(probabilities, tensor_sum(gz, axis=op.axes, keepdims=True)))]


@register_pushforward(LogSoftmax)
def log_softmax_pushforward(op: LogSoftmax, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    (t,) = tangents
    probabilities = exp(node.outputs[0])
    return [subtract(t, tensor_sum(multiply(probabilities, t), axis=op.axes, keepdims=True))]


def _logsumexp_weights(op: LogSumExp, node: Apply) -> Any:
    x, out = node.inputs[0], node.outputs[0]
    kept = out if op.keepdims else keep_reduced_axes(out, op.axes, x.type.ndim)
    return exp(subtract(x, kept))


@register_pullback(LogSumExp)
def logsumexp_pullback(op: LogSumExp, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    if gz is None:
        return [None]
    x = node.inputs[0]
    g = gz if op.keepdims else keep_reduced_axes(gz, op.axes, x.type.ndim)
    return [multiply(g, _logsumexp_weights(op, node))]


@register_pushforward(LogSumExp)
def logsumexp_pushforward(op: LogSumExp, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    weighted = multiply(tangents[0], _logsumexp_weights(op, node))
    return [tensor_sum(weighted, axis=op.axes, keepdims=op.keepdims)]
