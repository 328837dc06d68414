"""Making arrays: zeros/ones/full/empty (and their ``_like`` forms), eye, identity, tri/tril/triu, linspace,
logspace, meshgrid, diag, diagonal, trace, asarray/astype, and Theano's fill and identity_like."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import as_dtype, result_dtype
from ..graph import Variable, dtype_spec
from ..scalars import SCALAR_OPS
from . import math as tm
from .basic import Alloc, arange, as_tensor, cast, constant, reshape
from .elemwise import Elemwise, dimshuffle
from .join import concatenate
from .math import sum as sum_
from .reduce import normalize_axes
from .shape_inference import shape_tuple
from .shaping import _shape_entries, broadcast_arrays, broadcast_shape_of, broadcast_to, expand_dims, moveaxis
from .variable import TensorVariable


def _typed_value(value: Any, dtype: Any) -> TensorVariable:
    """``value`` as a tensor of ``dtype``; data (Python scalars too) gives a constant of NumPy's dtype."""
    if isinstance(value, Variable) or isinstance(value, list | tuple) and any(
            isinstance(v, Variable) for v in np.ravel(np.asarray(value, dtype=object))):
        x = as_tensor(value)
        return x if dtype is None else cast(x, as_dtype(dtype))
    return constant(np.asarray(value, dtype=None if dtype is None else as_dtype(dtype)))


def full(shape: Any, fill_value: Any, dtype: Any = None) -> TensorVariable:
    """NumPy's ``full``: a new array of ``shape`` filled with ``fill_value`` (its dtype unless given)."""
    return Alloc()(_typed_value(fill_value, dtype), *_shape_entries(shape))


def zeros(shape: Any, dtype: Any = float) -> TensorVariable:
    """NumPy's ``zeros``."""
    return full(shape, 0, dtype)


def ones(shape: Any, dtype: Any = float) -> TensorVariable:
    """NumPy's ``ones``."""
    return full(shape, 1, dtype)


def empty(shape: Any, dtype: Any = float) -> TensorVariable:
    """NumPy's ``empty``: the values are unspecified (Arignote gives zeros)."""
    return full(shape, 0, dtype)


def full_like(a: Any, fill_value: Any, dtype: Any = None, shape: Any = None) -> TensorVariable:
    """NumPy's ``full_like``: ``a``'s shape and dtype unless given."""
    x = as_tensor(a)
    dims = shape_tuple(x) if shape is None else _shape_entries(shape)
    return full(dims, fill_value, x.dtype if dtype is None else dtype)


def zeros_like(a: Any, dtype: Any = None, shape: Any = None) -> TensorVariable:
    """NumPy's ``zeros_like``."""
    return full_like(a, 0, dtype, shape)


def ones_like(a: Any, dtype: Any = None, shape: Any = None) -> TensorVariable:
    """NumPy's ``ones_like``."""
    return full_like(a, 1, dtype, shape)


def empty_like(prototype: Any, dtype: Any = None, shape: Any = None) -> TensorVariable:
    """NumPy's ``empty_like``: the values are unspecified (Arignote gives zeros)."""
    return full_like(prototype, 0, dtype, shape)


def fill(model: Any, value: Any) -> TensorVariable:
    """Theano's ``fill``: ``value`` (keeping its dtype) broadcast to the shape of ``model``."""
    return broadcast_to(value, broadcast_shape_of(model, value))


def _grid(n: Any, m: Any, k: Any) -> tuple[TensorVariable, TensorVariable]:
    rows = dimshuffle(arange(n, dtype="int64"), [0, "x"]) + k
    cols = dimshuffle(arange(m, dtype="int64"), ["x", 0])
    return rows, cols


def eye(N: Any, M: Any = None, k: Any = 0, dtype: Any = float) -> TensorVariable:
    """NumPy's ``eye``: ones on the ``k``-th diagonal of an ``N`` x ``M`` matrix."""
    rows, cols = _grid(N, N if M is None else M, k)
    return cast(tm.equal(rows, cols), as_dtype(dtype))


def identity(n: Any, dtype: Any = float) -> TensorVariable:
    """NumPy's ``identity``: the ``n`` x ``n`` identity matrix."""
    return eye(n, dtype=dtype)


def identity_like(x: Any, dtype: Any = None) -> TensorVariable:
    """Theano's ``identity_like``: an identity matrix of ``x``'s shape (and dtype unless given)."""
    x = as_tensor(x)
    if x.ndim != 2:
        raise ValueError(f"identity_like: expected a matrix, got {x} with {x.ndim} dimensions")
    n, m = shape_tuple(x)
    return eye(n, m, dtype=x.dtype if dtype is None else dtype)


def tri(N: Any, M: Any = None, k: Any = 0, dtype: Any = float) -> TensorVariable:
    """NumPy's ``tri``: ones at and below the ``k``-th diagonal."""
    rows, cols = _grid(N, N if M is None else M, k)
    return cast(tm.greater_equal(rows, cols), as_dtype(dtype))


def _triangle(m: Any, k: Any, lower: bool) -> TensorVariable:
    x = as_tensor(m)
    if x.ndim == 0:
        raise ValueError(f"{'tril' if lower else 'triu'}: the input must be at least 1-d")
    n_rows, n_cols = shape_tuple(x)[-2:] if x.ndim > 1 else (shape_tuple(x)[0], shape_tuple(x)[0])
    zero = constant(np.zeros((), x.dtype))
    if lower:
        return tm.where(tri(n_rows, n_cols, k, dtype=bool), x, zero)
    return tm.where(tri(n_rows, n_cols, k - 1, dtype=bool), zero, x)


def tril(m: Any, k: int = 0) -> TensorVariable:
    """NumPy's ``tril``: zeros above the ``k``-th diagonal (over the last two axes)."""
    return _triangle(m, k, lower=True)


