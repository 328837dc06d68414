"""Theano's remaining tensor functions: ``bartlett``, ``ravel_multi_index``, ``unravel_index``,
``batched_tensordot``, ``topk_and_argtopk``."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import arignote as ar
from arignote_core import TensorVariable, as_tensor

__all__ = ["bartlett", "batched_tensordot", "ravel_multi_index", "topk_and_argtopk", "unravel_index"]


def bartlett(M: Any) -> TensorVariable:  # noqa: N803 (NumPy's argument name)
    """The Bartlett (triangular) window of ``M`` points, as ``numpy.bartlett``."""
    M = as_tensor(M)
    n = ar.arange(M, dtype="float64")
    span = ar.maximum(M - 1, 1)
    return ar.switch(ar.greater(M, 1), 1 - ar.abs(2 * n / span - 1), ar.ones_like(n))


_RAVEL_MODES = ("raise", "wrap", "clip")


def _limited(index: TensorVariable, size: Any, mode: str, what: str) -> TensorVariable:
    if mode == "wrap":
        return ar.remainder(index, size)
    if mode == "clip":
        return ar.clip(index, 0, size - 1)
    return ar.check(index, f"{what}: an index is out of bounds", ar.all(index >= 0), ar.all(index < size))


def ravel_multi_index(multi_index: Sequence[Any], dims: Any, mode: str = "raise", order: str = "C") -> TensorVariable:
    """NumPy's ``ravel_multi_index``: flat indices of the index arrays ``multi_index`` in an array of shape
    ``dims``; ``mode`` is ``'raise'`` (checked when the graph runs), ``'wrap'`` or ``'clip'``."""
    if mode not in _RAVEL_MODES or order not in ("C", "F"):
        raise ValueError(f"ravel_multi_index: mode must be one of {_RAVEL_MODES} and order 'C' or 'F', got "
                         f"mode={mode!r}, order={order!r}")
    dims_t = as_tensor(dims)
    axes = list(range(len(multi_index)))
    if order == "F":
        axes.reverse()
    flat: Any = 0
    for axis in axes:
        index = _limited(as_tensor(multi_index[axis]), dims_t[axis], mode, "ravel_multi_index")
        flat = flat * dims_t[axis] + index
    return as_tensor(flat)


def unravel_index(indices: Any, dims: Any, order: str = "C") -> tuple[TensorVariable, ...]:
    """NumPy's ``unravel_index``: the index arrays, one per axis of ``dims``, of the flat ``indices``."""
    if order not in ("C", "F"):
        raise ValueError(f"unravel_index: order must be 'C' or 'F', got {order!r}")
    dims_t = as_tensor(dims)
    n = dims_t.type.shape[0]
    if n is None:
        raise ValueError("unravel_index: the number of dimensions must be known before the graph runs")
    rest = _limited(as_tensor(indices), ar.prod(dims_t), "raise", "unravel_index")
    axes = list(range(n))
    if order == "C":
        axes.reverse()
    found: dict[int, TensorVariable] = {}
    for axis in axes:
        found[axis] = ar.remainder(rest, dims_t[axis])
        rest = ar.floor_divide(rest, dims_t[axis])
    return tuple(found[axis] for axis in range(n))


def batched_tensordot(x: Any, y: Any, axes: Any = 2) -> TensorVariable:
    """``tensordot`` of each pair ``x[i]``, ``y[i]`` along the first (batch) axis; ``axes`` counts the axes
    after the batch axis (an int: the last of ``x`` against the first of ``y``; or two lists of axes of ``x``
    and ``y`` themselves)."""
    x, y = as_tensor(x), as_tensor(y)
    if isinstance(axes, int):
        x_axes = list(range(x.ndim - axes, x.ndim))
        y_axes = list(range(1, 1 + axes))
    else:
        x_axes, y_axes = [list(a) if isinstance(a, list | tuple) else [a] for a in axes]
    if 0 in x_axes or 0 in y_axes or len(x_axes) != len(y_axes):
        raise ValueError(f"batched_tensordot: axes must pair as many axes of x as of y, none the batch axis 0; got "
                         f"{axes!r}")
    letters = iter(string.ascii_letters[1:])
    x_sub = ["a"] + [next(letters) for _ in range(x.ndim - 1)]
    y_sub = ["a"] + [next(letters) for _ in range(y.ndim - 1)]
    for xa, ya in zip(x_axes, y_axes, strict=True):
        y_sub[ya] = x_sub[xa]
    summed = {x_sub[a] for a in x_axes}
    out = [c for c in x_sub if c not in summed] + [c for c in y_sub[1:] if c not in summed]
    return ar.einsum(f"{''.join(x_sub)},{''.join(y_sub)}->{''.join(out)}", x, y)


def topk_and_argtopk(x: Any, kth: int, axis: int = -1, sorted: bool = True,  # noqa: A002 (Theano's name)
                     idx_dtype: str = "int64") -> tuple[TensorVariable, TensorVariable]:
    """``(topk(x, kth, axis), argtopk(x, kth, axis))``."""
    return (ar.topk(x, kth, axis=axis, sorted=sorted),
            ar.cast(ar.argtopk(x, kth, axis=axis, sorted=sorted), idx_dtype))
