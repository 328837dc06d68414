"""``pad`` with NumPy's modes constant, edge, reflect, symmetric, wrap, maximum, minimum and mean, built from
joins and index arrays (so it has shape inference and derivatives through those)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import math as tm
from .basic import arange, as_tensor, cast, constant
from .join import concatenate
from .reduce import normalize_axes
from .shape_inference import shape_tuple
from .shaping import broadcast_to
from .variable import TensorVariable

INDEXED_MODES = ("edge", "reflect", "symmetric", "wrap")
STAT_MODES = ("maximum", "minimum", "mean")


def _pairs(value: Any, ndim: int, what: str) -> np.ndarray:
    try:
        return np.broadcast_to(np.asarray(value), (ndim, 2))
    except ValueError as exc:
        raise ValueError(f"pad: {what} {value!r} does not fit an array of {ndim} dimensions") from exc


def _source_index(mode: str, before: int, after: int, n: Any) -> Any:
    """For each position of the padded axis, the index of the original element it copies."""
    i = arange(-before, n + after, dtype="int64")
    if mode == "edge":
        return tm.clip(i, 0, n - 1)
    if mode == "wrap":
        return tm.remainder(i, n)
    if mode == "symmetric":
        j = tm.remainder(i, 2 * n)
        return tm.where(tm.less(j, n), j, 2 * n - 1 - j)
    period = tm.maximum(2 * n - 2, 1)
    j = tm.remainder(i, period)
    return tm.where(tm.less(j, n), j, 2 * n - 2 - j)


def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> TensorVariable:
    """NumPy's ``pad`` (static widths); ``constant_values`` for ``constant``, ``reflect_type='even'`` only."""
    x = as_tensor(array)
    widths = _pairs(pad_width, x.ndim, "pad_width").astype(np.int64)
    if (widths < 0).any():
        raise ValueError("pad: index can't contain negative values")
    if mode not in ("constant", *INDEXED_MODES, *STAT_MODES):
        raise NotImplementedError(f"pad: mode {mode!r} is not supported; use one of constant, "
                                  f"{', '.join(INDEXED_MODES + STAT_MODES)}")
    if kwargs.get("reflect_type", "even") != "even":
        raise NotImplementedError("pad: only reflect_type='even' is supported")
    values = _pairs(kwargs.get("constant_values", 0), x.ndim, "constant_values")
    for axis in normalize_axes(None, x.ndim, "pad"):
        before, after = (int(w) for w in widths[axis])
        if before == after == 0:
            continue
        n = shape_tuple(x)[axis]
        if mode != "constant" and isinstance(n, int) and n == 0:
            raise ValueError(f"pad: can't extend empty axis {axis} using modes other than 'constant' or 'empty'")
        prefix = (slice(None),) * axis
        if mode in INDEXED_MODES:
            x = x[prefix + (_source_index(mode, before, after, n),)]
            continue
        if mode == "constant":
            fills: list[Any] = [constant(np.asarray(v).astype(x.dtype)) for v in values[axis]]
        else:
            reducer: Any = {"maximum": tm.max, "minimum": tm.min, "mean": tm.mean}[mode]
            stat = reducer(x, axis=axis, keepdims=True)
            if mode == "mean" and x.dtype[0] in "iub":
                stat = tm.rint(stat)
            fills = [cast(stat, x.dtype)] * 2
        parts = []
        for fill, width in zip(fills, (before, after), strict=True):
            if width:
                shape = list(shape_tuple(x))
                shape[axis] = width
                parts.append(broadcast_to(fill, tuple(shape)))
        parts.insert(1 if before else 0, x)
        x = concatenate(parts, axis=axis)
    return x

__all__ = ["pad"]
