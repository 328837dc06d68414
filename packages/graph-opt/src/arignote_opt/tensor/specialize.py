"""Specialize: cheaper forms for execution. Powers become squares, square roots and products; the canonical
``a + (-b)`` becomes ``a - b``; softmax, log-softmax and log-sum-exp are lowered to max-shifted elementwise
ops and reductions, which fusion turns into a few loops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from arignote_core import Variable, dimshuffle
from arignote_core.dtypes import result_dtype
from arignote_core.graph import dtype_spec
from arignote_core.tensors import math
from arignote_core.tensors.fused_reduce import max_with_identity
from arignote_core.tensors.special import LogSoftmax, LogSumExp, Softmax

from ..engine import Const, Node, Var
from .rulesets import SPECIALIZE
from .util import is_float, is_real_float, scalar_constant
from .vocabulary import elemwise

_FLOAT = {"x": is_float}

SPECIALIZE.pattern("square", "x ** 2 -> sqr(x)", tags=("powers",))
# NumPy's power computes x ** 0.5 as sqrt(x) itself (sqrt(-inf) is NaN, sqrt(-0.) is -0.), but not x ** -0.5
SPECIALIZE.pattern("sqrt", "x ** 0.5 -> sqrt(x)", constraints=_FLOAT, tags=("powers",))
SPECIALIZE.pattern("reciprocal", "x ** -1 -> reciprocal(x)", constraints=_FLOAT, tags=("powers",))


def _negation_exact(a: Variable, b: Variable) -> bool:
    """Whether ``-b``, computed in ``b``'s dtype, is ``-b`` in the dtype of ``a + -b``: ``b`` is a float or of
    that dtype (a narrower integer wraps when negated first: ``-uint8(1)`` is 255, and ``int64(0) + 255`` is not
    ``int64(0) - 1``)."""
    return is_float(b) or b.type.dtype == result_dtype(dtype_spec(a), dtype_spec(b))


SPECIALIZE.pattern("subtract", "a + -b -> a - b", where=_negation_exact, tags=("arithmetic",))
SPECIALIZE.pattern("negate", "x * -1 -> -x", tags=("arithmetic",))
# only for a float b: NumPy's reciprocal of an integer is an integer (1 // b, with 0 for |b| > 1)
SPECIALIZE.pattern("divide", "a * reciprocal(b) -> a / b", constraints={"b": is_float}, tags=("arithmetic",))

#: Integer powers up to this exponent become products (by repeated squaring).
MAX_POWER_AS_PRODUCTS = 16


def _power_by_squaring(x: Variable, k: int) -> Variable:
    result: Any = None  # tensors (their operators)
    square: Any = x
    while k:
        if k & 1:
            result = square if result is None else result * square
        k >>= 1
        if k:
            square = elemwise("square")(square)
    assert result is not None
    return result


X = Var("x")


@SPECIALIZE.rule(Node(elemwise("power"), X, Const(name="exponent"), name="power"), tags=("powers",))
def integer_power(x: Variable, exponent: Variable, power: Variable) -> Variable | None:
    """``x ** k`` for a small integer ``k >= 3`` is a few multiplications (``x ** -k`` their reciprocal)."""
    k = scalar_constant(exponent)
    if isinstance(k, complex) or not float(k).is_integer():
        return None
    k = int(k)
    if not 3 <= abs(k) <= MAX_POWER_AS_PRODUCTS or (k < 0 and not is_float(x)):
        return None
    if x.type.dtype != power.type.dtype:
        return None  # the power promotes (a bool base gives an int): products of x would keep x's dtype
    result = _power_by_squaring(x, abs(k))
    return elemwise("reciprocal")(result) if k < 0 else result


@SPECIALIZE.rule(Node(elemwise("power"), Var("x", is_float), Const(-0.5)), tags=("powers",))
def reciprocal_sqrt(x: Variable) -> Variable:
    """``x ** -0.5`` is ``1 / sqrt(x)``, except at the edges where IEEE's ``pow`` differs: ``pow(-0., -0.5)``
    is inf (``1 / sqrt(-0.)`` is -inf) and ``pow(-inf, -0.5)`` is 0 (``1 / sqrt(-inf)`` is NaN)."""
    root = math.reciprocal(math.sqrt(x))
    return math.where(math.equal(x, 0), np.inf, math.where(math.equal(x, -np.inf), 0.0, root))


def _safe_max(x: Variable, axes: tuple[int, ...]) -> Variable:
    """``max(x, axes)``, or 0 where it is not finite (so that ``x - m`` never makes ``inf - inf``, and an empty
    axis is no error)."""
    m = max_with_identity(x, axes)
    return math.where(math.isfinite(m), m, 0)


def _restore_axes(v: Variable, axes: tuple[int, ...], ndim: int) -> Variable:
    """``v`` (reduced over ``axes``) with those axes back as length-1 axes, as ``keepdims`` gives."""
    kept = iter(range(ndim - len(axes)))
    return dimshuffle(v, ["x" if i in axes else next(kept) for i in range(ndim)])


def _in_float32(x: Variable, lower: Callable[[Variable], Variable]) -> Variable:
    """``lower(x)``, computed in float32 when ``x`` is float16 (sums and logs of float16 lose a few percent)."""
    if x.type.dtype != "float16":
        return lower(x)
    return math.cast(lower(math.cast(x, "float32")), "float16")


_REAL_FLOAT_X = Var("x", lambda v: is_real_float(v.type.dtype))


@SPECIALIZE.rule(Node(Softmax, _REAL_FLOAT_X, op_as="op"), tags=("lower_special",))
def lower_softmax(x: Variable, op: Softmax) -> Variable:
    """``softmax(x)`` as ``e / sum(e)`` with ``e = exp(x - max(x))``."""
    axes = op.axes
    ndim = x.type.ndim

    def lower(x: Any) -> Variable:
        e = math.exp(x - _restore_axes(_safe_max(x, axes), axes, ndim))
        return e / _restore_axes(math.sum(e, axis=axes), axes, ndim)

    return _in_float32(x, lower)


@SPECIALIZE.rule(Node(LogSoftmax, _REAL_FLOAT_X, op_as="op"), tags=("lower_special",))
def lower_log_softmax(x: Variable, op: LogSoftmax) -> Variable:
    """``log_softmax(x)`` as ``s - log(sum(exp(s)))`` with ``s = x - max(x)``."""
    axes = op.axes
    ndim = x.type.ndim

    def lower(x: Any) -> Variable:
        shifted = x - _restore_axes(_safe_max(x, axes), axes, ndim)
        return shifted - _restore_axes(math.log(math.sum(math.exp(shifted), axis=axes)), axes, ndim)

    return _in_float32(x, lower)


@SPECIALIZE.rule(Node(LogSumExp, _REAL_FLOAT_X, op_as="op"), tags=("lower_special",))
def lower_logsumexp(x: Variable, op: LogSumExp) -> Variable:
    """``logsumexp(x)`` as ``m + log(sum(exp(x - m)))`` with ``m = max(x)``."""
    axes, ndim = op.axes, x.type.ndim

    def lower(x: Any) -> Variable:
        m = _safe_max(x, axes)
        result = m + math.log(math.sum(math.exp(x - _restore_axes(m, axes, ndim)), axis=axes))
        return _restore_axes(result, axes, ndim) if op.keepdims else result

    return _in_float32(x, lower)
