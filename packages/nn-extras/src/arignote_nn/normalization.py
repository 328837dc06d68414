"""Batch normalization (training, with running averages as shared-variable updates, and inference) and layer
normalization, composed of graph-core ops (autograd-sym differentiates them; fusion sees plain elementwise math).
"""

from __future__ import annotations

import math
from typing import Any

import arignote_core as ac
from arignote_core import TensorSharedVariable, TensorVariable, Variable, as_tensor
from arignote_core.tensors.reduce import normalize_axes


def batch_norm_axes(axes: Any, ndim: int) -> tuple[int, ...]:
    """Theano's names: ``"per-activation"`` is ``(0,)``, ``"spatial"`` is ``(0, 2, 3, ...)``; or explicit axes."""
    if axes == "per-activation":
        return (0,)
    if axes == "spatial":
        return (0, *range(2, ndim))
    return normalize_axes(axes, ndim, "batch_norm")


def _expand(value: Any, axes: tuple[int, ...], ndim: int) -> TensorVariable:
    """A per-feature value (the reduced shape, or already broadcastable) as a broadcastable ``ndim``-d tensor."""
    value = as_tensor(value)
    if value.ndim == ndim:
        return value
    if value.ndim != ndim - len(axes):
        raise ValueError(f"a per-feature parameter of {value.ndim} dimensions does not fit normalizing axes {axes} "
                         f"of a {ndim}-d input")
    kept = iter(range(value.ndim))
    return value.dimshuffle(*["x" if a in axes else next(kept) for a in range(ndim)])


def _like(stat: TensorVariable, target: Variable, axes: tuple[int, ...], ndim: int) -> TensorVariable:
    """``stat`` (reduced shape) in the layout of ``target`` (reduced or broadcastable)."""
    return _expand(stat, axes, ndim) if target.type.ndim == ndim else stat


def _bessel_factor(x: TensorVariable, axes: tuple[int, ...]) -> Any:
    """``n / (n - 1)`` for the ``n`` values reduced over ``axes`` (1 when ``n`` is 1): biased to unbiased."""
    sizes = [x.type.shape[a] for a in axes]
    if all(s is not None for s in sizes):
        count = math.prod(s for s in sizes if s is not None)
        return count / max(count - 1, 1)
    n: Any = 1
    for a in axes:
        n = n * x.shape[a]
    n = ac.cast(n, x.dtype)
    return n / ac.maximum(n - 1, 1)


def _affine(x_hat: TensorVariable, gamma: Any, beta: Any, axes: tuple[int, ...]) -> TensorVariable:
    out = x_hat
    if gamma is not None:
        out = out * _expand(gamma, axes, x_hat.ndim)
    if beta is not None:
        out = out + _expand(beta, axes, x_hat.ndim)
    return out


def batch_norm_train(x: Any, gamma: Any = None, beta: Any = None, axes: Any = "per-activation",
                     epsilon: float = 1e-5, momentum: float = 0.1, running_mean: TensorSharedVariable | None = None,
                     running_var: TensorSharedVariable | None = None) -> tuple[TensorVariable, dict[Any, Any]]:
    """Normalize ``x`` by the batch statistics over ``axes``; returns ``(output, updates)``.

    ``updates`` moves the shared ``running_mean`` and ``running_var`` (either one may be omitted) towards the
    batch mean and the unbiased batch variance by ``momentum``: pass it to ``function(..., updates=)``.
    ``gamma``, ``beta`` and the running statistics have the reduced shape (``(C,)`` for ``"spatial"`` NCHW) or
    a broadcastable one.
    """
    x = as_tensor(x)
    axes = batch_norm_axes(axes, x.ndim)
    mean = ac.mean(x, axis=axes)
    centered = x - _expand(mean, axes, x.ndim)
    var = ac.mean(centered * centered, axis=axes)
    x_hat = centered / ac.sqrt(_expand(var, axes, x.ndim) + epsilon)
    updates: dict[Any, Any] = {}
    if running_mean is not None:
        new_mean = running_mean * (1 - momentum) + _like(mean, running_mean, axes, x.ndim) * momentum
        updates[running_mean] = new_mean.astype(running_mean.type.dtype)
    if running_var is not None:
        unbiased = var * _bessel_factor(x, axes)
        new_var = running_var * (1 - momentum) + _like(unbiased, running_var, axes, x.ndim) * momentum
        updates[running_var] = new_var.astype(running_var.type.dtype)
    return _affine(x_hat, gamma, beta, axes), updates


def batch_norm_inference(x: Any, gamma: Any, beta: Any, mean: Any, var: Any, axes: Any = "per-activation",
                         epsilon: float = 1e-5) -> TensorVariable:
    """Normalize ``x`` by fixed statistics (the running averages): ``(x - mean) / sqrt(var + eps) * gamma + beta``."""
    x = as_tensor(x)
    axes = batch_norm_axes(axes, x.ndim)
    x_hat = (x - _expand(mean, axes, x.ndim)) / ac.sqrt(_expand(var, axes, x.ndim) + epsilon)
    return _affine(x_hat, gamma, beta, axes)


def batch_norm(x: Any, gamma: Any, beta: Any, running_mean: TensorSharedVariable, running_var: TensorSharedVariable,
               training: bool, axes: Any = "per-activation", epsilon: float = 1e-5,
               momentum: float = 0.1) -> tuple[TensorVariable, dict[Any, Any]]:
    """Training (batch statistics, running-average updates) or inference (running averages, no updates)."""
    if training:
        return batch_norm_train(x, gamma, beta, axes, epsilon, momentum, running_mean, running_var)
    return batch_norm_inference(x, gamma, beta, running_mean, running_var, axes, epsilon), {}


def layer_norm(x: Any, gamma: Any = None, beta: Any = None, axes: Any = -1, epsilon: float = 1e-5) -> TensorVariable:
    """Normalize each example over ``axes`` (the trailing feature axes); ``gamma`` and ``beta`` broadcast
    against ``x`` (shape of the normalized axes, like PyTorch's ``normalized_shape``)."""
    x = as_tensor(x)
    axes = normalize_axes(axes, x.ndim, "layer_norm")
    mean = ac.mean(x, axis=axes, keepdims=True)
    centered = x - mean
    var = ac.mean(centered * centered, axis=axes, keepdims=True)
    out = centered / ac.sqrt(var + epsilon)
    if gamma is not None:
        out = out * gamma
    if beta is not None:
        out = out + beta
    return out
