"""Theano's elementwise and reduction functions where their names or signatures differ from NumPy's:
``sum``/``mean``/``prod`` with ``acc_dtype``, ``var``/``std`` with ``ddof`` third, ``round(mode=)``,
``inv`` (1/x), ``max_and_argmax``, variadic ``add``/``mul``, the short comparison and logic names."""

from __future__ import annotations

import functools
from typing import Any

import arignote as ar
from arignote_core import TensorVariable, as_tensor

__all__ = ["abs_", "add", "and_", "ceil_intdiv", "chi2sf", "complex", "complex_from_polar", "divmod", "erfcinv",
           "floor_div", "gammal", "gammau", "ge", "gt", "inv", "iround", "isinf_", "isnan_", "largest", "le", "lt",
           "max_and_argmax", "mean", "mul", "or_", "prod", "round", "round_half_away_from_zero",
           "round_half_to_even", "sgn", "smallest", "std", "sub", "sum", "tri_gamma", "var", "xor"]


def _accumulated(reduce: Any, x: Any, axis: Any, dtype: Any, keepdims: bool, acc_dtype: Any) -> TensorVariable:
    """``reduce`` accumulating in ``acc_dtype`` and giving ``dtype`` (by default what it gives without
    ``acc_dtype``)."""
    if acc_dtype is None:
        return reduce(x, axis=axis, dtype=dtype, keepdims=keepdims)
    result = reduce(x, axis=axis, dtype=acc_dtype, keepdims=keepdims)
    out_dtype = dtype if dtype is not None else reduce(x, axis=axis, keepdims=keepdims).dtype
    return ar.cast(result, out_dtype)


def sum(input: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False,  # noqa: A001 (Theano's name)
        acc_dtype: Any = None) -> TensorVariable:
    """Theano's ``sum``: ``acc_dtype`` is the dtype of the accumulator, ``dtype`` the result's."""
    return _accumulated(ar.sum, input, axis, dtype, keepdims, acc_dtype)


def prod(input: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, acc_dtype: Any = None,
         no_zeros_in_input: bool = False) -> TensorVariable:
    """Theano's ``prod``; ``no_zeros_in_input`` (a hint for its gradient) is accepted."""
    return _accumulated(ar.prod, input, axis, dtype, keepdims, acc_dtype)


def mean(input: Any, axis: Any = None, dtype: Any = None, op: bool = False, keepdims: bool = False,
         acc_dtype: Any = None) -> TensorVariable:
    """Theano's ``mean`` (its fourth argument ``op`` is accepted and has no effect)."""
    return _accumulated(ar.mean, input, axis, dtype, keepdims, acc_dtype)


def var(input: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False,
        corrected: bool = False) -> TensorVariable:
    """Theano's ``var``: ``ddof`` is the third argument (NumPy's third is ``dtype``). ``corrected`` asked Theano
    for the corrected two-pass algorithm; Arignote's variance is computed in two passes already."""
    return ar.var(input, axis=axis, ddof=ddof, keepdims=keepdims)


def std(input: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False,
        corrected: bool = False) -> TensorVariable:
    """Theano's ``std``: the square root of :func:`var`."""
    return ar.std(input, axis=axis, ddof=ddof, keepdims=keepdims)


def round_half_to_even(a: Any) -> TensorVariable:
    """Round to the nearest integer, ties to even (NumPy's ``round``)."""
    return ar.round(a)


def round_half_away_from_zero(a: Any) -> TensorVariable:
    """Round to the nearest integer, ties away from zero (2.5 is 3, -2.5 is -3)."""
    a = as_tensor(a)
    if a.dtype.startswith(("int", "uint", "bool")):
        return a
    return ar.sign(a) * ar.floor(ar.abs(a) + 0.5)


_ROUND_MODES = {"half_to_even": round_half_to_even, "half_away_from_zero": round_half_away_from_zero}


