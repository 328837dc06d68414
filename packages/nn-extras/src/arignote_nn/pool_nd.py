"""1-d and 3-d pooling (Theano's ``pool_2d`` keywords: ``ws``, ``ignore_border``, ``stride``, ``pad``,
``mode``) and global pooling.

Both are built from :class:`arignote_nn.Pool2d`, so its shape inference, derivative rules and C kernels
serve them too. ``pool_1d`` pools a unit-height plane. ``pool_3d`` pools each depth slice's planes, then the
depth axis (a 2-d pooling of the (depth, columns) planes, one column wide): every mode is separable, since a
window's maximum is the maximum of its planes' maxima and its divisor is the product of the per-axis counts.
The max gradient still goes to each window's first maximum in (depth, row, column) order: the depth stage
picks the first slice holding the maximum, the plane stage the first maximum in that slice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from arignote_core import TensorVariable, as_tensor, expand_dims, max, mean, squeeze, swapaxes

from .pool import Pool2d
from .windows import as_ints


def _spatial_input(input: Any, n: int, what: str) -> TensorVariable:
    x = as_tensor(input)
    if np.dtype(x.dtype).kind != "f" or x.ndim < n:
        raise TypeError(f"{what} takes a floating-point tensor of at least {n} dimensions (it pools the last {n}), "
                        f"got {x} of type {x.type}")
    return x


def pool_1d(input: Any, ws: Any, ignore_border: bool = False, stride: Any = None, pad: Any = 0,
            mode: str = "max") -> TensorVariable:
    """Pool the last axis of ``input`` (..., width) over windows of ``ws``: ``mode`` is ``"max" | "sum" |
    "average_inc_pad" | "average_exc_pad"``; ``stride`` defaults to ``ws``; ``ignore_border`` defaults to False
    as in Theano's ``pool_2d`` (partial windows at the end count)."""
    x = _spatial_input(input, 1, "pool_1d")
    (w,) = as_ints(ws, 1, "pool_1d's window ws", 1)
    (s,) = as_ints(ws if stride is None else stride, 1, "pool_1d's stride", 1)
    (p,) = as_ints(pad, 1, "pool_1d's padding pad", 0)
    pooled = Pool2d((1, w), (1, s), (0, p), bool(ignore_border), mode)(expand_dims(x, -2))
    return squeeze(pooled, -2)


def pool_3d(input: Any, ws: Any, ignore_border: bool = False, stride: Any = None, pad: Any = (0, 0, 0),
            mode: str = "max") -> TensorVariable:
    """Pool the last three axes of ``input`` (..., depth, height, width) (Theano's ``pool_3d``): ``ws``,
    ``stride`` and ``pad`` are an int or three; the rest as :func:`arignote_nn.pool_1d`."""
    x = _spatial_input(input, 3, "pool_3d")
    wd, wh, ww = as_ints(ws, 3, "pool_3d's window ws", 1)
    sd, sh, sw = as_ints(ws if stride is None else stride, 3, "pool_3d's stride", 1)
    pd, ph, pw = as_ints(pad, 3, "pool_3d's padding pad", 0)
    if pd >= wd:
        raise ValueError(f"pooling padding {(pd, ph, pw)} must be smaller than the window {(wd, wh, ww)}")
    planes = Pool2d((wh, ww), (sh, sw), (ph, pw), bool(ignore_border), mode)(x)  # (..., D, OH, OW)
    depth_last = swapaxes(planes, -3, -2)  # (..., OH, D, OW)
    pooled = Pool2d((wd, 1), (sd, 1), (pd, 0), bool(ignore_border), mode)(depth_last)
    return swapaxes(pooled, -3, -2)


GLOBAL_MODES = ("max", "average")


def global_pool(x: Any, mode: str = "max", ndim: int = 2) -> TensorVariable:
    """The maximum or mean over the last ``ndim`` (spatial) axes: (N, C, H, W) -> (N, C) for ``ndim=2``
    (Keras' ``GlobalMaxPooling2D``/``GlobalAveragePooling2D`` on channels-first data). Reductions, so their
    gradients are the reductions' (a max's gradient goes to its window's maxima)."""
    x = as_tensor(x)
    if mode not in GLOBAL_MODES:
        raise ValueError(f"global pooling mode must be one of {', '.join(GLOBAL_MODES)}, got {mode!r}")
    if not isinstance(ndim, int | np.integer) or not 1 <= ndim <= x.ndim:
        raise ValueError(f"global pooling over ndim={ndim!r} axes needs 1 <= ndim <= {x.ndim} (the input {x} "
                         f"of type {x.type})")
    axes = tuple(range(x.ndim - int(ndim), x.ndim))
    return max(x, axis=axes) if mode == "max" else mean(x, axis=axes)


def global_max_pool(x: Any, ndim: int = 2) -> TensorVariable:
    """The maximum over the last ``ndim`` axes (:func:`arignote_nn.global_pool` in max mode)."""
    return global_pool(x, "max", ndim)


def global_average_pool(x: Any, ndim: int = 2) -> TensorVariable:
    """The mean over the last ``ndim`` axes (:func:`arignote_nn.global_pool` in average mode)."""
    return global_pool(x, "average", ndim)
