"""Conformance cases of products and more math: dot, matmul, tensordot, einsum, inner, outer, vdot, vecdot,
kron, cross, batched_dot, round/around, fix, sinc, angle, real, imag, isclose, allclose, nan_to_num,
isposinf, isneginf, interp, trapezoid."""

from __future__ import annotations

from typing import Any

import numpy as np

import arignote_core as ac

from ..case import Case, Sample, sample
from ..generators import ALL_DTYPES, NUMERIC, REAL, elementwise, fixed, layouts, random_array

BOOLEAN_OUTPUT = "boolean output"
STEPS = "piecewise constant: the derivative is zero almost everywhere and undefined at the steps"
L = layouts
PRODUCT_DTYPES = ("float64", "float32", "int8", "int64", "uint8", "bool", "complex64", "float16")
LOOSE = {"float16": (1e-2, 1e-2), "float32": (1e-4, 1e-5)}


def _pairs(*shape_pairs: tuple[tuple[int, ...], tuple[int, ...]], **kwargs: Any) -> Any:
    return L(*((pair, kwargs) for pair in shape_pairs), dtypes=PRODUCT_DTYPES, primary=("float64", "int8"),
             domain=(-2, 2))


def _two_dtypes(rng: np.random.Generator) -> list[Sample]:
    return [sample(random_array(rng, a, (3, 4)), random_array(rng, b, (4, 2)), label=f"{a}, {b}")
            for a, b in [("float32", "float64"), ("int8", "uint8"), ("int32", "float32"), ("bool", "int16")]]


def _errors(*pairs: tuple[tuple[int, ...], tuple[int, ...]]) -> Any:
    return fixed(*(sample(np.ones(a), np.ones(b), tags=["error", "build-error"], label=f"{a} with {b}")
                   for a, b in pairs),
                 *(sample(np.ones(a), np.ones(b), static=["none", "none"], tags=["error"], label=f"{a}, {b} run time")
                   for a, b in pairs))


def _einsum_samples(rng: np.random.Generator) -> list[Sample]:
    a, b, c = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4,))
    batch = rng.normal(size=(5, 2, 3))
    return [sample(a, b, subscripts="ij,jk->ik", label="matrix product"),
            sample(a, b, subscripts="ij,jk", label="implicit output"),
            sample(b, c, subscripts="ij,j->i", label="matrix-vector"),
            sample(batch, b, subscripts="...ij,jk->...ik", label="ellipsis"),
            sample(a, a, subscripts="ij,ij->", label="full contraction"),
            sample(b, c, subscripts="ij,k->ijk", label="outer"),
            sample(rng.normal(size=(3, 3)), rng.normal(size=3), subscripts="ii,i->i", label="diagonal"),
            sample(a, subscripts="ij->ji", tags=["view"], label="transpose (a view in NumPy)"),
            sample(rng.normal(size=(3, 3)), subscripts="ii->i", tags=["view"], label="one operand's diagonal"),
            sample(a, subscripts="ij", tags=["view"], label="one operand unchanged"),
            sample(a.astype("float32"), b.astype("int8"), subscripts="ij,jk->ki", label="mixed dtypes"),
            sample(a, b, static=["none", "none"], subscripts="ij,jk->ik", label="run-time shapes"),
            sample(a, c, subscripts="ij,j->i", tags=["error", "build-error"], label="mismatched sizes")]


def _einsum(*xs: Any, subscripts: str) -> Any:
    return ac.einsum(subscripts, *xs)


def _einsum_np(*xs: Any, subscripts: str) -> Any:
    return np.einsum(subscripts, *xs)


def _cross_samples(rng: np.random.Generator) -> list[Sample]:
    v3, w3 = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    v2, w2 = rng.normal(size=(4, 2)), rng.normal(size=(2,))
    return [sample(v3, w3, label="3 and 3"), sample(v3, w2, label="3 and 2"), sample(v2, w3[0], label="2 and 3"),
            sample(v3.T.copy(), w3, axisa=0, label="axisa"), sample(v3, w3, axisc=0, label="axisc"),
            sample(v3.astype("int8"), w3.astype("int16"), label="ints"),
            sample(rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), axis=0, label="axis"),
            sample(np.ones(4), np.ones(3), tags=["error", "build-error"], label="length 4")]


def _batched_dot_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(rng.normal(size=(4, 2, 3)), rng.normal(size=(4, 3, 5)), label="matrices"),
            sample(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), label="vectors"),
            sample(rng.normal(size=(4, 2, 3)), rng.normal(size=(4, 3)), label="matrix and vector"),
            sample(rng.normal(size=(4, 3)), rng.normal(size=(4, 3, 2)), label="vector and matrix")]


