"""Selecting elements by index or condition: take, take_along_axis, select (built on indexing and where)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..dtypes import is_integer
from . import math as tm
from .basic import arange, as_tensor, reshape
from .reduce import normalize_axes
from .shape_inference import shape_tuple
from .type import format_shape
from .variable import TensorVariable


def take(a: Any, indices: Any, axis: int | None = None, mode: str = "raise") -> TensorVariable:
    """NumPy's ``take``: elements of ``a`` at ``indices`` along ``axis`` (of the flattened array when None);
    ``mode`` is ``raise`` (an error out of range), ``wrap`` or ``clip``."""
    x = as_tensor(a)
    idx = as_tensor(indices)
    if not is_integer(idx.dtype):
        raise TypeError(f"take: indices must be integers, got {idx} of type {idx.type}")
    if axis is None:
        x, ax = reshape(x, (-1,)), 0
    else:
        (ax,) = normalize_axes(axis, x.ndim, "take")
    n = shape_tuple(x)[ax]
    if mode == "wrap":
        idx = tm.remainder(idx, n)
    elif mode == "clip":
        idx = tm.clip(idx, 0, tm.maximum(n - 1, 0))
    elif mode != "raise":
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    return x[(slice(None),) * ax + (idx,)]


def take_along_axis(arr: Any, indices: Any, axis: int | None = -1) -> TensorVariable:
    """NumPy's ``take_along_axis``: pick values along ``axis`` with an index array of the same ndim."""
    x = as_tensor(arr)
    idx = as_tensor(indices)
    if not is_integer(idx.dtype):
        raise IndexError(f"take_along_axis: `indices` must be an integer array, got {idx.type}")
    if axis is None:
        if idx.ndim != 1:
            raise ValueError("take_along_axis: when axis=None, `indices` must have a single dimension.")
        return reshape(x, (-1,))[idx]
    if idx.ndim != x.ndim:
        raise ValueError(f"take_along_axis: `indices` and `arr` must have the same number of dimensions "
                         f"({format_shape(idx.type.shape)} and {format_shape(x.type.shape)})")
    (ax,) = normalize_axes(axis, x.ndim, "take_along_axis")
    dims = shape_tuple(x)
    index: list[Any] = []
    for i in range(x.ndim):
        if i == ax:
            index.append(idx)
        else:
            shape = [1] * x.ndim
            shape[i] = -1
            index.append(reshape(arange(dims[i], dtype="int64"), tuple(shape)))
    return x[tuple(index)]


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> TensorVariable:
    """NumPy's ``select``: from the choice of the first condition that holds, else ``default``."""
    if len(condlist) != len(choicelist):
        raise ValueError("select: list of cases must be same length as list of conditions")
    if not condlist:
        raise ValueError("select with an empty condition list is not possible")
    conditions = [as_tensor(c) for c in condlist]
    for i, c in enumerate(conditions):
        if c.dtype != "bool":
            raise TypeError(f"select: invalid entry {i} in condlist: should be boolean ndarray, got {c.type}")
    result: Any = default
    for cond, choice in zip(reversed(conditions), reversed(list(choicelist)), strict=True):
        result = tm.where(cond, choice, result)
    return as_tensor(result)

__all__ = ["select", "take", "take_along_axis"]
