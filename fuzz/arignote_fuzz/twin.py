"""NumPy spellings of the public API's functions that NumPy itself lacks: the oracle's side of those nodes.

Each helper is self-contained (it uses only ``np`` and ``scipy.special``) because a finding's script inlines the
source of the helpers its graph uses. Ops NumPy does not define (softmax, log_softmax, logsumexp, sigmoid,
softplus, erf) are computed in float64 and given the dtype NumPy's ``exp`` would give (int8 -> float16, int32 ->
float64...); booleans are refused as NumPy's ``negative`` refuses them. softmax, log_softmax and logsumexp are
NumPy's naive formulas shifted by the maximum where it is finite (a row holding +inf gives NaN there and 0
elsewhere, as the formula does).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special


def float_result(x: Any, compute: Any, own_dtype: bool = False) -> np.ndarray:
    """``compute`` of ``x`` in float64, in the dtype NumPy's ``exp`` gives for ``x``'s dtype; with ``own_dtype``,
    computed in that dtype (float16 in float32), as NumPy computes a formula on arrays of it: a softmax's exp(272)
    is inf in float32."""
    x = np.asarray(x)
    if x.dtype == np.bool_:
        raise TypeError("not defined for booleans")
    dtype = np.exp(np.zeros((), x.dtype)).dtype
    compute_in = np.promote_types(dtype, np.float32) if own_dtype else np.float64
    return np.asarray(compute(x.astype(compute_in))).astype(dtype)


def finite_max(v: np.ndarray, axis: Any) -> np.ndarray:
    """The maximum along ``axis`` (kept), 0 where it is infinite or NaN: shifting by it changes nothing in exact
    arithmetic, and where it cannot be shifted the naive formula is what NumPy gives."""
    if v.size == 0:
        return np.zeros(np.sum(v, axis=axis, keepdims=True).shape)
    m = np.max(v, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0.0)


def softmax(x: Any, axis: Any) -> np.ndarray:
    def compute(v: np.ndarray) -> np.ndarray:
        e = np.exp(v - finite_max(v, axis))
        return e / np.sum(e, axis=axis, keepdims=True)

    return float_result(x, compute, own_dtype=True)


def log_softmax(x: Any, axis: Any) -> np.ndarray:
    def compute(v: np.ndarray) -> np.ndarray:
        shifted = v - finite_max(v, axis)
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))

    return float_result(x, compute, own_dtype=True)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    def compute(v: np.ndarray) -> np.ndarray:
        m = finite_max(v, axis)
        result = m + np.log(np.sum(np.exp(v - m), axis=axis, keepdims=True))
        return result if keepdims else np.squeeze(result, axis=axis)

    return float_result(x, compute, own_dtype=True)


def sigmoid(x: Any) -> np.ndarray:
    """In the result's dtype, as NumPy would compute it on those arrays (float32 sigmoid(-103) is 0, not the
    subnormal 1.4e-45 that rounding float64's gives)."""
    return float_result(x, scipy.special.expit, own_dtype=True)


def softplus(x: Any) -> np.ndarray:
    return float_result(x, lambda v: np.logaddexp(0.0, v))


def erf(x: Any) -> np.ndarray:
    return float_result(x, scipy.special.erf)


def log_sigmoid(x: Any) -> np.ndarray:
    return float_result(x, lambda v: -np.logaddexp(0.0, -v))


def log1m_sigmoid(x: Any) -> np.ndarray:
    """log(1 - sigmoid(x)), that is -softplus(x)."""
    return float_result(x, lambda v: -np.logaddexp(0.0, v))


def stable_log1p(x: Any) -> np.ndarray:
    """log(1 + x) as log1p computes it, for floats; integers keep NumPy's 1 + x (it wraps at the dtype's end)."""
    x = np.asarray(x)
    return np.log1p(x) if x.dtype.kind == "f" else np.log(1 + x)


def stable_abs(x: Any) -> np.ndarray:
    """sqrt(x**2) as abs(x), for floats; integers keep NumPy's x**2 (it wraps)."""
    x = np.asarray(x)
    return np.abs(x) if x.dtype.kind == "f" else np.sqrt(x**2)


def set_subtensor(x: Any, index: Any, value: Any) -> np.ndarray:
    """A copy of ``x`` with ``x[index] = value``. A value's axes beyond the region's must be of size 1, as basic
    indexing demands: NumPy's advanced indexing lets any go where both are empty ((3, 1, 0) into (0, 0))."""
    out = np.array(x, copy=True)
    extra = np.ndim(value) - out[index].ndim
    if extra > 0 and any(size != 1 for size in np.shape(value)[:extra]):
        raise ValueError(f"could not broadcast input array from shape {np.shape(value)} into shape "
                         f"{out[index].shape}")
    out[index] = value
    return out