def _batched_dot_np(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.stack([np.dot(x, y) for x, y in zip(a, b, strict=True)])


def _round_samples(rng: np.random.Generator) -> list[Sample]:
    out = L(((3, 4), {}), ((3, 4), {"decimals": 2}), ((3, 4), {"decimals": -1}), dtypes=NUMERIC,
            primary=("float64", "float32", "int8", "complex128", "float16", "uint16"), domain=(-60, 60))(rng)
    out.append(sample(np.array([0.5, 1.5, 2.5, -0.5, np.nan, np.inf, 125.0]), tags=["edge"], label="halves"))
    out.append(sample(np.array([15, 25, -35], "int8"), decimals=-1, tags=["edge"], label="int halves"))
    return out


def _isclose_samples(rng: np.random.Generator) -> list[Sample]:
    x = rng.normal(size=(3, 4))
    y = x + rng.normal(size=(3, 4)) * np.array([1e-9, 1e-6, 1e-3, 1])
    specials = np.array([np.nan, np.inf, -np.inf, 0.0, 1e-9])
    a, b = np.meshgrid(specials, specials)
    return [sample(x, y, label="close and far"), sample(x, y, rtol=1e-3, atol=0.0, label="rtol"),
            sample(a, b, tags=["edge"], label="specials"), sample(a, b, equal_nan=True, tags=["edge"],
                                                                 label="equal_nan"),
            sample(x.astype("float32"), y, label="float32 and float64"),
            sample(np.array([1, 2, 3]), np.array([1, 3, 3], "int8"), label="ints"),
            sample(x[:, :1], y, label="broadcast"), sample(x + 1j, y + 1j, label="complex")]


def _interp_samples(rng: np.random.Generator) -> list[Sample]:
    xp = np.sort(rng.uniform(0, 10, 6))
    fp = rng.normal(size=6)
    x = rng.uniform(-1, 11, (3, 4))
    return [sample(x, xp, fp, label="inside and outside"), sample(x, xp, fp, left=-5.0, right=5.0, label="left right"),
            sample(x.astype("float32"), xp, fp.astype("float32"), label="float32"),
            sample(x, xp, fp + 1j * fp, label="complex fp"), sample(x, xp, fp, period=4.0, label="period"),
            sample(x, xp, fp[:3], tags=["error", "build-error"], label="lengths differ")]


def _interp(x: Any, xp: Any, fp: Any, **kw: Any) -> Any:
    return ac.interp(x, xp, fp, **kw)


def _trapezoid_samples(rng: np.random.Generator) -> list[Sample]:
    y = rng.normal(size=(3, 5))
    return [sample(y, label="dx 1"), sample(y, dx=0.5, axis=0, label="dx, axis 0"),
            sample(y, np.sort(rng.uniform(0, 3, 5)), label="x vector"),
            sample(y, np.sort(rng.uniform(0, 3, (3, 5)), axis=1), label="x array"),
            sample(y.astype("float32"), label="float32"), sample(y.astype("int8"), label="int8"),
            sample(y, static=["none"], label="run-time shape")]


def _trapezoid(y: Any, *x: Any, **kw: Any) -> Any:
    return ac.trapezoid(y, *x, **kw)


def _complex_edges(x: np.ndarray) -> np.ndarray:
    out = np.empty(x.shape, "complex128")
    out.real, out.imag = x, x[::-1]
    return out


def _nan_to_num_samples(rng: np.random.Generator) -> list[Sample]:
    x = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0])
    return [sample(x, tags=["edge"], label="defaults"), sample(x, nan=-1.0, posinf=9.0, neginf=-9.0, tags=["edge"]),
            sample(x.astype("float16"), tags=["edge"], label="float16"),
            sample(_complex_edges(x), tags=["edge"], label="complex"), sample(np.array([1, 2]), label="ints")]


