"""Statistics: var, std, ptp, average, median, quantile, percentile, cov, corrcoef, and the NaN-ignoring
reductions (nansum, nanprod, nanmax, nanmin, nanargmax, nanargmin, nanmean, nanvar, nanstd)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..dtypes import result_dtype
from ..graph import Constant, dtype_spec
from ..scalars import SCALAR_OPS
from . import math as tm
from .basic import as_tensor, cast, constant, reshape
from .checks import check
from .creation import diagonal, zeros
from .elemwise import dimshuffle
from .join import concatenate
from .math import _keep, _with_initial
from .reduce import Reduce, normalize_axes
from .shape_inference import shape_tuple
from .shaping import atleast_2d, broadcast_to, moveaxis, squeeze
from .sorting import sort
from .variable import TensorVariable


def _count(x: TensorVariable, axes: tuple[int, ...]) -> Any:
    dims = [shape_tuple(x)[a] for a in axes]
    return functools.reduce(lambda a, b: a * b, dims, 1)


def _as_float(value: Any, dtype: str) -> TensorVariable:
    return cast(as_tensor(value), dtype)


def _is_inexact(dtype: str) -> bool:
    return dtype[0] in "fc"


def _var(x: TensorVariable, axes: tuple[int, ...], dtype: Any, ddof: Any, keepdims: bool,
         count: Any = None, mean: Any = None) -> TensorVariable:
    acc = np.dtype(dtype).name if dtype is not None else (x.dtype if _is_inexact(x.dtype) else "float64")
    work = "float32" if acc == "float16" else acc
    n = _count(x, axes) if count is None else count
    if mean is None:
        mean = tm.sum(x, axis=axes, dtype=work, keepdims=True) / _as_float(n, work)
    d = x - mean
    squares = tm.real(d) * tm.real(d) + tm.imag(d) * tm.imag(d) if d.dtype[0] == "c" else d * d
    total = tm.sum(squares, axis=axes, dtype=squares.dtype)
    dof = tm.maximum(as_tensor(n) - ddof, 0)
    result = cast(total / _as_float(dof, total.dtype), _real_dtype(acc))
    return _keep(result, axes, x.ndim, keepdims)


def _real_dtype(dtype: str) -> str:
    return {"complex64": "float32", "complex128": "float64"}.get(dtype, dtype)


def _ddof(ddof: Any, correction: Any) -> Any:
    if correction is not None:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        return correction
    return ddof


def var(a: Any, axis: Any = None, dtype: Any = None, ddof: Any = 0, keepdims: bool = False, *, mean: Any = None,
        correction: Any = None) -> TensorVariable:
    """NumPy's ``var``: the mean squared deviation, divided by ``N - ddof`` (``correction`` is ``ddof``;
    ``mean``, given with keepdims shape, saves computing it)."""
    x = as_tensor(a)
    return _var(x, normalize_axes(axis, x.ndim, "var"), dtype, _ddof(ddof, correction), keepdims, mean=mean)


def _root_of_variance(x: TensorVariable, axis: Any, variance: TensorVariable, mean: Any, what: str) -> TensorVariable:
    """``sqrt(variance)``, or ``variance`` itself where every reduced slice statically holds one value (and no
    mean is given): the variance is then identically 0 (nan with ``ddof >= 1``), its own square root, with
    derivative 0 where the chain rule through ``sqrt`` (infinite slope at 0) would give nan."""
    if mean is None and all(x.type.shape[a] == 1 for a in normalize_axes(axis, x.ndim, what)):
        return variance
    return tm.sqrt(variance)


def std(a: Any, axis: Any = None, dtype: Any = None, ddof: Any = 0, keepdims: bool = False, *, mean: Any = None,
        correction: Any = None) -> TensorVariable:
    """NumPy's ``std``: the square root of ``var``."""
    x = as_tensor(a)
    return _root_of_variance(x, axis, var(x, axis, dtype, ddof, keepdims, mean=mean, correction=correction), mean,
                             "std")


