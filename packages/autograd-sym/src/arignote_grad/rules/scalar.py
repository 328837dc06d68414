"""Derivatives of the scalar ops: ``g`` times d(output)/d(input ``i``), for every elementwise function.

Each rule is ``fn(m, g, i, xs, z)``: ``m`` the elementwise math (tensors or scalars), ``g`` the seed (output
gradient or input tangent), ``xs`` the op's inputs, ``z`` its output. Conventions at the points where a
function is not differentiable, chosen as JAX chooses them: ``abs'(0) = 0``; ``maximum``/``minimum`` split the
derivative equally between tied arguments, and ``clip`` is differentiated as ``minimum(maximum(x, lo), hi)``
with those ties (its partials add up to 1, ``hi`` taking all where ``lo > hi``); ``x ** y`` has d/dx 0 where
``y == 0`` and d/dy 0 at ``x == 0``; step functions (``floor``, ``sign``, ``floor_divide``...) have derivative
zero. At those points the split derivative is also what central finite differences measure.

Complex values follow JAX's convention (the seed of a real cost ``C`` of ``z = x + iy`` is ``dC/dx - i dC/dy``):
holomorphic functions multiply by their derivative, as for reals; ``conj``, ``abs``, ``imag`` and ``complex``
have rules of their own, and the engine keeps the real part of what reaches a real input.

Ops whose output is an integer or a boolean (comparisons, bitwise and logical ops) need no rule: they carry no
gradient (step functions: see the Elemwise rule).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from arignote_core import Constant
from arignote_core.scalars import SCALAR_OPS, Cast, Clip, Complex, Identity, Imag, Real, Switch

from ..errors import undefined_grad
from ..registry import ZERO, register_scalar_derivative

Rule = Callable[..., Any]

_SQRT_PI = math.sqrt(math.pi)


def _is_complex(x: Any) -> bool:
    return str(x.type.dtype).startswith("complex")


def derivative(*names: str) -> Callable[[Rule], Rule]:
    """Register ``fn`` as the scalar derivative of the ops named ``names``."""

    def decorate(fn: Rule) -> Rule:
        for name in names:
            register_scalar_derivative(type(SCALAR_OPS[name]))(fn)
        return fn

    return decorate


# -- arithmetic ----------------------------------------------------------------------------------------------


@derivative("add")
def _add(m, g, i, xs, z):
    return g


@derivative("subtract")
def _subtract(m, g, i, xs, z):
    return g if i == 0 else m.neg(g)


@derivative("multiply")
def _multiply(m, g, i, xs, z):
    return m.mul(g, xs[1 - i])


@derivative("true_divide")
def _true_divide(m, g, i, xs, z):
    x, y = xs
    return m.div(g, y) if i == 0 else m.neg(m.div(m.mul(g, z), y))


@derivative("floor_divide", "floor", "ceil", "trunc", "rint", "sign", "spacing")
def _step(m, g, i, xs, z):
    return ZERO


@derivative("remainder")
def _remainder(m, g, i, xs, z):
    x, y = xs
    return g if i == 0 else m.neg(m.mul(g, m.floor_divide(x, y)))


@derivative("fmod")
def _fmod(m, g, i, xs, z):
    x, y = xs
    return g if i == 0 else m.neg(m.mul(g, m.trunc(m.true_divide(x, y))))


@derivative("power", "float_power")
def _power(m, g, i, xs, z):
    # as JAX: d/dx is y * x**(y - 1), but 0 where y == 0 (x**0 is the constant 1, also at x = 0, where the
    # formula gives 0 * inf); d/dy is log(x) * x**y with log(0) read as 0 (0 at x = 0 for y >= 0), NaN for a
    # negative base (x**y is not real around a non-integer y)
    x, y = xs
    if i == 0:
        if isinstance(y, Constant) and np.ndim(y.data) == 0:
            exponent = np.asarray(y.data).item()
            if exponent == 0:
                return ZERO
            if exponent == 1:
                return g
            if exponent == 2:
                return m.mul(g, m.mul(x, 2))
            return m.mul(g, m.mul(exponent, m.power(x, exponent - 1)))
        return m.switch(m.equal(y, 0), 0, m.mul(g, m.mul(y, m.power(x, m.sub(y, 1)))))
    safe_x = m.switch(m.equal(x, 0), 1, x)
    return m.mul(g, m.mul(z, m.log(safe_x)))


@derivative("maximum", "fmax", "minimum", "fmin")
def _extremum(m, g, i, xs, z):
    x, other = xs[i], xs[1 - i]
    wins = m.equal(x, z)
    tie = m.equal(x, other)
    return m.switch(wins, m.switch(tie, m.mul(g, 0.5), g), 0)


@derivative("negative")
def _negative(m, g, i, xs, z):
    return m.neg(g)


@derivative("positive")
def _positive(m, g, i, xs, z):
    return g


@derivative("conjugate")
def _conjugate(m, g, i, xs, z):
    return m.conjugate(g) if _is_complex(xs[0]) else g


@derivative("absolute", "fabs")
def _absolute(m, g, i, xs, z):
    # for complex z, |z|'s gradient in JAX's convention is conj(z) / |z| (conj(sign(z)), 0 at z = 0)
    sign = m.sign(xs[0])
    return m.mul(g, m.conjugate(sign) if _is_complex(xs[0]) else sign)


@derivative("copysign")
def _copysign(m, g, i, xs, z):
    if i == 1:
        return ZERO
    x, y = xs
    return m.switch(m.not_equal(m.signbit(x), m.signbit(y)), m.neg(g), g)


@derivative("hypot")
def _hypot(m, g, i, xs, z):
    return m.div(m.mul(g, xs[i]), z)


@derivative("arctan2")
def _arctan2(m, g, i, xs, z):
    y, x = xs
    scaled = m.div(g, m.add(m.square(x), m.square(y)))
    return m.mul(scaled, x) if i == 0 else m.neg(m.mul(scaled, y))


@derivative("logaddexp")
def _logaddexp(m, g, i, xs, z):
    return m.mul(g, m.exp(m.sub(xs[i], z)))


@derivative("logaddexp2")
def _logaddexp2(m, g, i, xs, z):
    return m.mul(g, m.exp2(m.sub(xs[i], z)))


@derivative("nextafter")
def _nextafter(m, g, i, xs, z):
    return g if i == 0 else ZERO


@derivative("heaviside")
def _heaviside(m, g, i, xs, z):
    return ZERO if i == 0 else m.switch(m.equal(xs[0], 0), g, 0)


@derivative("ldexp")
def _ldexp(m, g, i, xs, z):
    return m.ldexp(g, xs[1]) if i == 0 else g


# -- exponentials, logarithms, powers ------------------------------------------------------------------------


@derivative("exp")
def _exp(m, g, i, xs, z):
    return m.mul(g, z)


@derivative("exp2")
def _exp2(m, g, i, xs, z):
    return m.mul(m.mul(g, math.log(2.0)), z)


@derivative("expm1")
def _expm1(m, g, i, xs, z):
    return m.mul(g, m.add(z, 1))


@derivative("log")
def _log(m, g, i, xs, z):
    return m.div(g, xs[0])


@derivative("log2")
def _log2(m, g, i, xs, z):
    return m.div(g, m.mul(xs[0], math.log(2.0)))


@derivative("log10")
def _log10(m, g, i, xs, z):
    return m.div(g, m.mul(xs[0], math.log(10.0)))


@derivative("log1p")
def _log1p(m, g, i, xs, z):
    return m.div(g, m.add(xs[0], 1))


@derivative("sqrt")
def _sqrt(m, g, i, xs, z):
    return m.div(m.mul(g, 0.5), z)


@derivative("cbrt")
def _cbrt(m, g, i, xs, z):
    return m.div(g, m.mul(m.square(z), 3))


@derivative("square")
def _square(m, g, i, xs, z):
    return m.mul(g, m.mul(xs[0], 2))


@derivative("reciprocal")
def _reciprocal(m, g, i, xs, z):
    return m.neg(m.mul(g, m.square(z)))


# -- trigonometric and hyperbolic -----------------------------------------------------------------------------


@derivative("sin")
def _sin(m, g, i, xs, z):
    return m.mul(g, m.cos(xs[0]))


@derivative("cos")
def _cos(m, g, i, xs, z):
    return m.neg(m.mul(g, m.sin(xs[0])))


@derivative("tan")
def _tan(m, g, i, xs, z):
    return m.mul(g, m.add(m.square(z), 1))


@derivative("arcsin")
def _arcsin(m, g, i, xs, z):
    return m.div(g, m.sqrt(m.sub(1, m.square(xs[0]))))


@derivative("arccos")
def _arccos(m, g, i, xs, z):
    return m.neg(m.div(g, m.sqrt(m.sub(1, m.square(xs[0])))))


@derivative("arctan")
def _arctan(m, g, i, xs, z):
    return m.div(g, m.add(m.square(xs[0]), 1))


@derivative("sinh")
def _sinh(m, g, i, xs, z):
    return m.mul(g, m.cosh(xs[0]))


@derivative("cosh")
def _cosh(m, g, i, xs, z):
    return m.mul(g, m.sinh(xs[0]))


@derivative("tanh")
def _tanh(m, g, i, xs, z):
    return m.mul(g, m.sub(1, m.square(z)))


@derivative("arcsinh")
def _arcsinh(m, g, i, xs, z):
    return m.div(g, m.sqrt(m.add(m.square(xs[0]), 1)))


@derivative("arccosh")
def _arccosh(m, g, i, xs, z):
    return m.div(g, m.sqrt(m.sub(m.square(xs[0]), 1)))


@derivative("arctanh")
def _arctanh(m, g, i, xs, z):
    return m.div(g, m.sub(1, m.square(xs[0])))


@derivative("deg2rad")
def _deg2rad(m, g, i, xs, z):
    return m.mul(g, math.pi / 180.0)


@derivative("rad2deg")
def _rad2deg(m, g, i, xs, z):
    return m.mul(g, 180.0 / math.pi)


# -- special functions ----------------------------------------------------------------------------------------


@derivative("sigmoid")
def _sigmoid(m, g, i, xs, z):
    return m.mul(m.mul(g, z), m.sub(1, z))


@derivative("softplus")
def _softplus(m, g, i, xs, z):
    return m.mul(g, m.sigmoid(xs[0]))


@derivative("log1mexp")
def _log1mexp(m, g, i, xs, z):
    return m.neg(m.mul(g, m.exp(m.sub(xs[0], z))))


@derivative("erf")
def _erf(m, g, i, xs, z):
    return m.mul(m.mul(g, 2.0 / _SQRT_PI), m.exp(m.neg(m.square(xs[0]))))


@derivative("erfc")
def _erfc(m, g, i, xs, z):
    return m.mul(m.mul(g, -2.0 / _SQRT_PI), m.exp(m.neg(m.square(xs[0]))))


@derivative("erfinv")
def _erfinv(m, g, i, xs, z):
    return m.mul(m.mul(g, _SQRT_PI / 2.0), m.exp(m.square(z)))


@derivative("erfcx")
def _erfcx(m, g, i, xs, z):
    return m.mul(g, m.sub(m.mul(m.mul(xs[0], 2), z), 2.0 / _SQRT_PI))


@derivative("gamma")
def _gamma(m, g, i, xs, z):
    return m.mul(m.mul(g, z), m.psi(xs[0]))


@derivative("gammaln")
def _gammaln(m, g, i, xs, z):
    return m.mul(g, m.psi(xs[0]))


@derivative("psi")
def _psi(m, g, i, xs, z):
    return m.mul(g, m.polygamma(1, xs[0]))


@derivative("polygamma")
def _polygamma(m, g, i, xs, z):
    n, x = xs
    if i == 0:
        return undefined_grad(SCALAR_OPS["polygamma"], 0, "polygamma(n, x) has no derivative in its order n")
    return m.mul(g, m.polygamma(m.add(n, 1), x))


@derivative("i0")
def _i0(m, g, i, xs, z):
    return m.mul(g, m.i1(xs[0]))


@derivative("i1")
def _i1(m, g, i, xs, z):
    x = xs[0]
    at_zero = m.equal(x, 0)
    safe_x = m.switch(at_zero, 1, x)
    return m.mul(g, m.switch(at_zero, 0.5, m.sub(m.i0(x), m.div(z, safe_x))))


@derivative("j0")
def _j0(m, g, i, xs, z):
    return m.neg(m.mul(g, m.j1(xs[0])))


@derivative("j1")
def _j1(m, g, i, xs, z):
    x = xs[0]
    return m.mul(m.mul(g, 0.5), m.sub(m.j0(x), m.jv(2, x)))


@derivative("jv")
def _jv(m, g, i, xs, z):
    v, x = xs
    if i == 0:
        return undefined_grad(SCALAR_OPS["jv"], 0, "the derivative of jv(v, x) in its order v is not implemented")
    return m.mul(m.mul(g, 0.5), m.sub(m.jv(m.sub(v, 1), x), m.jv(m.add(v, 1), x)))


def _gammainc_density(m, a, x):
    """d/dx of the regularized lower incomplete gamma function: x**(a-1) exp(-x) / gamma(a)."""
    return m.exp(m.sub(m.sub(m.mul(m.sub(a, 1), m.log(x)), x), m.gammaln(a)))


@derivative("gammainc")
def _gammainc(m, g, i, xs, z):
    if i == 0:
        return undefined_grad(SCALAR_OPS["gammainc"], 0, "the derivative of gammainc(a, x) in a is not "
                              "implemented")
    return m.mul(g, _gammainc_density(m, *xs))


@derivative("gammaincc")
def _gammaincc(m, g, i, xs, z):
    if i == 0:
        return undefined_grad(SCALAR_OPS["gammaincc"], 0, "the derivative of gammaincc(a, x) in a is not "
                              "implemented")
    return m.neg(m.mul(g, _gammainc_density(m, *xs)))


# -- selection and conversion ---------------------------------------------------------------------------------


@register_scalar_derivative(Switch)
def _switch(m, g, i, xs, z):
    cond = xs[0]
    if i == 0:
        return None
    return m.switch(cond, g, 0) if i == 1 else m.switch(cond, 0, g)


@register_scalar_derivative(Clip)
def _clip(m, g, i, xs, z):
    # NumPy's clip is minimum(maximum(x, lo), hi) (hi wins where lo > hi): the chain rule through that
    # composition, with the ties of maximum and minimum split, so the three partials always add up to 1
    x, lo, hi = xs
    if lo is hi:  # clip(x, b, b) is b for every x: smooth, also where x == b (no tie to split)
        return g if i == 1 else m.mul(g, 0)
    floored = m.maximum(x, lo)
    if i == 2:
        return _extremum(m, g, 1, (floored, hi), z)
    through_floor = _extremum(m, g, 0, (floored, hi), z)
    return _extremum(m, through_floor, i, (x, lo), floored)


@register_scalar_derivative(Cast)
@register_scalar_derivative(Identity)
def _pass_through(m, g, i, xs, z):
    return g


@register_scalar_derivative(Real)
def _real(m, g, i, xs, z):
    return g


@register_scalar_derivative(Imag)
def _imag(m, g, i, xs, z):
    # imag(x + iy) = y: its cotangent on z is -i g (JAX's convention); a real input has none
    return m.mul(g, -1j) if _is_complex(xs[0]) else ZERO


@register_scalar_derivative(Complex)
def _complex(m, g, i, xs, z):
    # complex(x, y) = x + iy: the real part of g goes to x and the real part of i g (-imag(g)) to y; the
    # engine keeps the real part of what reaches a real input
    return g if i == 0 else m.mul(g, 1j)
