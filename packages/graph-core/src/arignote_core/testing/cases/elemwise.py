"""Conformance cases of the elementwise functions: every scalar op over arrays, weak Python scalars, where, clip."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.special

from ...dtypes import ALL_DTYPES, result_dtype, upcast_float
from ...tensors import math as tm
from ..case import Case, sample
from ..generators import REAL_NUMERIC, elementwise, fixed, random_array

BOOLEAN_OUTPUT = "boolean output"
INTEGER_ONLY = "defined on integers only"
STEPS = "piecewise constant: the derivative is zero almost everywhere and undefined at the steps"

POSITIVE = (0.05, 5.0)
UNIT = (-0.95, 0.95)
FLOAT_AND_INT = ("float64", "float32", "float16", "int64", "int32", "int8", "uint8", "uint64", "bool")

# name: (domain of every input, or one per input; int domain; reason it is not differentiable, or "")
UNARY: dict[str, tuple[Any, Any, str]] = {
    "negative": ((-5, 5), None, ""), "positive": ((-5, 5), None, ""), "absolute": ((-5, 5), None, ""),
    "sign": ((-5, 5), None, STEPS), "exp": ((-5, 5), None, ""), "exp2": ((-5, 5), None, ""),
    "expm1": ((-5, 5), None, ""), "log": (POSITIVE, None, ""), "log2": (POSITIVE, None, ""),
    "log10": (POSITIVE, None, ""), "log1p": ((-0.9, 5), None, ""), "sqrt": (POSITIVE, None, ""),
    "cbrt": (POSITIVE, None, ""), "square": ((-5, 5), None, ""), "reciprocal": (POSITIVE, (1, 5), ""),
    "sin": ((-5, 5), None, ""), "cos": ((-5, 5), None, ""), "tan": ((-1.4, 1.4), None, ""),
    "arcsin": (UNIT, None, ""), "arccos": (UNIT, None, ""), "arctan": ((-5, 5), None, ""),
    "sinh": ((-5, 5), None, ""), "cosh": ((-5, 5), None, ""), "tanh": ((-5, 5), None, ""),
    "arcsinh": ((-5, 5), None, ""), "arccosh": ((1.05, 5), None, ""), "arctanh": (UNIT, None, ""),
    "floor": ((-5, 5), None, STEPS), "ceil": ((-5, 5), None, STEPS), "trunc": ((-5, 5), None, STEPS),
    "rint": ((-5, 5), None, STEPS), "logical_not": ((-5, 5), None, BOOLEAN_OUTPUT),
    "invert": ((-5, 5), None, INTEGER_ONLY), "isnan": ((-5, 5), None, BOOLEAN_OUTPUT),
    "isinf": ((-5, 5), None, BOOLEAN_OUTPUT), "isfinite": ((-5, 5), None, BOOLEAN_OUTPUT),
    "signbit": ((-5, 5), None, BOOLEAN_OUTPUT), "conjugate": ((-5, 5), None, ""),
    "deg2rad": ((-5, 5), None, ""), "rad2deg": ((-5, 5), None, ""), "fabs": ((-5, 5), None, ""),
    "spacing": ((-5, 5), None, STEPS),
}

BINARY: dict[str, tuple[Any, Any, str]] = {
    "add": ((-5, 5), None, ""), "subtract": ((-5, 5), None, ""), "multiply": ((-5, 5), None, ""),
    "true_divide": ([(-5, 5), POSITIVE], [None, (1, 5)], ""),
    "floor_divide": ([(-5, 5), POSITIVE], [None, (1, 5)], STEPS),
    "remainder": ([(-5, 5), POSITIVE], [None, (1, 5)], ""), "fmod": ([(-5, 5), POSITIVE], [None, (1, 5)], ""),
    "power": ([(0.5, 3), (-2, 2)], [(-4, 4), (0, 3)], ""), "float_power": ([(0.5, 3), (-2, 2)], [None, (0, 3)], ""),
    "maximum": ((-5, 5), None, ""), "minimum": ((-5, 5), None, ""), "fmax": ((-5, 5), None, ""),
    "fmin": ((-5, 5), None, ""), "less": ((-2, 2), None, BOOLEAN_OUTPUT),
    "greater": ((-2, 2), None, BOOLEAN_OUTPUT), "less_equal": ((-2, 2), None, BOOLEAN_OUTPUT),
    "greater_equal": ((-2, 2), None, BOOLEAN_OUTPUT), "equal": ((-2, 2), None, BOOLEAN_OUTPUT),
    "not_equal": ((-2, 2), None, BOOLEAN_OUTPUT), "logical_and": ((-1, 1), None, BOOLEAN_OUTPUT),
    "logical_or": ((-1, 1), None, BOOLEAN_OUTPUT), "logical_xor": ((-1, 1), None, BOOLEAN_OUTPUT),
    "bitwise_and": ((-9, 9), None, INTEGER_ONLY), "bitwise_or": ((-9, 9), None, INTEGER_ONLY),
    "bitwise_xor": ((-9, 9), None, INTEGER_ONLY), "left_shift": ((-9, 9), [None, (0, 6)], INTEGER_ONLY),
    "right_shift": ((-9, 9), [None, (0, 6)], INTEGER_ONLY), "arctan2": ((-5, 5), None, ""),
    "hypot": ((-5, 5), None, ""), "copysign": ((-5, 5), None, ""), "logaddexp": ((-5, 5), None, ""),
    "logaddexp2": ((-5, 5), None, ""), "nextafter": ((-5, 5), None, STEPS), "heaviside": ((-2, 2), None, STEPS),
    "gcd": ((-20, 20), None, INTEGER_ONLY), "lcm": ((-20, 20), None, INTEGER_ONLY),
}

# float-valued math without a NumPy ufunc: name -> (reference, domain per input, gradient inputs)
SPECIAL: dict[str, tuple[Callable[..., Any], Any, tuple[int, ...] | None]] = {
    "sigmoid": (scipy.special.expit, (-5, 5), None), "softplus": (lambda x: np.logaddexp(0, x), (-5, 5), None),
    "log1mexp": (lambda x: np.log(-np.expm1(x)), (-5, -0.05), None), "erf": (scipy.special.erf, (-3, 3), None),
    "erfc": (scipy.special.erfc, (-3, 3), None), "erfinv": (scipy.special.erfinv, UNIT, None),
    "erfcx": (scipy.special.erfcx, (-2, 5), None), "gamma": (scipy.special.gamma, (0.2, 5), None),
    "gammaln": (scipy.special.gammaln, (0.2, 5), None), "psi": (scipy.special.psi, (0.2, 5), None),
    "i0": (np.i0, (-3, 3), None), "i1": (scipy.special.i1, (-3, 3), None), "j0": (scipy.special.j0, (-5, 5), None),
    "j1": (scipy.special.j1, (-5, 5), None), "jv": (scipy.special.jv, [(0.5, 3), (0.2, 5)], (1,)),
    "gammainc": (scipy.special.gammainc, [(0.5, 3), (0.2, 5)], (1,)),
    "gammaincc": (scipy.special.gammaincc, [(0.5, 3), (0.2, 5)], (1,)),
}

SPECIAL_DTYPES = ("float64", "float32", "float16", "int64", "int8", "uint16", "bool", "complex128")


def _like_exp(function: Callable[..., Any]) -> Callable[..., Any]:
    """The reference value in the dtype Arignote's float math gives (``np.exp``'s promotion); NumPy's refusal
    of bool and complex inputs is kept."""

    def oracle(*args: np.ndarray) -> np.ndarray:
        dtype = result_dtype(*(a.dtype.name for a in args))
        if dtype == "bool" or dtype.startswith("complex"):
            raise TypeError(f"no float loop for {dtype}")
        out = upcast_float(dtype)
        compute = [a.astype("float32") if out == "float16" else a for a in args]
        return np.asarray(function(*compute)).astype(out)

    return oracle


def _elementwise_case(name: str, nin: int, domain: Any, int_domain: Any, reason: str) -> Case:
    return Case(name=name, function=name, build=getattr(tm, name), oracle=getattr(np, name),
                samples=elementwise(nin, domain=domain, int_domain=int_domain),
                differentiable=not reason, why_not_differentiable=reason)


#: Bessel functions at the int64 edge values (about 2**63) have a condition number near 1e18: libm and SciPy's
#: cephes reduce the argument differently and agree only to about 2e-10 there (the values are below 3e-10).
ILL_CONDITIONED_AT_EDGES = {"j0": {"float64": (1e-10, 1e-9)}, "j1": {"float64": (1e-10, 1e-9)}}


def _special_case(name: str) -> Case:
    function, domain, wrt = SPECIAL[name]
    nin = 2 if isinstance(domain, list) else 1
    return Case(name=name, function=name, build=getattr(tm, name), oracle=_like_exp(function),
                samples=elementwise(nin, dtypes=SPECIAL_DTYPES, domain=domain), grad_wrt=wrt,
                tolerances=ILL_CONDITIONED_AT_EDGES.get(name, {}))


def _polygamma_samples(rng: np.random.Generator) -> list[Any]:
    return [sample(rng.integers(0, 4, (3, 4)), rng.uniform(0.2, 5, (3, 4)), label="orders 0..3"),
            sample(np.array([1, 2]), rng.uniform(0.2, 5, (3, 1)).astype("float32"), label="float32, broadcast"),
            sample(np.array(0), np.array([0.0, -1.0, np.inf, np.nan]), tags=["edge"], label="edge values")]


#: Python scalars mixed with arrays (weak promotion); 300 and -7 do not fit int8/uint8: NumPy raises.
WEAK_SCALARS = (True, 3, -7, 2.5, 1 + 2j, 300)
#: Comparisons with out-of-range Python ints are exact in NumPy 2 but refused by Arignote (OverflowError).
IN_RANGE_SCALARS = (True, 3, 2.5, 1 + 2j)


def _weak_scalar_samples(scalars: tuple[Any, ...]) -> Any:
    def make(rng: np.random.Generator) -> list[Any]:
        out: list[Any] = []
        for dtype in ("int8", "uint8", "int64", "float16", "float32", "complex64", "bool"):
            x = random_array(rng, dtype, (4,), (1, 3))
            out.extend(sample(x, scalar=s, label=f"{dtype} with {s!r}") for s in scalars)
        return out

    return make


def _weak_case(name: str, swap: bool = False, scalars: tuple[Any, ...] = WEAK_SCALARS) -> Case:
    fn, ref = getattr(tm, name), getattr(np, name)
    samples = _weak_scalar_samples(scalars)
    if swap:
        return Case(name=f"{name}/python-scalar-first", function=name, build=lambda x, scalar: fn(scalar, x),
                    oracle=lambda x, scalar: ref(scalar, x), samples=samples, grad_wrt=(0,))
    return Case(name=f"{name}/python-scalar", function=name, build=lambda x, scalar: fn(x, scalar),
                oracle=lambda x, scalar: ref(x, scalar), samples=samples, grad_wrt=(0,))


def _where_samples(rng: np.random.Generator) -> list[Any]:
    cond = rng.integers(0, 2, (3, 4)).astype(bool)
    out = [sample(cond, random_array(rng, d, (3, 4)), random_array(rng, d, (3, 4)), label=f"{d}")
           for d in ALL_DTYPES]
    out += [sample(cond[:, :1], rng.normal(size=(1, 4)), np.float32(2.0), label="broadcast, mixed dtypes"),
            sample(cond[:, :1], rng.normal(size=(1, 4)), rng.normal(size=(3, 4)), static=["none"] * 3,
                   tags=["runtime-broadcast"], label="run-time broadcasting"),
            sample(rng.integers(0, 3, (3, 4)), rng.normal(size=4), rng.normal(size=(3, 4)), label="int condition"),
            sample(np.zeros((0, 4), bool), rng.normal(size=4), rng.normal(size=(0, 4)), tags=["empty"],
                   label="empty"),
            sample(cond.T, rng.normal(size=(4, 3))[::-1], rng.normal(size=(8, 3))[::2], tags=["view"],
                   label="views")]
    return out


def _clip_samples(rng: np.random.Generator) -> list[Any]:
    out = [sample(random_array(rng, d, (3, 4)), random_array(rng, d, ()), random_array(rng, d, ()) + 1,
                  label=f"{d} scalar bounds") for d in REAL_NUMERIC]
    out += [sample(rng.normal(size=(3, 4)), rng.normal(size=(3, 1)) - 1, rng.normal(size=(1, 4)) + 1,
                   static=["none"] * 3, tags=["runtime-broadcast"], label="array bounds, run-time broadcasting"),
            sample(np.array([np.nan, np.inf, -np.inf, 0.5]), np.array(0.0), np.array(1.0), tags=["edge"],
                   label="edge values"),
            sample(np.zeros((0,), "float32"), np.float32(-1), np.float32(1), tags=["empty"], label="empty")]
    return out


def _weak_clip_samples(rng: np.random.Generator) -> list[Any]:
    return [sample(random_array(rng, d, (3, 4), (-5, 5)), lo=-2, hi=2.5, label=f"{d}")
            for d in ("int8", "uint8", "float32", "float64")]


CASES: list[Case] = [
    *(_elementwise_case(name, 1, *spec) for name, spec in UNARY.items()),
    *(_elementwise_case(name, 2, *spec) for name, spec in BINARY.items()),
    Case(name="ldexp", function="ldexp", build=tm.ldexp, oracle=np.ldexp, grad_wrt=(0,),
         samples=elementwise(2, dtypes=[("float64", "int64"), ("float32", "int32"), ("float16", "int8"),
                                        ("float64", "float64"), ("int64", "int64")],
                             primary=[("float64", "int64")], domain=[(-5, 5), (-3, 3)], mixed=[])),
    *(_special_case(name) for name in SPECIAL),
    Case(name="polygamma", function="polygamma", build=tm.polygamma, grad_wrt=(1,),
         oracle=_like_exp(scipy.special.polygamma), samples=_polygamma_samples),
    *(_weak_case(name) for name in ("add", "subtract", "multiply", "true_divide", "power", "maximum",
                                    "floor_divide")),
    _weak_case("less", scalars=IN_RANGE_SCALARS), _weak_case("equal", scalars=IN_RANGE_SCALARS),
    *(_weak_case(name, swap=True) for name in ("subtract", "true_divide", "power")),
    Case(name="where", function="where", build=tm.where, oracle=np.where, samples=_where_samples, grad_wrt=(1, 2)),
    Case(name="clip", function="clip", build=tm.clip, oracle=np.clip, samples=_clip_samples),
    Case(name="clip/python-scalars", function="clip", build=lambda x, lo, hi: tm.clip(x, lo, hi),
         oracle=lambda x, lo, hi: np.clip(x, lo, hi), samples=_weak_clip_samples),
    Case(name="clip/one-bound", function="clip", build=lambda x, **kw: tm.clip(x, **kw),
         oracle=lambda x, **kw: np.clip(x, **kw),
         samples=fixed(sample(np.arange(-3.0, 4.0), a_min=None, a_max=1.0), sample(np.arange(-3, 4), min=-1),
                       sample(np.arange(-3.0, 4.0), min=-1.0, max=2.5))),
    Case(name="where/python-scalars", function="where", build=lambda c, x: tm.where(c, x, 0),
         oracle=lambda c, x: np.where(c, x, 0), grad_wrt=(1,),
         samples=fixed(sample(np.array([True, False, True]), np.array([1.5, 2.5, 3.5], "float32")),
                       sample(np.array([True, False]), np.array([3, 4], "int8")))),
]