def ptp(a: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    """NumPy's ``ptp``: maximum minus minimum."""
    return tm.subtract(tm.max(a, axis=axis, keepdims=keepdims), tm.min(a, axis=axis, keepdims=keepdims))


def average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *,
            keepdims: bool = False) -> Any:
    """NumPy's ``average``: the (weighted) mean; ``returned`` adds the sum of the weights."""
    x = as_tensor(a)
    axes = normalize_axes(axis, x.ndim, "average")
    if weights is None:
        avg = tm.mean(x, axis=axis, keepdims=keepdims)
        scale = cast(as_tensor(_count(x, axes)), avg.dtype)
        return (avg, broadcast_to(scale, shape_tuple(avg))) if returned else avg
    w = as_tensor(weights)
    out_dtype = result_dtype(x.dtype, w.dtype, "float64") if not _is_inexact(x.dtype) else \
        result_dtype(x.dtype, w.dtype)
    if w.ndim != x.ndim:
        if axis is None:
            raise TypeError("average: Axis must be specified when shapes of a and weights differ.")
        if w.ndim != len(axes):
            raise TypeError("average: Shape of weights must be consistent with shape of a along specified axis.")
        w = moveaxis(reshape(w, shape_tuple(w) + (1,) * (x.ndim - w.ndim)), tuple(range(w.ndim)), axes)
    scale = tm.sum(broadcast_to(w, shape_tuple(x)) if w.ndim == x.ndim and w.ndim else w, axis=axes,
                   dtype=out_dtype, keepdims=keepdims)
    scale = check(scale, "average: Weights sum to zero, can't be normalized", tm.all(tm.not_equal(scale, 0)))
    total = tm.sum(cast(tm.multiply(x, w), out_dtype), axis=axes, keepdims=keepdims)
    avg = total / scale
    if returned:
        return avg, broadcast_to(scale, shape_tuple(avg))
    return avg


def _to_last_axis(x: TensorVariable, axis: Any) -> tuple[TensorVariable, tuple[int, ...]]:
    """``x`` with the reduced axes merged into one last axis, and the reduced axes."""
    axes = normalize_axes(axis, x.ndim, "quantile")
    if axis is None:
        return reshape(x, (-1,)), axes
    kept = [i for i in range(x.ndim) if i not in axes]
    moved = moveaxis(x, axes, tuple(range(len(kept), x.ndim)))
    return reshape(moved, tuple(shape_tuple(x)[i] for i in kept) + (-1,)), axes


def _reinsert(result: TensorVariable, axes: tuple[int, ...], ndim: int, lead: int, keepdims: bool) -> Any:
    """Put back reduced axes of length 1 after ``lead`` leading (quantile) axes when ``keepdims``."""
    if not keepdims:
        return result
    kept = iter(range(lead, result.ndim))
    return dimshuffle(result, list(range(lead)) + ["x" if i in axes else next(kept) for i in range(ndim)])


