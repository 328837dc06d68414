"""More of NumPy's math, built from the scalar ops: round/around, fix, sinc, angle, isclose, allclose,
nan_to_num, isposinf, isneginf, trapezoid, and the ``Interp`` op (``interp``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import Apply, Op
from . import math as tm
from .basic import as_tensor, cast, constant, reshape
from .cumulative import diff
from .reduce import normalize_axes
from .shape_inference import shape_tuple
from .type import TensorType
from .variable import TensorVariable


def round(a: Any, decimals: int = 0) -> TensorVariable:  # noqa: A001
    """NumPy's ``round``: half to even, at ``decimals`` decimal places (negative: tens, hundreds...)."""
    x = as_tensor(a)
    decimals = int(decimals)
    if x.dtype[0] == "c":
        return round(tm.real(x), decimals) + 1j * round(tm.imag(x), decimals)
    if x.dtype == "bool" or x.dtype[0] in "iu" and decimals >= 0:
        return x
    if decimals == 0:
        return tm.rint(x)
    factor = 10 ** abs(decimals)
    if decimals > 0:
        return cast(tm.true_divide(tm.rint(tm.multiply(x, float(factor))), float(factor)), x.dtype)
    return cast(tm.multiply(tm.rint(tm.true_divide(x, factor)), factor), x.dtype)


around = round


def fix(x: Any) -> TensorVariable:
    """NumPy's ``fix``: round towards zero (``floor`` for non-negative values, ``ceil`` otherwise)."""
    x = as_tensor(x)
    return tm.where(tm.greater_equal(x, 0), tm.floor(x), tm.ceil(x))


def sinc(x: Any) -> TensorVariable:
    """NumPy's ``sinc``: ``sin(pi x) / (pi x)``, 1 at 0."""
    scaled = tm.multiply(math.pi, as_tensor(x))
    eps = float(np.finfo(scaled.dtype).eps) if scaled.dtype[0] == "f" else 1e-20
    y = tm.where(tm.not_equal(scaled, 0), scaled, constant(np.asarray(eps, scaled.dtype)))
    return tm.true_divide(tm.sin(y), y)


def angle(z: Any, deg: bool = False) -> TensorVariable:
    """NumPy's ``angle``: the argument of complex numbers (0 or pi for real ones)."""
    z = as_tensor(z)
    if z.dtype[0] == "c":
        result = tm.arctan2(tm.imag(z), tm.real(z))
    else:
        result = tm.arctan2(0, z)
    return tm.multiply(result, 180 / math.pi) if deg else result


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> TensorVariable:
    """NumPy's ``isclose``: ``|a - b| <= atol + rtol * |b|``, infinities equal only to themselves."""
    x = a if isinstance(a, int | float | complex) else as_tensor(a)
    y = b if isinstance(b, int | float | complex) else as_tensor(b)
    if isinstance(y, int):
        y = float(y)
    elif not isinstance(y, float | complex):
        y = cast(y, np.result_type(np.dtype(y.dtype), 1.0).name)
    close = tm.less_equal(tm.absolute(tm.subtract(x, y)), tm.add(atol, tm.multiply(rtol, tm.absolute(y))))
    result = tm.logical_or(tm.logical_and(close, tm.isfinite(y)), tm.equal(x, y))
    if equal_nan:
        result = tm.logical_or(result, tm.logical_and(tm.isnan(x), tm.isnan(y)))
    return result


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> TensorVariable:
    """NumPy's ``allclose`` (a boolean scalar)."""
    return tm.all(isclose(a, b, rtol, atol, equal_nan))


def isposinf(x: Any) -> TensorVariable:
    """NumPy's ``isposinf`` (refuses complex input, which would be ambiguous)."""
    x = as_tensor(x)
    if x.dtype[0] == "c":
        raise TypeError(f"isposinf: not supported for {x.dtype} values because it would be ambiguous")
    return tm.logical_and(tm.isinf(x), tm.logical_not(tm.signbit(x)))


