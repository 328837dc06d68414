"""Conformance cases of statistics and cumulative operations: var, std, ptp, average, median, quantile,
percentile, cov, corrcoef, the nan-reductions, cumsum, cumprod, nancumsum, nancumprod, diff, amax, amin."""

from __future__ import annotations

from typing import Any

import numpy as np

import arignote_core as ac

from ..case import Case, Sample, sample
from ..generators import REAL_NUMERIC, concat, fixed, layouts, random_array, reductions

INDEX_OUTPUT = "integer output (an index)"
L = layouts
LOOSE_HALF = {"float16": (2e-2, 1e-2)}


def _reduction(name: str, reason: str = "", **options: Any) -> Case:
    fn, ref = getattr(ac, name), getattr(np, name)
    return Case(name=name, function=name, build=lambda x, **kw: fn(x, **kw), oracle=lambda x, **kw: ref(x, **kw),
                samples=reductions(**options), differentiable=not reason, why_not_differentiable=reason,
                tolerances=LOOSE_HALF)


def _with_nans(multi_axis: bool = True) -> Any:
    def make(rng: np.random.Generator) -> list[Sample]:
        x = rng.normal(size=(4, 5))
        x[rng.random((4, 5)) < 0.3] = np.nan
        x[2] = np.nan
        out = [sample(x, label="some NaN, all axes"), sample(x, axis=1, label="an all-NaN row"),
               sample(x.astype("float32"), axis=0, keepdims=True, label="float32, keepdims"),
               sample(x[:, :0], axis=1, tags=["empty"], label="empty slices")]
        if multi_axis:
            out.append(sample(x.reshape(2, 2, 5), axis=(0, 2), label="two axes"))
        return out

    return make


def _nan_case(name: str, reason: str = "", multi_axis: bool = True, **options: Any) -> Case:
    fn, ref = getattr(ac, name), getattr(np, name)
    return Case(name=name, function=name, build=lambda x, **kw: fn(x, **kw), oracle=lambda x, **kw: ref(x, **kw),
                samples=concat(reductions(edges=False, multi_axis=multi_axis, **options), _with_nans(multi_axis)),
                differentiable=not reason, why_not_differentiable=reason, tolerances=LOOSE_HALF)


def _ddof_samples(rng: np.random.Generator) -> list[Sample]:
    x = rng.normal(size=(3, 4))
    return [sample(x, ddof=1, label="ddof 1"), sample(x, axis=0, ddof=3, label="ddof = N"),
            sample(x, axis=1, correction=1, label="correction"),
            sample(x, axis=1, keepdims=True, mean=x.mean(axis=1, keepdims=True), label="given mean"),
            sample(x.astype("complex128") * 1j + x, axis=1, label="complex"),
            sample(x.astype("float32"), axis=1, dtype="float64", label="dtype")]


def _average_samples(rng: np.random.Generator) -> list[Sample]:
    x = random_array(rng, "float64", (3, 4))
    w = rng.uniform(0.5, 2, (3, 4))
    return [sample(x, label="plain"), sample(x, axis=1, keepdims=True, label="keepdims"),
            sample(x, w, label="weights"), sample(x, w[0], axis=1, label="1-d weights"),
            sample(x.astype("int8"), w.astype("float32"), axis=0, label="int8 and float32"),
            sample(x, np.zeros((3, 4)), tags=["error"], label="weights sum to zero"),
            sample(x, w[:, 0], tags=["error", "build-error"], label="weights without axis")]


def _average(x: Any, *w: Any, **kw: Any) -> Any:
    return ac.average(x, weights=w[0] if w else None, **kw)


def _average_np(x: Any, *w: Any, **kw: Any) -> Any:
    return np.average(x, weights=w[0] if w else None, **kw)