def quantile(a: Any, q: Any, axis: Any = None, overwrite_input: bool = False, method: str = "linear",
             keepdims: bool = False, *, weights: Any = None) -> TensorVariable:
    """NumPy's ``quantile`` (method ``linear``; ``weights`` need ``inverted_cdf``, not supported): ``q`` in
    [0, 1], its axes first in the result."""
    if weights is not None:
        raise NotImplementedError("quantile: weights need method='inverted_cdf', which is not supported")
    if method != "linear":
        raise NotImplementedError(f"quantile: only method='linear' is supported, got {method!r}")
    x = as_tensor(a)
    if x.dtype == "bool" or x.dtype[0] == "c":
        raise TypeError(f"quantile: a must be an array of real numbers, got {x.type}")
    q_t = as_tensor(q)
    if isinstance(q_t, Constant):
        values = np.asarray(q_t.data)
        if values.size and not (np.all(values >= 0) and np.all(values <= 1)):
            raise ValueError("Quantiles must be in the range [0, 1]")
    else:
        q_t = check(q_t, "Quantiles must be in the range [0, 1]", tm.all(tm.greater_equal(q_t, 0)),
                    tm.all(tm.less_equal(q_t, 1)))
    out_dtype = result_dtype(x.dtype, dtype_spec(as_tensor(q)))
    flat, axes = _to_last_axis(x, axis)
    ordered = sort(flat, axis=-1)
    n = shape_tuple(ordered)[-1]
    virtual = tm.multiply(cast(q_t, "float64"), n - 1)
    previous = cast(tm.clip(tm.floor(virtual), 0, n - 1), "int64")
    following = tm.minimum(previous + 1, n - 1)
    gamma = cast(virtual - previous, out_dtype)
    low, high = ordered[..., previous], ordered[..., following]
    diff = tm.subtract(high, low)
    result = tm.where(tm.greater_equal(gamma, 0.5), high - diff * (1 - gamma), low + diff * gamma)
    result = cast(result, out_dtype)
    if _is_inexact(x.dtype):
        has_nan = tm.isnan(ordered[..., -1])
        if q_t.ndim:
            has_nan = reshape(has_nan, shape_tuple(has_nan) + (1,) * q_t.ndim)
        result = tm.where(has_nan, np.nan, result)
    lead = q_t.ndim
    if lead:
        result = moveaxis(result, tuple(range(result.ndim - lead, result.ndim)), tuple(range(lead)))
    return _reinsert(result, axes, x.ndim, lead, keepdims)


def percentile(a: Any, q: Any, axis: Any = None, overwrite_input: bool = False, method: str = "linear",
               keepdims: bool = False, *, weights: Any = None) -> TensorVariable:
    """NumPy's ``percentile``: ``quantile`` with ``q`` in percent."""
    q_t = as_tensor(q)
    scaled = q / 100 if isinstance(q, float | int) else tm.true_divide(q_t, 100)
    return quantile(a, scaled, axis, overwrite_input, method, keepdims, weights=weights)


def median(a: Any, axis: Any = None, overwrite_input: bool = False, keepdims: bool = False) -> TensorVariable:
    """NumPy's ``median``: the mean of the middle element(s) (NaN where a slice holds NaN)."""
    x = as_tensor(a)
    flat, axes = _to_last_axis(x, axis)
    ordered = sort(flat, axis=-1)
    n = shape_tuple(ordered)[-1]
    pad_shape = shape_tuple(ordered)[:-1] + (1,)
    padded = concatenate([ordered, zeros(pad_shape, x.dtype)], axis=-1)
    low, high = tm.floor_divide(tm.maximum(n - 1, 0), 2), tm.floor_divide(n, 2)
    middle = tm.mean(padded[..., low:low + 1], axis=-1)
    pair = tm.mean(concatenate([padded[..., low:low + 1], padded[..., high:high + 1]], axis=-1), axis=-1)
    result = tm.where(tm.equal(tm.remainder(n, 2), 1), middle, pair)
    nan = constant(np.asarray(np.nan, result.dtype))
    result = tm.where(tm.equal(n, 0), nan, result)
    if _is_inexact(x.dtype):
        result = tm.where(tm.any(tm.isnan(ordered), axis=-1), nan, result)
    return _reinsert(result, axes, x.ndim, 0, keepdims)


# -----------------------------------------------------------------------------------------------------------
# NaN-ignoring reductions


def _replace_nan(x: TensorVariable, value: Any) -> TensorVariable:
    if not _is_inexact(x.dtype):
        return x
    return tm.where(tm.isnan(x), constant(np.asarray(value, x.dtype)), x)


def nansum(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, initial: Any = None
           ) -> TensorVariable:
    """NumPy's ``nansum``: NaN counts as zero."""
    return tm.sum(_replace_nan(as_tensor(a), 0), axis=axis, dtype=dtype, keepdims=keepdims, initial=initial)


def nanprod(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, initial: Any = None
            ) -> TensorVariable:
    """NumPy's ``nanprod``: NaN counts as one."""
    return tm.prod(_replace_nan(as_tensor(a), 1), axis=axis, dtype=dtype, keepdims=keepdims, initial=initial)


