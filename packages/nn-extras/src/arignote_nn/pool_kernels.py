"""NumPy reference kernels of 2-d pooling over the last two axes: max, sum and the two averages (Theano's
``average_inc_pad`` counts explicit padding in the divisor, ``average_exc_pad`` does not), with and without
partial windows at the border, and the gradients. Windows are strided views; no loop runs over pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .windows import Pads, Pair, add_windows, crop_spatial, pad_spatial, pool_output_size, window_view

POOL_MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


@dataclass(frozen=True)
class PoolGeometry:
    """Where the windows of a pooling lie on an input of spatial size ``in_hw``."""

    ws: Pair
    stride: Pair
    pad: Pair
    ignore_border: bool
    in_hw: Pair

    @property
    def out_hw(self) -> Pair:
        sizes = tuple(pool_output_size(self.in_hw[a], self.ws[a], self.stride[a], self.pad[a], self.ignore_border)
                      for a in (0, 1))
        if min(sizes) < 1:
            raise ValueError(f"pooling: the window {self.ws} does not fit the input of spatial shape {self.in_hw} "
                             f"padded by {self.pad}")
        return sizes

    @property
    def pads(self) -> Pads:
        """Padding before and after each axis so that every window lies inside the padded array."""
        out = self.out_hw
        return tuple((self.pad[a], max((out[a] - 1) * self.stride[a] + self.ws[a] - self.in_hw[a] - self.pad[a], 0))
                     for a in (0, 1))  # type: ignore[return-value]

    @property
    def padded_hw(self) -> Pair:
        pads = self.pads
        return self.in_hw[0] + sum(pads[0]), self.in_hw[1] + sum(pads[1])

    def windows(self, x: np.ndarray, fill: float) -> np.ndarray:
        """``x`` padded with ``fill`` and viewed as (..., OH, OW, KH, KW)."""
        return window_view(pad_spatial(x, self.pads, fill), self.ws, self.stride, (1, 1), self.out_hw)

    def scatter(self, columns: np.ndarray) -> np.ndarray:
        """Sum window values (..., OH, OW, KH, KW) back onto the unpadded input (..., H, W)."""
        padded = add_windows(columns, self.padded_hw, self.stride, (1, 1))
        return np.ascontiguousarray(crop_spatial(padded, self.pads, self.in_hw))

    def divisor(self, mode: str) -> np.ndarray:
        """How many elements each window averages: (OH, OW)."""
        counts = []
        for a in (0, 1):
            start = np.arange(self.out_hw[a]) * self.stride[a] - self.pad[a]
            end = start + self.ws[a]
            if mode == "average_inc_pad":
                lo, hi = -self.pad[a], self.in_hw[a] + self.pad[a]
            else:
                lo, hi = 0, self.in_hw[a]
            counts.append(np.minimum(end, hi) - np.maximum(start, lo))
        return np.outer(counts[0], counts[1])


def geometry(in_shape: Sequence[int], ws: Pair, stride: Pair, pad: Pair, ignore_border: bool) -> PoolGeometry:
    return PoolGeometry(ws, stride, pad, ignore_border, (int(in_shape[-2]), int(in_shape[-1])))


def pool2d_forward(x: np.ndarray, mode: str, geo: PoolGeometry) -> np.ndarray:
    """Pool the last two axes of ``x``."""
    if mode == "max":
        return geo.windows(x, -np.inf).max(axis=(-2, -1))
    total = geo.windows(x, 0).sum(axis=(-2, -1))
    if mode == "sum":
        return total
    return (total / geo.divisor(mode)).astype(x.dtype, copy=False)


def _argmax_in_window(x: np.ndarray, geo: PoolGeometry) -> np.ndarray:
    """Flat index (in KH * KW) of the first maximum of each window among the input's own elements, NaN being the
    largest: (..., OH, OW). The padding is never chosen, so a window of minus infinities gives its gradient to
    its first element (as PyTorch does)."""
    win = geo.windows(x, -np.inf)
    values = win.reshape(*win.shape[:-2], -1)
    inside = geo.windows(np.ones(geo.in_hw, dtype=bool), False)
    best = values.max(axis=-1, keepdims=True)  # NaN where the window holds one
    hits = ((values == best) | (np.isnan(values) & np.isnan(best))) & inside.reshape(*inside.shape[:-2], -1)
    return hits.argmax(axis=-1)


def max_pool2d_grad(x: np.ndarray, gy: np.ndarray, geo: PoolGeometry) -> np.ndarray:
    """Gradient of max pooling in ``x``: each window's output gradient goes to its (first) maximum."""
    where = _argmax_in_window(x, geo)
    kh, kw = geo.ws
    columns = np.zeros((*gy.shape, kh * kw), dtype=gy.dtype)
    np.put_along_axis(columns, where[..., None], gy[..., None], axis=-1)
    return geo.scatter(columns.reshape(*gy.shape, kh, kw))


def max_pool2d_grad_grad(x: np.ndarray, ggx: np.ndarray, geo: PoolGeometry) -> np.ndarray:
    """The adjoint of :func:`max_pool2d_grad` in its output gradient: ``ggx`` read at each window's maximum."""
    where = _argmax_in_window(x, geo)
    win = geo.windows(ggx, 0)
    values = win.reshape(*win.shape[:-2], -1)
    return np.take_along_axis(values, where[..., None], axis=-1)[..., 0]


def average_pool2d_grad(gy: np.ndarray, mode: str, geo: PoolGeometry) -> np.ndarray:
    """Gradient of sum or average pooling: each output gradient spread (divided) over its window."""
    scaled = gy if mode == "sum" else (gy / geo.divisor(mode)).astype(gy.dtype, copy=False)
    columns = np.broadcast_to(scaled[..., None, None], (*gy.shape, *geo.ws))
    return geo.scatter(columns)
