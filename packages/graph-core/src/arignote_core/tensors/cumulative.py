"""Cumulative operations: ``CumOp`` (cumsum, cumprod and their NaN-ignoring forms) and ``diff``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dtypes import as_dtype
from ..graph import Apply, Op
from . import math as tm
from .basic import as_tensor, constant, reshape
from .join import concatenate
from .reduce import normalize_axes
from .shape_inference import shape_tuple
from .shaping import broadcast_to
from .type import TensorType
from .variable import TensorVariable


@dataclass(frozen=True)
class CumOp(Op):
    """Running sum (``mode="add"``) or product (``"mul"``) along ``axis``, accumulating in ``dtype``."""

    axis: int
    mode: str
    dtype: str

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        normalize_axes(self.axis, x.ndim, f"cum{self.mode}")
        return Apply(self, [x], [TensorType(self.dtype, x.type.shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        function = np.cumsum if self.mode == "add" else np.cumprod
        return [function(inputs[0], axis=self.axis, dtype=self.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]

    def __str__(self) -> str:
        return f"Cum{self.mode}{{axis={self.axis}}}"


def _cumulative(mode: str, a: Any, axis: int | None, dtype: Any) -> TensorVariable:
    x = as_tensor(a)
    if axis is None:
        x, ax = reshape(x, (-1,)), 0
    elif x.ndim == 0:
        raise ValueError(f"cum{mode}: axis {axis} is out of bounds for a 0-d array")
    else:
        (ax,) = normalize_axes(axis, x.ndim, f"cum{mode}")
    function = np.cumsum if mode == "add" else np.cumprod
    out_dtype = as_dtype(dtype) if dtype is not None else function(np.zeros(1, x.dtype)).dtype.name
    return CumOp(ax, mode, out_dtype)(x)


def cumsum(a: Any, axis: int | None = None, dtype: Any = None) -> TensorVariable:
    """NumPy's ``cumsum`` (the flattened array when ``axis`` is None)."""
    return _cumulative("add", a, axis, dtype)


def cumprod(a: Any, axis: int | None = None, dtype: Any = None) -> TensorVariable:
    """NumPy's ``cumprod``."""
    return _cumulative("mul", a, axis, dtype)


def _nan_as(a: Any, value: int) -> TensorVariable:
    x = as_tensor(a)
    if x.dtype[0] not in "fc":
        return x
    return tm.where(tm.isnan(x), constant(np.asarray(value, x.dtype)), x)


def nancumsum(a: Any, axis: int | None = None, dtype: Any = None) -> TensorVariable:
    """NumPy's ``nancumsum``: NaN counts as zero."""
    return cumsum(_nan_as(a, 0), axis, dtype)


def nancumprod(a: Any, axis: int | None = None, dtype: Any = None) -> TensorVariable:
    """NumPy's ``nancumprod``: NaN counts as one."""
    return cumprod(_nan_as(a, 1), axis, dtype)


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> TensorVariable:
    """NumPy's ``diff``: the ``n``-th discrete difference along ``axis`` (``not_equal`` for booleans)."""
    x = as_tensor(a)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    if n == 0:
        return x
    if x.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    (ax,) = normalize_axes(axis, x.ndim, "diff")

    def edge(value: Any) -> TensorVariable:
        v = as_tensor(value)
        if v.ndim == 0:
            shape = list(shape_tuple(x))
            shape[ax] = 1
            return broadcast_to(v, tuple(shape))
        return v

    parts = ([edge(prepend)] if prepend is not None else []) + [x] + ([edge(append)] if append is not None else [])
    if len(parts) > 1:
        x = concatenate(parts, axis=ax)
    before = (slice(None),) * ax
    op = tm.not_equal if x.dtype == "bool" else tm.subtract
    for _ in range(n):
        x = op(x[before + (slice(1, None),)], x[before + (slice(None, -1),)])
    return x

__all__ = ["CumOp", "cumprod", "cumsum", "diff", "nancumprod", "nancumsum"]
