"""``theano.tensor.nnet.bn``: ``batch_normalization`` (normalize by given statistics) and
``batch_normalization_train``/``batch_normalization_test`` with Theano's arguments and results."""

from __future__ import annotations

from typing import Any

import arignote as ar
from arignote_core import TensorVariable, as_tensor
from arignote_nn.normalization import batch_norm_axes

__all__ = ["batch_normalization", "batch_normalization_test", "batch_normalization_train"]


def batch_normalization(inputs: Any, gamma: Any, beta: Any, mean: Any, std: Any,
                        mode: str = "low_mem") -> TensorVariable:
    """``(inputs - mean) * (gamma / std) + beta``, all broadcast together; ``mode`` (Theano's memory trade-off)
    is accepted."""
    if mode not in ("low_mem", "high_mem"):
        raise ValueError(f"batch_normalization: mode must be 'low_mem' or 'high_mem', got {mode!r}")
    return (as_tensor(inputs) - mean) * (as_tensor(gamma) / std) + beta


def batch_normalization_train(inputs: Any, gamma: Any, beta: Any, axes: Any = "per-activation",
                              epsilon: float = 1e-4, running_average_factor: float = 0.1,
                              running_mean: Any = None, running_var: Any = None) -> tuple[TensorVariable, ...]:
    """Normalize by the batch statistics over ``axes`` (``'per-activation'``, ``'spatial'`` or a tuple);
    returns ``(out, mean, invstd)``, and with ``running_mean`` and ``running_var`` also their new values
    (the variance unbiased), all with the reduced axes kept (size 1) as in Theano."""
    x = as_tensor(inputs)
    reduced = batch_norm_axes(axes, x.ndim)
    mean = ar.mean(x, axis=reduced, keepdims=True)
    var = ar.mean(ar.square(x - mean), axis=reduced, keepdims=True)
    invstd = 1 / ar.sqrt(var + epsilon)
    out = (x - mean) * invstd * gamma + beta
    if running_mean is None and running_var is None:
        return out, mean, invstd
    if running_mean is None or running_var is None:
        raise ValueError("batch_normalization_train: give both running_mean and running_var, or neither")
    count = ar.prod(ar.stack([x.shape[a] for a in reduced]))
    unbiased = var * ar.cast(count, var.dtype) / ar.cast(ar.maximum(count - 1, 1), var.dtype)
    factor = running_average_factor
    new_mean = as_tensor(running_mean) * (1 - factor) + mean * factor
    new_var = as_tensor(running_var) * (1 - factor) + unbiased * factor
    return out, mean, invstd, new_mean, new_var


def batch_normalization_test(inputs: Any, gamma: Any, beta: Any, mean: Any, var: Any, axes: Any = "per-activation",
                             epsilon: float = 1e-4) -> TensorVariable:
    """Normalize by the given statistics: ``(inputs - mean) * gamma / sqrt(var + epsilon) + beta``."""
    return (as_tensor(inputs) - mean) * gamma / ar.sqrt(as_tensor(var) + epsilon) + beta