def isneginf(x: Any) -> TensorVariable:
    """NumPy's ``isneginf`` (refuses complex input, which would be ambiguous)."""
    x = as_tensor(x)
    if x.dtype[0] == "c":
        raise TypeError(f"isneginf: not supported for {x.dtype} values because it would be ambiguous")
    return tm.logical_and(tm.isinf(x), tm.signbit(x))


def nan_to_num(x: Any, copy: bool = True, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> TensorVariable:
    """NumPy's ``nan_to_num``: NaN, +inf and -inf replaced (by 0 and the largest finite values by default)."""
    x = as_tensor(x)
    if x.dtype[0] not in "fc":
        return x
    if x.dtype[0] == "c":
        return nan_to_num(tm.real(x), nan=nan, posinf=posinf, neginf=neginf) + 1j * nan_to_num(
            tm.imag(x), nan=nan, posinf=posinf, neginf=neginf)
    info = np.finfo(x.dtype)

    def typed(value: float) -> TensorVariable:
        with np.errstate(over="ignore"):
            return constant(np.asarray(value, x.dtype))

    result = tm.where(tm.isnan(x), typed(nan), x)
    result = tm.where(isposinf(x), typed(float(info.max) if posinf is None else posinf), result)
    return tm.where(isneginf(x), typed(float(info.min) if neginf is None else neginf), result)


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> TensorVariable:
    """NumPy's ``trapezoid``: the integral of ``y`` by the trapezoidal rule along ``axis``."""
    y = as_tensor(y)
    (ax,) = normalize_axes(axis, y.ndim, "trapezoid")
    if x is None:
        d: Any = dx
    else:
        xt = as_tensor(x)
        if xt.ndim == 1:
            d = diff(xt)
            shape = [1] * y.ndim
            shape[ax] = shape_tuple(d)[0]
            d = reshape(d, tuple(shape))
        else:
            d = diff(xt, axis=ax)
    before = (slice(None),) * ax
    pairs = tm.add(y[before + (slice(1, None),)], y[before + (slice(None, -1),)])
    return tm.sum(tm.true_divide(tm.multiply(d, pairs), 2.0), axis=ax)


@dataclass(frozen=True)
class Interp(Op):
    """NumPy's ``interp``: piecewise-linear interpolation of (``xp``, ``fp``) at ``x``; the optional inputs are
    ``left``, ``right`` and ``period`` where ``has`` says so."""

    has: tuple[bool, bool, bool]

    def make_node(self, x: Any, xp: Any, fp: Any, *extra: Any) -> Apply:
        x, xp, fp = as_tensor(x), as_tensor(xp), as_tensor(fp)
        if xp.ndim != 1 or fp.ndim != 1:
            raise ValueError(f"interp: xp and fp must be 1-d sequences, got {xp.type} and {fp.type}")
        if xp.type.shape[0] is not None and fp.type.shape[0] is not None and xp.type.shape[0] != fp.type.shape[0]:
            raise ValueError("interp: fp and xp are not of the same length.")
        for v in (x, xp, fp):
            if v.dtype[0] == "c" and v is not fp:
                raise TypeError(f"interp: x and xp must be real, got {v.type}")
        dtype = "complex128" if fp.dtype[0] == "c" else "float64"
        return Apply(self, [x, xp, fp, *(as_tensor(e) for e in extra)], [TensorType(dtype, x.type.shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, xp, fp, *extra = inputs
        values = iter(extra)
        left, right, period = (next(values) if h else None for h in self.has)
        out = np.interp(x, xp, fp, left=left, right=right, period=period)
        return [np.asarray(out, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None, period: Any = None) -> TensorVariable:
    """NumPy's ``interp``."""
    extra = [v for v in (left, right, period) if v is not None]
    has = (left is not None, right is not None, period is not None)
    return Interp(has)(x, xp, fp, *extra)

__all__ = ["Interp", "allclose", "angle", "around", "fix", "interp", "isclose", "isneginf", "isposinf",
           "nan_to_num", "round", "sinc", "trapezoid"]