def _quantile_samples(rng: np.random.Generator) -> list[Sample]:
    x = rng.normal(size=(4, 5))
    nan = x.copy()
    nan[1, 2] = np.nan
    return [sample(x, q=0.3, label="all"), sample(x, q=0.5, axis=1, label="axis 1"),
            sample(x, np.array([0.0, 0.25, 1.0]), axis=0, label="array q"),
            sample(x.astype("float32"), q=0.75, axis=(0, 1), keepdims=True, label="float32 keepdims"),
            sample(x, np.array([[0.1], [0.9]]), axis=1, keepdims=True, label="2-d q, keepdims"),
            sample(rng.integers(0, 9, (3, 4)).astype("int8"), q=0.4, axis=1, label="int8"),
            sample(nan, q=0.5, axis=1, tags=["edge"], label="NaN"), sample(x, q=1.5, tags=["error", "build-error"]),
            sample(x, np.array(1.5), tags=["error"], label="symbolic q out of range"),
            sample(x, static=["none"], q=0.1, axis=0, label="run-time shape")]


def _quantile(x: Any, *q: Any, **kw: Any) -> Any:
    return ac.quantile(x, q[0] if q else kw.pop("q"), **kw)


def _quantile_np(x: Any, *q: Any, **kw: Any) -> Any:
    return np.quantile(x, q[0] if q else kw.pop("q"), **kw)


def _median_samples(rng: np.random.Generator) -> list[Sample]:
    x = rng.normal(size=(4, 5))
    nan = x.copy()
    nan[0, 0] = np.nan
    return [sample(x, label="all"), sample(x, axis=0, label="even count"), sample(x, axis=1, label="odd count"),
            sample(x.astype("float32"), axis=(0, 1), keepdims=True, label="keepdims"),
            sample(rng.integers(0, 9, (3, 4)), axis=1, label="int"), sample(nan, axis=1, tags=["edge"], label="NaN"),
            sample(x.astype("float16"), axis=0, label="float16"), sample(x, static=["none"], axis=1,
                                                                        label="run-time shape"),
            sample(np.zeros((0, 3)), axis=0, tags=["empty"], label="empty")]


def _cov_samples(rng: np.random.Generator) -> list[Sample]:
    m = rng.normal(size=(3, 6))
    return [sample(m, label="rows"), sample(m.T.copy(), rowvar=False, label="columns"),
            sample(m, bias=True, label="bias"), sample(m, ddof=2, label="ddof"),
            sample(m[0], label="one variable"), sample(m, m[:2], label="with y"),
            sample(m.astype("float32"), dtype="float32", label="float32"),
            sample(m.astype("int8"), label="int8"), sample(m + 1j * m[::-1], label="complex"),
            sample(m, fweights=np.array([1, 2, 1, 3, 1, 1]), label="fweights"),
            sample(m, aweights=rng.uniform(0.5, 2, 6), label="aweights"),
            sample(m, fweights=np.array([1, 2, 1, 3, 1, 1]), aweights=rng.uniform(0.5, 2, 6), ddof=0,
                   label="both weights, ddof 0"),
            sample(m, fweights=np.array([1, 2, 1, 3, 1, 1]), bias=False, label="fweights, unbiased")]


def _cov(m: Any, *y: Any, **kw: Any) -> Any:
    return ac.cov(m, *y, **kw)


def _corrcoef(m: Any, *y: Any, **kw: Any) -> Any:
    return ac.corrcoef(m, *y, **kw)


def _cumulative(name: str) -> Case:
    fn, ref = getattr(ac, name), getattr(np, name)
    samples = L(((3, 4), {}), ((3, 4), {"axis": 0}), ((2, 3, 4), {"axis": -1}),
                ((3, 4), {"axis": 1, "dtype": "float32"}), ((0, 3), {"axis": 1}), ((), {}),
                primary=("float64", "int8", "bool"), domain=(0.5, 1.5), int_domain=(-3, 3))
    if name.startswith("nan"):
        samples = concat(samples, fixed(sample(np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, 3.0]]), axis=1,
                                               tags=["edge"])))
    return Case(name=name, function=name, build=lambda x, **kw: fn(x, **kw), oracle=lambda x, **kw: ref(x, **kw),
                samples=samples)