CASES: list[Case] = [
    Case(name="dot", function="dot", build=ac.dot, oracle=np.dot, tolerances=LOOSE,
         samples=_pairs(((3, 4), (4, 5)), ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((2, 3, 4), (4, 5)),
                        ((2, 3), (4, 3, 5)), ((), (3, 2)), ((0, 3), (3, 2)), ((3, 0), (0, 2)))),
    Case(name="dot/dtypes", function="dot", build=ac.dot, oracle=np.dot, samples=_two_dtypes, tolerances=LOOSE),
    Case(name="dot/errors", function="dot", build=ac.dot, oracle=np.dot, samples=_errors(((3, 4), (3, 4)))),
    Case(name="matmul", function="matmul", build=ac.matmul, oracle=np.matmul, tolerances=LOOSE,
         samples=_pairs(((3, 4), (4, 5)), ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((2, 3, 4), (4, 5)),
                        ((2, 1, 3, 4), (5, 4, 2)), ((0, 3), (3, 2)), ((2, 3, 0), (2, 0, 4)))),
    Case(name="matmul/errors", function="matmul", build=ac.matmul, oracle=np.matmul,
         samples=_errors(((3, 4), (3, 4)), ((2, 3, 4), (3, 4, 5)))),
    Case(name="tensordot", function="tensordot", build=ac.tensordot, oracle=np.tensordot, tolerances=LOOSE,
         samples=L((((2, 3, 4), (3, 4, 5)), {}), (((2, 3, 4), (4, 3)), {"axes": ([1, 2], [1, 0])}),
                   (((2, 3), (4, 5)), {"axes": 0}), (((3, 4), (4, 2)), {"axes": 1}),
                   (((2, 3), (3, 2)), {"axes": ([0], [1])}), dtypes=PRODUCT_DTYPES, primary=("float64",))),
    Case(name="einsum", function="einsum", build=_einsum, oracle=_einsum_np, samples=_einsum_samples),
    Case(name="inner", function="inner", build=ac.inner, oracle=np.inner, tolerances=LOOSE,
         samples=_pairs(((4,), (4,)), ((2, 4), (3, 4)), ((), (3,)), ((2, 3, 4), (4,)))),
    Case(name="outer", function="outer", build=ac.outer, oracle=np.outer,
         samples=_pairs(((4,), (3,)), ((2, 2), (3,)), ((), (3,)), ((0,), (3,)))),
    Case(name="vdot", function="vdot", build=ac.vdot, oracle=np.vdot, tolerances=LOOSE,
         samples=_pairs(((4,), (4,)), ((2, 3), (3, 2)), ((0,), (0,)))),
    Case(name="vecdot", function="vecdot", build=ac.vecdot, oracle=np.vecdot, tolerances=LOOSE,
         samples=_pairs(((4,), (4,)), ((2, 4), (3, 1, 4)), ((3, 4), (3, 4)))),
    Case(name="vecdot/axis", function="vecdot", build=ac.vecdot, oracle=np.vecdot,
         samples=L((((4, 3), (4, 3)), {"axis": 0}), dtypes=("float64", "complex128"))),
    Case(name="kron", function="kron", build=ac.kron, oracle=np.kron,
         samples=_pairs(((2, 3), (3, 2)), ((3,), (2,)), ((2,), (2, 3)), ((2, 2, 2), (3,)), ((), (2, 2)))),
    Case(name="cross", function="cross", build=ac.cross, oracle=np.cross, samples=_cross_samples),
    Case(name="batched_dot", function="batched_dot", build=ac.batched_dot, oracle=_batched_dot_np,
         samples=_batched_dot_samples),
    Case(name="round", function="round", build=ac.round, oracle=np.round, samples=_round_samples,
         differentiable=False, why_not_differentiable=STEPS),
    Case(name="around", function="around", build=ac.around, oracle=np.round,
         samples=L(((3, 4), {"decimals": 1}), dtypes=("float64",)), differentiable=False,
         why_not_differentiable=STEPS),
    Case(name="fix", function="fix", build=ac.fix, oracle=np.fix, samples=elementwise(1, dtypes=REAL),
         differentiable=False, why_not_differentiable=STEPS),
    Case(name="sinc", function="sinc", build=ac.sinc, oracle=np.sinc, samples=elementwise(1, dtypes=NUMERIC)),
    Case(name="angle", function="angle", build=ac.angle, oracle=np.angle, samples=elementwise(1, dtypes=ALL_DTYPES)),
    Case(name="angle/deg", function="angle", build=lambda z: ac.angle(z, deg=True),
         oracle=lambda z: np.angle(z, deg=True), samples=elementwise(1, dtypes=("complex128", "float32"))),
    Case(name="real", function="real", build=ac.real, oracle=np.real, samples=elementwise(1)),
    Case(name="imag", function="imag", build=ac.imag, oracle=np.imag, samples=elementwise(1)),
    Case(name="isclose", function="isclose", build=ac.isclose, oracle=np.isclose, samples=_isclose_samples,
         differentiable=False, why_not_differentiable=BOOLEAN_OUTPUT),
    Case(name="allclose", function="allclose", build=ac.allclose, oracle=lambda *a, **k: np.asarray(
        np.allclose(*a, **k)), samples=_isclose_samples, differentiable=False, why_not_differentiable=BOOLEAN_OUTPUT),
    Case(name="isposinf", function="isposinf", build=ac.isposinf, oracle=np.isposinf,
         samples=elementwise(1, dtypes=ALL_DTYPES), differentiable=False, why_not_differentiable=BOOLEAN_OUTPUT),
    Case(name="isneginf", function="isneginf", build=ac.isneginf, oracle=np.isneginf,
         samples=elementwise(1, dtypes=REAL), differentiable=False, why_not_differentiable=BOOLEAN_OUTPUT),
    Case(name="nan_to_num", function="nan_to_num", build=ac.nan_to_num, oracle=np.nan_to_num,
         samples=_nan_to_num_samples),
    Case(name="interp", function="interp", build=_interp, oracle=np.interp, samples=_interp_samples,
         grad_wrt=(0, 2)),
    Case(name="trapezoid", function="trapezoid", build=_trapezoid, oracle=np.trapezoid, samples=_trapezoid_samples),
]