def round(a: Any, mode: str | None = None) -> TensorVariable:  # noqa: A001 (Theano's name)
    """Theano's ``round``: ``mode`` is ``"half_to_even"`` (the default, as in Theano 1.0 and NumPy) or
    ``"half_away_from_zero"``."""
    chosen = "half_to_even" if mode is None else mode
    if chosen not in _ROUND_MODES:
        raise ValueError(f"round: mode must be one of {', '.join(_ROUND_MODES)}, got {mode!r}")
    return _ROUND_MODES[chosen](a)


def iround(a: Any, mode: str | None = None) -> TensorVariable:
    """``round(a, mode)`` as int64."""
    return ar.cast(round(a, mode), "int64")


def inv(x: Any) -> TensorVariable:
    """Theano's ``inv``: the elementwise reciprocal ``1 / x`` (not a matrix inverse)."""
    return ar.true_divide(1, x)


def max_and_argmax(a: Any, axis: Any = None, keepdims: bool = False) -> list[TensorVariable]:
    """``[max(a, axis), argmax(a, axis)]``."""
    return [ar.max(a, axis=axis, keepdims=keepdims), ar.argmax(a, axis=axis, keepdims=keepdims)]


def add(*terms: Any) -> TensorVariable:
    """The elementwise sum of any number of terms."""
    return functools.reduce(ar.add, terms)


def mul(*factors: Any) -> TensorVariable:
    """The elementwise product of any number of factors."""
    return functools.reduce(ar.multiply, factors)


def largest(*args: Any) -> TensorVariable:
    """The elementwise maximum of any number of tensors."""
    return functools.reduce(ar.maximum, args)


def smallest(*args: Any) -> TensorVariable:
    """The elementwise minimum of any number of tensors."""
    return functools.reduce(ar.minimum, args)


def sub(a: Any, b: Any) -> TensorVariable:
    """``a - b``."""
    return ar.subtract(a, b)


def ceil_intdiv(a: Any, b: Any) -> TensorVariable:
    """Integer division rounding up: ``a // b`` plus one where a remainder is left."""
    quotient = ar.floor_divide(a, b)
    return quotient + ar.cast(ar.neq(ar.remainder(a, b), 0), quotient.dtype)


def divmod(x: Any, y: Any) -> tuple[TensorVariable, TensorVariable]:  # noqa: A001 (Theano's name)
    """``(x // y, x % y)``."""
    return ar.floor_divide(x, y), ar.remainder(x, y)


def erfcinv(x: Any) -> TensorVariable:
    """The inverse of ``erfc``: ``erfinv(1 - x)``."""
    return ar.erfinv(1 - as_tensor(x))


def gammal(k: Any, x: Any) -> TensorVariable:
    """The lower incomplete gamma function (not regularized)."""
    return ar.gammainc(k, x) * ar.gamma(k)


def gammau(k: Any, x: Any) -> TensorVariable:
    """The upper incomplete gamma function (not regularized)."""
    return ar.gammaincc(k, x) * ar.gamma(k)


def tri_gamma(x: Any) -> TensorVariable:
    """The trigamma function, ``polygamma(1, x)``."""
    return ar.polygamma(1, x)


def chi2sf(x: Any, k: Any) -> TensorVariable:
    """The survival function of the chi-squared distribution with ``k`` degrees of freedom."""
    return ar.gammaincc(as_tensor(k) / 2.0, as_tensor(x) / 2.0)


def complex(real: Any, imag: Any) -> TensorVariable:  # noqa: A001 (Theano's name)
    """``real + 1j * imag``."""
    return ar.add(real, ar.multiply(imag, 1j))


def complex_from_polar(abs: Any, angle: Any) -> TensorVariable:  # noqa: A002 (Theano's argument name)
    """``abs * exp(1j * angle)``."""
    return ar.multiply(abs, ar.add(ar.cos(angle), ar.multiply(ar.sin(angle), 1j)))


abs_ = ar.abs
sgn = ar.sign
and_ = ar.bitwise_and
or_ = ar.bitwise_or
xor = ar.bitwise_xor
ge = ar.greater_equal
gt = ar.greater
le = ar.less_equal
lt = ar.less
floor_div = ar.floor_divide
isinf_ = ar.isinf
isnan_ = ar.isnan