def _diff_samples(rng: np.random.Generator) -> list[Sample]:
    out = L(((3, 5), {}), ((3, 5), {"n": 2, "axis": 0}), ((6,), {"n": 0}), ((4,), {"n": 5}),
            ((3, 4), {"prepend": 0, "append": [[1.5]] * 3}), ((3, 4), {"axis": 0, "prepend": np.zeros((1, 4))}),
            dtypes=("float64", "int8", "uint8", "bool", "complex64"), primary=("float64",), int_domain=(0, 9))(rng)
    out.append(sample(np.array(3.0), tags=["error", "build-error"], label="0-d"))
    out.append(sample(np.ones(3), n=-1, tags=["error", "build-error"], label="negative order"))
    return out


CASES: list[Case] = [
    _reduction("var"), _reduction("std"),
    Case(name="var/ddof", function="var", build=ac.var, oracle=np.var, samples=_ddof_samples),
    Case(name="std/ddof", function="std", build=ac.std, oracle=np.std, samples=_ddof_samples),
    _reduction("ptp", dtypes=REAL_NUMERIC), _reduction("amax"), _reduction("amin"),
    Case(name="average", function="average", build=_average, oracle=_average_np, samples=_average_samples),
    Case(name="average/returned", function="average", build=lambda x, **kw: list(ac.average(x, returned=True, **kw)),
         oracle=lambda x, **kw: list(np.average(x, returned=True, **kw)),
         samples=L(((3, 4), {}), ((3, 4), {"axis": 1}), primary=("float64", "int8"))),
    Case(name="median", function="median", build=ac.median, oracle=np.median, samples=_median_samples,
         tolerances=LOOSE_HALF),
    Case(name="quantile", function="quantile", build=_quantile, oracle=_quantile_np, samples=_quantile_samples,
         grad_wrt=(0,)),
    Case(name="percentile", function="percentile", build=lambda x, **kw: ac.percentile(x, **kw),
         oracle=lambda x, **kw: np.percentile(x, **kw),
         samples=L(((4, 5), {"q": 30.0}), ((4, 5), {"q": 90, "axis": 0}), ((4, 5), {"q": [10.0, 50.0], "axis": 1}),
                   dtypes=REAL_NUMERIC)),
    Case(name="cov", function="cov", build=_cov, oracle=np.cov, samples=_cov_samples),
    Case(name="corrcoef", function="corrcoef", build=_corrcoef, oracle=np.corrcoef,
         samples=fixed(*(s for s in _cov_samples(np.random.default_rng(0)) if not s.kwargs))),
    Case(name="nanmax/initial", function="nanmax", build=ac.nanmax, oracle=np.nanmax,
         samples=fixed(sample(np.array([[np.nan, 1.0], [np.nan, np.nan]]), axis=1, initial=-1.0, tags=["edge"]))),
    Case(name="nanvar/ddof", function="nanvar", build=ac.nanvar, oracle=np.nanvar, samples=_ddof_samples),
    _nan_case("nansum"), _nan_case("nanprod", domain=(0.5, 1.5), int_domain=(-2, 2)), _nan_case("nanmax"),
    _nan_case("nanmin"), _nan_case("nanmean"), _nan_case("nanvar"), _nan_case("nanstd"),
    _nan_case("nanargmax", reason=INDEX_OUTPUT, multi_axis=False),
    _nan_case("nanargmin", reason=INDEX_OUTPUT, multi_axis=False),
    _cumulative("cumsum"), _cumulative("cumprod"), _cumulative("nancumsum"), _cumulative("nancumprod"),
    Case(name="diff", function="diff", build=ac.diff, oracle=np.diff, samples=_diff_samples),
]
