"""Sorting and searching: sort, argsort, topk/argtopk, searchsorted, digitize, unique, nonzero, argwhere,
flatnonzero, count_nonzero, isin, bincount."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dtypes import is_integer
from ..graph import Apply, Op, Variable
from . import math as tm
from .basic import as_tensor, reshape
from .elemwise import dimshuffle
from .join import stack
from .reduce import normalize_axes
from .selection import take_along_axis
from .shaping import flip
from .type import TensorType
from .variable import TensorVariable


@dataclass(frozen=True)
class Sort(Op):
    """Sorted copy along ``axis`` (NaN last, like NumPy); ``stable`` keeps the order of equal elements."""

    axis: int
    stable: bool = False

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        normalize_axes(self.axis, x.ndim, "sort")
        return Apply(self, [x], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return [np.sort(inputs[0], axis=self.axis, kind="stable" if self.stable else None)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


@dataclass(frozen=True)
class ArgSort(Op):
    """Indices that sort along ``axis`` (int64)."""

    axis: int
    stable: bool = False

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        normalize_axes(self.axis, x.ndim, "argsort")
        return Apply(self, [x], [TensorType("int64", x.type.shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        kind = "stable" if self.stable else None
        return [np.argsort(inputs[0], axis=self.axis, kind=kind).astype("int64", copy=False)]  # type: ignore[arg-type]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


def _sort_axis(x: Variable, axis: int | None, what: str) -> tuple[Variable, int]:
    if axis is None:
        return reshape(x, (-1,)), 0
    if x.type.ndim == 0:
        raise ValueError(f"{what}: axis {axis} is out of bounds for a 0-d array")
    return x, normalize_axes(axis, x.type.ndim, what)[0]


def _stable(kind: str | None, stable: bool | None) -> bool:
    if kind is not None and kind not in ("quicksort", "mergesort", "heapsort", "stable"):
        raise ValueError(f"sort kind must be one of 'quick', 'heap', or 'stable' (got {kind!r})")
    return bool(stable) or kind in ("stable", "mergesort")


def sort(a: Any, axis: int | None = -1, kind: str | None = None, order: Any = None, *,
         stable: bool | None = None) -> TensorVariable:
    """NumPy's ``sort`` (``order`` is for structured arrays, which Arignote does not have)."""
    if order is not None:
        raise ValueError("sort: 'order' applies to structured arrays only")
    x, ax = _sort_axis(as_tensor(a), axis, "sort")
    return Sort(ax, _stable(kind, stable))(x)


def argsort(a: Any, axis: int | None = -1, kind: str | None = None, order: Any = None, *,
            stable: bool | None = None) -> TensorVariable:
    """NumPy's ``argsort``."""
    if order is not None:
        raise ValueError("argsort: 'order' applies to structured arrays only")
    x, ax = _sort_axis(as_tensor(a), axis, "argsort")
    return ArgSort(ax, _stable(kind, stable))(x)


def argtopk(x: Any, kth: int, axis: int = -1, sorted: bool = True) -> TensorVariable:  # noqa: A002
    """PyTensor's ``argtopk``: indices of the ``kth`` largest elements along ``axis`` (the ``-kth`` smallest
    for negative ``kth``), largest first (smallest first for negative ``kth``)."""
    x = as_tensor(x)
    (ax,) = normalize_axes(axis, x.ndim, "argtopk")
    if kth == 0:
        raise ValueError("argtopk: kth must not be 0")
    order = ArgSort(ax, stable=True)(x)
    before = (slice(None),) * ax
    if kth > 0:
        largest_first = order[before + (slice(None, None, -1),)]
        return largest_first[before + (slice(None, kth),)]
    return order[before + (slice(None, -kth),)]


def topk(x: Any, kth: int, axis: int = -1, sorted: bool = True) -> TensorVariable:  # noqa: A002
    """PyTensor's ``topk``: the ``kth`` largest elements along ``axis`` (the ``-kth`` smallest for negative
    ``kth``)."""
    x = as_tensor(x)
    return take_along_axis(x, argtopk(x, kth, axis, sorted), axis)


