"""Numerically stable softmax, log-softmax and log-sum-exp over chosen axes.

Each op computes with the max shift (``x - max(x)``) so that large logits neither overflow nor lose precision;
the rewrite engine turns the naive user forms (``log(softmax(x))``, ``log(sum(exp(x)))``) into these ops.
A row whose maximum is not finite (all ``-inf``, or containing ``inf``/``nan``) gets the same result as the
naive formula would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dtypes import upcast_float
from ..graph import Apply, Op
from .basic import as_tensor, cast
from .reduce import normalize_axes
from .type import TensorType


def _float_input(x: Any, what: str) -> Any:
    x = as_tensor(x)
    if x.dtype == "bool" or x.dtype.startswith("complex"):
        raise TypeError(f"{what} takes a real tensor, got {x} of type {x.type}")
    return cast(x, upcast_float(x.dtype))


def _check_axes(op: Op, axes: tuple[int, ...], x: Any) -> None:
    if any(a >= x.ndim for a in axes):
        raise ValueError(f"{op}: axes {list(axes)} out of bounds for {x} of type {x.type}")


def _shifted(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``x - m`` and ``m``, where ``m`` is the max over ``axes`` (kept as length-1 axes), or 0 if not finite;
    float16 in float32 (summing and taking logs in float16 loses a few percent: log(1.0092) is 0.0097 there)."""
    if x.dtype == np.float16:
        x = x.astype(np.float32)
    if x.size == 0:
        m = np.zeros([1 if i in axes else s for i, s in enumerate(x.shape)], dtype=x.dtype)
    else:
        m = np.max(x, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
    return x - m, m


@dataclass(frozen=True)
class Softmax(Op):
    """``exp(x) / sum(exp(x), axes)``, computed with the max shift."""

    axes: tuple[int, ...]

    def make_node(self, x: Any) -> Apply:
        x = _float_input(x, "softmax")
        _check_axes(self, self.axes, x)
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        with np.errstate(all="ignore"):
            shifted, _ = _shifted(inputs[0], self.axes)
            e = np.exp(shifted)
            return [(e / np.sum(e, axis=self.axes, keepdims=True)).astype(inputs[0].dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [tuple(input_shapes[0])]

    def __str__(self) -> str:
        return f"Softmax{{axes={list(self.axes)}}}"


@dataclass(frozen=True)
class LogSoftmax(Op):
    """``x - log(sum(exp(x), axes))``, computed with the max shift (finite for finite logits of any size)."""

    axes: tuple[int, ...]

    def make_node(self, x: Any) -> Apply:
        x = _float_input(x, "log_softmax")
        _check_axes(self, self.axes, x)
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        with np.errstate(all="ignore"):
            shifted, _ = _shifted(inputs[0], self.axes)
            out = shifted - np.log(np.sum(np.exp(shifted), axis=self.axes, keepdims=True))
            return [out.astype(inputs[0].dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [tuple(input_shapes[0])]

    def __str__(self) -> str:
        return f"LogSoftmax{{axes={list(self.axes)}}}"


@dataclass(frozen=True)
class LogSumExp(Op):
    """``log(sum(exp(x), axes))`` computed as ``m + log(sum(exp(x - m)))`` with ``m`` the max over ``axes``."""

    axes: tuple[int, ...]
    keepdims: bool = False

    def make_node(self, x: Any) -> Apply:
        x = _float_input(x, "logsumexp")
        _check_axes(self, self.axes, x)
        shape = tuple(1 if i in self.axes else s for i, s in enumerate(x.type.shape) if self.keepdims
                      or i not in self.axes)
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        with np.errstate(all="ignore"):
            shifted, m = _shifted(inputs[0], self.axes)
            out = m + np.log(np.sum(np.exp(shifted), axis=self.axes, keepdims=True))
        if not self.keepdims:
            out = np.squeeze(out, axis=self.axes)
        return [np.asarray(out, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        (shape,) = input_shapes
        if self.keepdims:
            return [tuple(1 if i in self.axes else s for i, s in enumerate(shape))]
        return [tuple(s for i, s in enumerate(shape) if i not in self.axes)]

    def __str__(self) -> str:
        keep = ", keepdims" if self.keepdims else ""
        return f"LogSumExp{{axes={list(self.axes)}{keep}}}"


def softmax(x: Any, axis: Any = -1) -> Any:
    """SciPy's ``softmax(x, axis)`` (default: the last axis; None: all axes), numerically stable."""
    x = as_tensor(x)
    return Softmax(normalize_axes(axis, x.ndim, "softmax"))(x)


def log_softmax(x: Any, axis: Any = -1) -> Any:
    """SciPy's ``log_softmax(x, axis)`` (default: the last axis; None: all axes), numerically stable."""
    x = as_tensor(x)
    return LogSoftmax(normalize_axes(axis, x.ndim, "log_softmax"))(x)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """SciPy's ``logsumexp(x, axis, keepdims)`` (default: all axes), numerically stable."""
    x = as_tensor(x)
    return LogSumExp(normalize_axes(axis, x.ndim, "logsumexp"), keepdims)(x)


__all__ = ["LogSoftmax", "LogSumExp", "Softmax", "log_softmax", "logsumexp", "softmax"]