def _nan_extreme(name: str, a: Any, axis: Any, keepdims: bool, initial: Any) -> TensorVariable:
    x = as_tensor(_with_initial(a, axis, initial))
    if not _is_inexact(x.dtype):
        return getattr(tm, "max" if name == "fmax" else "min")(x, axis=axis, keepdims=keepdims)
    axes = normalize_axes(axis, x.ndim, f"nan{name[1:]}")
    result = Reduce(SCALAR_OPS[name], axes, x.dtype)(x)  # type: ignore[arg-type]
    return _keep(result, axes, x.ndim, keepdims)


def nanmax(a: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> TensorVariable:
    """NumPy's ``nanmax``: the maximum ignoring NaN (NaN for an all-NaN slice)."""
    return _nan_extreme("fmax", a, axis, keepdims, initial)


def nanmin(a: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> TensorVariable:
    """NumPy's ``nanmin``: the minimum ignoring NaN (NaN for an all-NaN slice)."""
    return _nan_extreme("fmin", a, axis, keepdims, initial)


def _nan_arg(name: str, a: Any, axis: Any, keepdims: bool) -> TensorVariable:
    x = as_tensor(a)
    if not _is_inexact(x.dtype):
        return getattr(tm, name)(x, axis=axis, keepdims=keepdims)
    fill = -np.inf if name == "argmax" else np.inf
    result = getattr(tm, name)(_replace_nan(x, fill), axis=axis, keepdims=keepdims)
    all_nan = tm.all(tm.isnan(x), axis=axis)
    return check(result, "All-NaN slice encountered", tm.logical_not(tm.any(all_nan)))


def nanargmax(a: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    """NumPy's ``nanargmax``: an error for an all-NaN slice."""
    return _nan_arg("argmax", a, axis, keepdims)


def nanargmin(a: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    """NumPy's ``nanargmin``: an error for an all-NaN slice."""
    return _nan_arg("argmin", a, axis, keepdims)


def _valid_count(x: TensorVariable, axes: tuple[int, ...], keepdims: bool) -> TensorVariable:
    return tm.sum(tm.logical_not(tm.isnan(x)), axis=axes, dtype="int64", keepdims=keepdims)


def nanmean(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> TensorVariable:
    """NumPy's ``nanmean``: the mean of the values that are not NaN."""
    x = as_tensor(a)
    if not _is_inexact(x.dtype):
        return tm.mean(x, axis=axis, dtype=dtype, keepdims=keepdims)
    axes = normalize_axes(axis, x.ndim, "nanmean")
    total = tm.sum(_replace_nan(x, 0), axis=axes, dtype=dtype, keepdims=keepdims)
    return total / cast(_valid_count(x, axes, keepdims), total.dtype)


def nanvar(a: Any, axis: Any = None, dtype: Any = None, ddof: Any = 0, keepdims: bool = False, *,
           mean: Any = None, correction: Any = None) -> TensorVariable:
    """NumPy's ``nanvar``: ``var`` of the values that are not NaN (NaN where ``N - ddof <= 0``)."""
    ddof = _ddof(ddof, correction)
    x = as_tensor(a)
    axes = normalize_axes(axis, x.ndim, "nanvar")
    if not _is_inexact(x.dtype):
        return var(x, axis, dtype, ddof, keepdims, mean=mean)
    acc = np.dtype(dtype).name if dtype is not None else x.dtype
    valid = tm.logical_not(tm.isnan(x))
    n = tm.sum(valid, axis=axes, dtype="int64", keepdims=True)
    zeroed = _replace_nan(x, 0)
    if mean is None:
        mean = tm.sum(zeroed, axis=axes, dtype=acc, keepdims=True) / cast(n, acc)
    # NumPy subtracts the mean in place: the deviations have the input's dtype
    d = tm.where(valid, cast(zeroed - mean, x.dtype), constant(np.zeros((), x.dtype)))
    squares = tm.real(d) * tm.real(d) + tm.imag(d) * tm.imag(d) if d.dtype[0] == "c" else d * d
    total = tm.sum(squares, axis=axes, dtype=_real_dtype(acc), keepdims=True)
    dof = n - ddof
    out = tm.where(tm.less_equal(dof, 0), np.nan, total / cast(dof, total.dtype))
    out = cast(out, total.dtype)
    squeezed = reshape(out, tuple(s for i, s in enumerate(shape_tuple(out)) if i not in axes))
    return _keep(squeezed, axes, x.ndim, keepdims)


def nanstd(a: Any, axis: Any = None, dtype: Any = None, ddof: Any = 0, keepdims: bool = False, *,
           mean: Any = None, correction: Any = None) -> TensorVariable:
    """NumPy's ``nanstd``: the square root of ``nanvar``."""
    x = as_tensor(a)
    return _root_of_variance(x, axis, nanvar(x, axis, dtype, ddof, keepdims, mean=mean, correction=correction),
                             mean, "nanstd")


# -----------------------------------------------------------------------------------------------------------
# covariance


def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False, ddof: Any = None, fweights: Any = None,
        aweights: Any = None, *, dtype: Any = None) -> TensorVariable:
    """NumPy's ``cov``: variables in rows unless ``rowvar=False``; observations weighted by ``fweights``
    (repeat counts) and ``aweights`` (importance)."""
    x = as_tensor(m)
    if x.ndim > 2:
        raise ValueError("cov: m has more than 2 dimensions")
    others = [] if y is None else [as_tensor(y)]
    if others and others[0].ndim > 2:
        raise ValueError("cov: y has more than 2 dimensions")
    out_dtype = np.dtype(dtype).name if dtype is not None else result_dtype(
        x.dtype, *(o.dtype for o in others), "float64")
    rows = cast(atleast_2d(x), out_dtype)
    if not rowvar and x.ndim != 1:
        rows = rows.T
    for other in others:
        extra = cast(atleast_2d(other), out_dtype)
        if not rowvar and extra.type.shape[0] != 1:
            extra = extra.T
        rows = concatenate([rows, extra], axis=0)
    ddof = (0 if bias else 1) if ddof is None else ddof
    f_w = None if fweights is None else cast(as_tensor(fweights), "float64")
    a_w = None if aweights is None else cast(as_tensor(aweights), "float64")
    w = f_w if a_w is None else (a_w if f_w is None else f_w * a_w)
    if w is None:
        centered = rows - tm.mean(rows, axis=1, keepdims=True)
        fact: Any = tm.maximum(as_tensor(shape_tuple(rows)[1]) - ddof, 0)
        right = centered.T
    else:
        w_sum = tm.sum(w)
        centered = rows - tm.sum(rows * w, axis=1, keepdims=True) / cast(w_sum, out_dtype)
        if ddof == 0:
            fact = w_sum
        elif a_w is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * tm.sum(w * a_w) / w_sum
        fact = tm.maximum(fact, 0)
        right = (centered * w).T
    c = tm.dot(centered, tm.conjugate(right)) * cast(tm.true_divide(1, fact), _real_dtype(out_dtype))
    return squeeze(c)


def corrcoef(x: Any, y: Any = None, rowvar: bool = True, *, dtype: Any = None) -> TensorVariable:
    """NumPy's ``corrcoef``: the covariance normalised by the standard deviations, clipped to [-1, 1]."""
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return c / c
    stddev = tm.sqrt(tm.real(diagonal(c)))
    c = c / stddev[:, None]
    c = c / stddev[None, :]
    if c.dtype[0] == "c":
        return tm.clip(tm.real(c), -1, 1) + 1j * tm.clip(tm.imag(c), -1, 1)
    return tm.clip(c, -1, 1)

__all__ = ["average", "corrcoef", "cov", "median", "nanargmax", "nanargmin", "nanmax", "nanmean", "nanmin",
           "nanprod", "nanstd", "nansum", "nanvar", "percentile", "ptp", "quantile", "std", "var"]