def inc_subtensor(x: Any, index: Any, value: Any) -> np.ndarray:
    """A copy of ``x`` with ``value`` added at ``x[index]``; repeated positions accumulate (``np.add.at``). An
    array value is broadcast first: NumPy 2.4's ``add.at`` with one that does not broadcast may crash. Values are
    refused as ``x[index] += value`` refuses them (``add.at`` casts any sum back, even floats into booleans, and
    wraps a Python integer the dtype cannot hold, -1 into uint8, where ``+=`` raises OverflowError)."""
    out = np.array(x, copy=True)
    if isinstance(value, int) and not isinstance(value, bool) and out.dtype.kind in "iu":
        info = np.iinfo(out.dtype)
        if not info.min <= value <= info.max:
            raise OverflowError(f"Python integer {value} out of bounds for {out.dtype}")
    total = np.result_type(out, value)
    if not np.can_cast(total, out.dtype, casting="same_kind"):
        raise TypeError(f"cannot cast the sum, {total}, to {out.dtype} with casting rule 'same_kind'")
    np.add.at(out, index, np.broadcast_to(value, out[index].shape) if isinstance(value, np.ndarray) else value)
    return out


def where(condition: Any, x: Any, y: Any) -> np.ndarray:
    """``np.where`` with a Python int ``y`` refused where the result's integer dtype cannot hold it, as NumPy's
    arithmetic refuses it (``int8 + 300``): ``np.where`` wraps it silently (300 is 44, -129 is 127)."""
    out = np.where(condition, x, y)
    if type(y) is int and out.dtype.kind in "iu":
        info = np.iinfo(out.dtype)
        if not info.min <= y <= info.max:
            raise OverflowError(f"Python integer {y} out of bounds for {out.dtype}")
    return out


def take(x: Any, indices: Any, axis: int) -> np.ndarray:
    """``np.take`` with the bounds checked as indexing checks them: NumPy's take checks none when the result is
    empty (``take(zeros((0, 3)), [5], axis=1)``), where ``x[:, [5]]`` raises; Arignote raises in both."""
    x, indices = np.asarray(x), np.asarray(indices)
    size = x.shape[axis]
    if indices.size and not ((-size <= indices) & (indices < size)).all():
        raise IndexError(f"an index is out of bounds for axis {axis} with size {size}")
    return np.take(x, indices, axis=axis)


def dimshuffle(x: Any, pattern: Any) -> np.ndarray:
    """Theano's dimshuffle: axes in ``pattern``'s order, "x" a new axis of size 1, missing axes (of size 1)
    dropped."""
    x = np.asarray(x)
    kept = [p for p in pattern if p != "x"]
    dropped = tuple(a for a in range(x.ndim) if a not in kept)
    if any(x.shape[a] != 1 for a in dropped):
        raise ValueError(f"dimshuffle drops axes {dropped} of shape {x.shape}")
    moved = np.transpose(np.squeeze(x, axis=dropped), np.argsort(np.argsort(kept)))
    return moved.reshape([1 if p == "x" else x.shape[p] for p in pattern])


def ifelse(condition: Any, a: Any, b: Any) -> np.ndarray:
    """Theano's lazy ``ifelse``: a copy of ``a`` where ``condition`` holds, else of ``b``."""
    return np.array(a if condition else b, copy=True)


def tanh_recurrence(x: Any) -> np.ndarray:
    """``h_t = tanh(0.5 h_{t-1} + x_t)`` from ``h_{-1} = 0`` over the first axis, each step in ``x``'s dtype."""
    x = np.asarray(x)
    out = np.empty_like(x)
    h = np.zeros(x.shape[1:], x.dtype)
    for t in range(x.shape[0]):
        h = np.tanh(h * x.dtype.type(0.5) + x[t])
        out[t] = h
    return out


def projected_recurrence(x: Any) -> np.ndarray:
    """``h_t = tanh(0.5 h_{t-1} + x_t @ W)``, ``W`` square of 0.25s, from ``h_{-1} = 0`` over the first axis."""
    x = np.asarray(x)
    w = np.full((x.shape[-1], x.shape[-1]), 0.25, x.dtype)
    out = np.empty_like(x)
    h = np.zeros(x.shape[1:], x.dtype)
    for t in range(x.shape[0]):
        h = np.tanh(h * x.dtype.type(0.5) + x[t] @ w)
        out[t] = h
    return out


def gram_sums(x: Any) -> np.ndarray:
    """The running sums of ``x_t.T @ tanh(x_t)`` over the first axis of a 3-d ``x``, from zeros."""
    x = np.asarray(x)
    out = np.empty((x.shape[0], x.shape[-1], x.shape[-1]), x.dtype)
    acc = np.zeros((x.shape[-1], x.shape[-1]), x.dtype)
    for t in range(x.shape[0]):
        acc = acc + x[t].T @ np.tanh(x[t])
        out[t] = acc
    return out


#: the helpers by name, for nodes to name and scripts to inline
HELPERS = {f.__name__: f for f in (float_result, finite_max, softmax, log_softmax, logsumexp, sigmoid, softplus, erf,
                                   log_sigmoid, log1m_sigmoid, stable_log1p, stable_abs, set_subtensor,
                                   inc_subtensor, where, take, dimshuffle, ifelse, tanh_recurrence,
                                   projected_recurrence, gram_sums)}
#: helpers a helper calls
HELPER_NEEDS = {name: ("float_result",) for name in ("sigmoid", "softplus", "erf", "log_sigmoid", "log1m_sigmoid")} | {
    name: ("float_result", "finite_max") for name in ("softmax", "log_softmax", "logsumexp")}