@dataclass(frozen=True)
class SearchSorted(Op):
    """Insertion indices of ``v`` into the sorted vector ``a`` (NumPy's ``searchsorted``)."""

    side: str

    def make_node(self, a: Any, v: Any, *sorter: Any) -> Apply:
        a, v = as_tensor(a), as_tensor(v)
        if a.ndim != 1:
            raise ValueError(f"searchsorted: a must be 1-d, got {a} with {a.ndim} dimensions")
        inputs = [a, v, *(as_tensor(s) for s in sorter)]
        return Apply(self, inputs, [TensorType("int64", v.type.shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        a, v, *sorter = inputs
        out = np.searchsorted(a, v, side=self.side, sorter=sorter[0] if sorter else None)  # type: ignore
        return [np.asarray(out, dtype="int64")]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[1]]


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> TensorVariable:
    """NumPy's ``searchsorted``."""
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right' (got {side!r})")
    extra = [] if sorter is None else [sorter]
    return SearchSorted(side)(a, v, *extra)


def digitize(x: Any, bins: Any, right: bool = False) -> TensorVariable:
    """NumPy's ``digitize``: the index of the bin of each ``x`` (bins increasing or decreasing)."""
    bins = as_tensor(bins)
    if bins.ndim != 1:
        raise ValueError(f"digitize: bins must be 1-dimensional, got {bins} with {bins.ndim} dimensions")
    side = "left" if right else "right"
    increasing = searchsorted(bins, x, side=side)
    decreasing = bins.shape[0] - searchsorted(flip(bins), x, side=side)
    return tm.where(tm.less_equal(bins[0], bins[-1]), increasing, decreasing)


@dataclass(frozen=True)
class Nonzero(Op):
    """The indices of the non-zero elements, one int64 vector per axis (a size known only at run time)."""

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        if x.ndim == 0:
            raise ValueError("nonzero: calling nonzero on 0d arrays is not allowed; use atleast_1d(x).nonzero()")
        return Apply(self, [x], [TensorType("int64", (None,)) for _ in range(x.ndim)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return [i.astype("int64", copy=False) for i in np.nonzero(inputs[0])]


def nonzero(a: Any) -> list[TensorVariable]:
    """NumPy's ``nonzero`` (a list of index vectors)."""
    out = Nonzero()(a)
    return out if isinstance(out, list) else [out]


def flatnonzero(a: Any) -> TensorVariable:
    """NumPy's ``flatnonzero``: indices of the non-zero elements of the flattened array."""
    return nonzero(reshape(as_tensor(a), (-1,)))[0]


def argwhere(a: Any) -> TensorVariable:
    """NumPy's ``argwhere``: one row of indices per non-zero element."""
    x = as_tensor(a)
    if x.ndim == 0:
        return nonzero(reshape(x, (1,)))[0][:, None][:, :0]
    return stack(nonzero(x), axis=1)


def count_nonzero(a: Any, axis: Any = None, *, keepdims: bool = False) -> TensorVariable:
    """NumPy's ``count_nonzero`` (int64)."""
    x = as_tensor(a)
    return tm.sum(tm.not_equal(x, 0) if x.dtype != "bool" else x, axis=axis, dtype="int64", keepdims=keepdims)


def isin(element: Any, test_elements: Any, assume_unique: bool = False, invert: bool = False, *,
         kind: str | None = None) -> TensorVariable:
    """NumPy's ``isin``: whether each element is among ``test_elements`` (compared with ``==``)."""
    x = as_tensor(element)
    tests = reshape(as_tensor(test_elements), (-1,))
    found = tm.any(tm.equal(dimshuffle(x, list(range(x.ndim)) + ["x"]), tests), axis=-1)
    return tm.logical_not(found) if invert else found


@dataclass(frozen=True)
class BinCount(Op):
    """Occurrences of each non-negative integer (weighted when a second input is given)."""

    minlength: int

    def make_node(self, x: Any, *weights: Any) -> Apply:
        x = as_tensor(x)
        if x.ndim != 1 or not (is_integer(x.dtype) or x.dtype == "bool"):
            raise TypeError(f"bincount: x must be a 1-d array of integers, got {x} of type {x.type}")
        inputs = [x, *(as_tensor(w) for w in weights)]
        dtype = "float64" if weights else "int64"
        return Apply(self, inputs, [TensorType(dtype, (None,))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, *weights = inputs
        out = np.bincount(x, weights=weights[0] if weights else None, minlength=self.minlength)
        return [out.astype(node.outputs[0].type.dtype, copy=False)]


def bincount(x: Any, weights: Any = None, minlength: int = 0) -> TensorVariable:
    """NumPy's ``bincount`` (its length depends on the values)."""
    if minlength < 0:
        raise ValueError("bincount: 'minlength' must not be negative")
    return BinCount(int(minlength))(x, *([] if weights is None else [weights]))


@dataclass(frozen=True)
class Unique(Op):
    """NumPy's ``unique`` (flattened, sorted) with the optional index, inverse and counts outputs."""

    return_index: bool
    return_inverse: bool
    return_counts: bool
    equal_nan: bool = True

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        outputs = [TensorType(x.dtype, (None,))]
        outputs += [TensorType("int64", (None,))] * self.return_index
        outputs += [TensorType("int64", x.type.shape)] * self.return_inverse
        outputs += [TensorType("int64", (None,))] * self.return_counts
        return Apply(self, [x], outputs)

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        result = np.unique(inputs[0], return_index=self.return_index, return_inverse=self.return_inverse,  # type: ignore
                           return_counts=self.return_counts, equal_nan=self.equal_nan)
        values = result if isinstance(result, tuple) else (result,)
        return [values[0]] + [np.asarray(v, dtype="int64") for v in values[1:]]


def unique(ar: Any, return_index: bool = False, return_inverse: bool = False, return_counts: bool = False,
           axis: int | None = None, *, equal_nan: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """NumPy's ``unique`` over the flattened array (its size depends on the values; always sorted)."""
    if axis is not None:
        raise NotImplementedError("unique: only axis=None is supported (the flattened array)")
    out = Unique(return_index, return_inverse, return_counts, equal_nan)(ar)
    return tuple(out) if isinstance(out, list) else out

__all__ = ["ArgSort", "BinCount", "Nonzero", "SearchSorted", "Sort", "Unique", "argsort", "argtopk",
           "argwhere", "bincount", "count_nonzero", "digitize", "flatnonzero", "isin", "nonzero",
           "searchsorted", "sort", "topk", "unique"]