def triu(m: Any, k: int = 0) -> TensorVariable:
    """NumPy's ``triu``: zeros below the ``k``-th diagonal (over the last two axes)."""
    return _triangle(m, k, lower=False)


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: Any = None, axis: int = 0) -> Any:
    """NumPy's ``linspace`` (``num`` static); array ``start``/``stop`` give one sequence per element."""
    if int(num) < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    num = int(num)
    start_t, stop_t = as_tensor(start), as_tensor(stop)
    inexact = result_dtype(dtype_spec(start_t), dtype_spec(stop_t), float)
    div = num - 1 if endpoint else num
    start_c, stop_c = cast(start_t, inexact), cast(stop_t, inexact)
    delta = stop_c - start_c
    ndim = delta.ndim
    steps: Any = dimshuffle(arange(0, num, dtype=inexact), [0] + ["x"] * ndim)
    if div > 0:
        step = delta / div
        y = tm.where(tm.equal(step, 0), steps / div * delta, steps * step)
    else:
        step = delta * np.nan
        y = steps * delta
    y = y + start_c
    if endpoint and num > 1:
        last = dimshuffle(tm.equal(arange(num), num - 1), [0] + ["x"] * ndim)
        y = tm.where(last, stop_c, y)
    if axis != 0:
        (ax,) = normalize_axes(axis, y.ndim, "linspace")
        y = moveaxis(y, 0, ax)
    if dtype is not None:
        out_dtype = as_dtype(dtype)
        if np.dtype(out_dtype).kind in "iu":
            y = tm.floor(y)
        y = cast(y, out_dtype)
    return (y, step) if retstep else y


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: Any = 10.0, dtype: Any = None,
             axis: int = 0) -> TensorVariable:
    """NumPy's ``logspace``: ``base ** linspace(start, stop)``."""
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    base_t = as_tensor(base)
    if base_t.ndim > 0:
        base_t = expand_dims(base_t, axis)
    result = tm.power(base_t if not isinstance(base, bool | int | float) else base, y)
    return result if dtype is None else cast(result, as_dtype(dtype))


def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> list[TensorVariable]:
    """NumPy's ``meshgrid`` (a list of arrays)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("meshgrid: Valid values for `indexing` are 'xy' and 'ij'.")
    ndim = len(xi)
    shapes = [[1] * ndim for _ in xi]
    for i in range(ndim):
        shapes[i][i] = -1
    if indexing == "xy" and ndim > 1:
        shapes[0][:2] = [1, -1]
        shapes[1][:2] = [-1, 1]
    output = [reshape(as_tensor(x), tuple(s)) for x, s in zip(xi, shapes, strict=True)]
    if sparse:
        return output
    return broadcast_arrays(*output)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> TensorVariable:
    """NumPy's ``diagonal`` (a copy): the diagonal of the ``axis1``/``axis2`` planes, as the last axis."""
    x = as_tensor(a)
    if x.ndim < 2:
        raise ValueError(f"diagonal: array must be at least 2-d, got {x.ndim}-d {x}")
    (i,) = normalize_axes(axis1, x.ndim, "diagonal")
    (j,) = normalize_axes(axis2, x.ndim, "diagonal")
    if i == j:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    y = moveaxis(x, (i, j), (-2, -1))
    n_rows, n_cols = shape_tuple(y)[-2:]
    offset = int(offset)
    if isinstance(n_rows, int) and isinstance(n_cols, int):
        length: Any = max(0, min(n_rows, n_cols - offset) if offset >= 0 else min(n_rows + offset, n_cols))
    elif offset >= 0:
        length = tm.maximum(0, tm.minimum(n_rows, n_cols - offset))
    else:
        length = tm.maximum(0, tm.minimum(n_rows + offset, n_cols))
    index = arange(length, dtype="int64")
    rows, cols = (index, index + offset) if offset >= 0 else (index - offset, index)
    return y[..., rows, cols]


def diag(v: Any, k: int = 0) -> TensorVariable:
    """NumPy's ``diag``: the ``k``-th diagonal of a matrix, or a matrix with a vector on its ``k``-th
    diagonal."""
    x = as_tensor(v)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"diag: input must be 1- or 2-d, got {x.ndim}-d {x}")
    k = int(k)
    n = shape_tuple(x)[0] + abs(k)
    padded = concatenate([x, zeros((abs(k),), x.dtype)]) if k else x
    values = dimshuffle(padded, [0, "x"] if k >= 0 else ["x", 0])
    return tm.where(eye(n, n, k, dtype=bool), values, constant(np.zeros((), x.dtype)))


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None) -> TensorVariable:
    """NumPy's ``trace``: the sum of the diagonal (``sum``'s dtype rules)."""
    return sum_(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def asarray(a: Any, dtype: Any = None) -> TensorVariable:
    """NumPy's ``asarray``: ``a`` as a tensor (of ``dtype``); symbolic tensors pass through."""
    return _typed_value(a, dtype)


def copy(a: Any) -> TensorVariable:
    """NumPy's ``copy``: a new array with the values of ``a`` (the ``identity`` scalar op)."""
    return Elemwise(SCALAR_OPS["identity"])(a)


def astype(x: Any, dtype: Any, /, *, copy: bool = True) -> TensorVariable:
    """NumPy's ``astype``: ``x`` converted to ``dtype``."""
    return cast(x, dtype)

__all__ = ["asarray", "astype", "copy", "diag", "diagonal", "empty", "empty_like", "eye", "fill", "full",
           "full_like", "identity", "identity_like", "linspace", "logspace", "meshgrid", "ones", "ones_like",
           "trace", "tri", "tril", "triu", "zeros", "zeros_like"]
