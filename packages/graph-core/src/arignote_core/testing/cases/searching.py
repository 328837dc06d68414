"""Conformance cases of sorting, searching and selecting: sort, argsort, topk/argtopk, searchsorted, digitize,
unique, nonzero, argwhere, flatnonzero, count_nonzero, isin, bincount, take, take_along_axis, select, where."""

from __future__ import annotations

from typing import Any

import numpy as np

import arignote_core as ac

from ..case import Case, Sample, sample
from ..generators import REAL, fixed, layouts, random_array

INDEX_OUTPUT = "integer output (indices)"
BOOLEAN_OUTPUT = "boolean output"
COUNT_OUTPUT = "integer output (counts)"
L = layouts


def _sort_samples(rng: np.random.Generator) -> list[Sample]:
    layouts_ = L(((3, 5), {}), ((3, 5), {"axis": 0}), ((2, 3, 4), {"axis": None}), ((7,), {"kind": "stable"}),
                 ((0, 3), {}), ((), {"axis": None}), dtypes=REAL, primary=("float64", "int8"),
                 int_domain=(-3, 3))
    out = layouts_(rng)
    x = np.array([3.0, np.nan, -np.inf, 1.0, np.inf, -0.0, 0.0, np.nan])
    out.append(sample(x, tags=["edge"], label="NaN and infinities"))
    out.append(sample(np.array(2.0), tags=["error"], label="0-d with an axis"))
    return out


def _ties_free(rng: np.random.Generator) -> list[Sample]:
    out = []
    for dtype in ("float64", "float32", "int64", "uint8"):
        x = rng.permutation(60)[:15].reshape(3, 5).astype(dtype)
        out.append(sample(x, label=dtype))
        out.append(sample(x, axis=0, label=f"{dtype} axis 0"))
    out.append(sample(np.array([[2, 1, 2, 1, 2]]), kind="stable", label="ties, stable"))
    out.append(sample(np.array([3.0, np.nan, 1.0]), tags=["edge"], label="NaN"))
    return out


def _topk_samples(rng: np.random.Generator) -> list[Sample]:
    x = rng.permutation(24).reshape(4, 6).astype("float64")
    return [sample(x, kth=2, label="2 largest"), sample(x, kth=-3, label="3 smallest"),
            sample(x, kth=1, axis=0, label="axis 0"), sample(x.astype("int32"), static=["none"], kth=6,
                                                            label="all, run-time shape")]


def _topk_oracle(x: np.ndarray, kth: int, axis: int = -1) -> np.ndarray:
    order = np.argsort(x, axis=axis, kind="stable")
    picked = np.flip(order, axis=axis) if kth > 0 else order
    return np.take(picked, np.arange(abs(kth)), axis=axis)


def _searchsorted_samples(rng: np.random.Generator) -> list[Sample]:
    a = np.sort(rng.integers(0, 10, 8)).astype("float64")
    v = rng.integers(-1, 11, (3, 4)).astype("float64")
    return [sample(a, v, label="left"), sample(a, v, side="right", label="right"),
            sample(a.astype("int32"), np.array(5, "int32"), label="scalar"),
            sample(a, v, static=["none", "none"], label="run-time shapes"),
            sample(np.zeros(0), v, tags=["empty"], label="empty a"),
            sample(a, np.array([np.nan, -np.inf, np.inf]), tags=["edge"], label="edges")]


def _sorter_samples(rng: np.random.Generator) -> list[Sample]:
    a = rng.normal(size=6)
    return [sample(a, rng.normal(size=4), np.argsort(a), label="with sorter")]


def _digitize_samples(rng: np.random.Generator) -> list[Sample]:
    x = rng.uniform(-1, 6, (3, 4))
    inc = np.array([0.0, 1.0, 2.5, 4.0])
    return [sample(x, inc, label="increasing"), sample(x, inc[::-1].copy(), label="decreasing"),
            sample(x, inc, right=True, label="right"), sample(np.array([0.0, 1.0, 4.0]), inc[::-1].copy(),
                                                                right=True, label="on the edges, decreasing"),
            sample(x.astype("float32"), inc, static=["none", "none"], label="run-time shapes")]


def _nonzero_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for dtype in ("float64", "int8", "bool", "complex64"):
        x = (rng.integers(0, 3, (3, 4)) * rng.integers(0, 2, (3, 4))).astype(dtype)
        out.append(sample(x, label=dtype))
    out += [sample(np.zeros(5), label="none"), sample(np.ones((2, 0)), tags=["empty"], label="empty"),
            sample(np.array([np.nan, 0.0, -0.0]), tags=["edge"], label="NaN and signed zeros")]
    return out


def _unique_samples(rng: np.random.Generator) -> list[Sample]:
    x = rng.integers(0, 4, (3, 5))
    return [sample(x, label="plain"), sample(x.astype("float32"), return_counts=True, label="counts"),
            sample(x, return_index=True, return_inverse=True, return_counts=True, label="all outputs"),
            sample(np.array([1.0, np.nan, np.nan, 2.0]), tags=["edge"], label="NaN merged"),
            sample(np.array([1.0, np.nan, np.nan]), equal_nan=False, tags=["edge"], label="NaN apart"),
            sample(np.zeros(0, "int8"), tags=["empty"], label="empty")]


def _isin_samples(rng: np.random.Generator) -> list[Sample]:
    x = rng.integers(0, 6, (3, 4))
    return [sample(x, np.array([1, 3, 7]), label="ints"), sample(x, np.array([[2], [0]]), invert=True,
                                                                 label="invert, 2-d tests"),
            sample(x.astype("float32"), np.array([1.0, np.nan]), label="float with NaN"),
            sample(x, np.zeros(0, "int64"), tags=["empty"], label="no tests")]


def _bincount_samples(rng: np.random.Generator) -> list[Sample]:
    x = rng.integers(0, 5, 12)
    return [sample(x, label="counts"), sample(x, minlength=8, label="minlength"),
            sample(x.astype("uint8"), rng.normal(size=12), label="weights"),
            sample(np.array([1, -1]), tags=["error"], label="negative value"),
            sample(np.zeros(0, "int64"), tags=["empty"], label="empty")]


def _bincount(x: Any, *w: Any, **kw: Any) -> Any:
    return ac.bincount(x, *w, **kw)


def _take_samples(rng: np.random.Generator) -> list[Sample]:
    x = random_array(rng, "float64", (4, 5))
    return [sample(x, np.array([0, 3, -1]), label="flattened"),
            sample(x, np.array([[0, 4], [2, 2]]), axis=1, label="axis 1"),
            sample(x, np.array(2), axis=0, label="scalar index"),
            sample(x, np.array([1, 7, -9]), axis=0, mode="wrap", label="wrap"),
            sample(x, np.array([1, 7, -9]), axis=0, mode="clip", label="clip"),
            sample(x, np.array([0, 9]), axis=0, tags=["error"], label="out of range"),
            sample(x.astype("int16"), np.array([1, 2]), static=["none", "none"], axis=-1, label="run-time shapes")]


def _take_along_samples(rng: np.random.Generator) -> list[Sample]:
    x = random_array(rng, "float64", (3, 4))
    return [sample(x, np.argsort(x, axis=1), axis=1, label="argsort, axis 1"),
            sample(x, np.argsort(x, axis=0)[:2], axis=0, label="two rows"),
            sample(x, np.array([[0], [3], [1]]), label="one per row, broadcast"),
            sample(x.ravel(), np.array([5, 0]), axis=None, label="axis None"),
            sample(x, np.argsort(x, axis=1), static=["none", "none"], axis=1, label="run-time shapes")]


def _select_samples(rng: np.random.Generator) -> list[Sample]:
    x = rng.normal(size=(3, 4))
    return [sample(x < -0.5, x > 0.5, x, x * 2, label="two choices"),
            sample(x < 0, x > 0, x.astype("float32"), np.float32(3.0), label="scalar choice"),
            sample(x[:, :1] < 0, x > 1, x[0], x.astype("int8"), label="broadcasting")]


def _select(c1: Any, c2: Any, a: Any, b: Any, **kw: Any) -> Any:
    return ac.select([c1, c2], [a, b], **kw)


def _select_np(c1: Any, c2: Any, a: Any, b: Any, **kw: Any) -> Any:
    return np.select([c1, c2], [a, b], **kw)


CASES: list[Case] = [
    Case(name="sort", function="sort", build=ac.sort, oracle=np.sort, samples=_sort_samples),
    Case(name="argsort", function="argsort", build=ac.argsort, oracle=np.argsort, samples=_ties_free,
         differentiable=False, why_not_differentiable=INDEX_OUTPUT),
    Case(name="argtopk", function="argtopk", build=ac.argtopk, oracle=_topk_oracle, samples=_topk_samples,
         differentiable=False, why_not_differentiable=INDEX_OUTPUT),
    Case(name="topk", function="topk", build=ac.topk,
         oracle=lambda x, kth, axis=-1: np.take_along_axis(x, _topk_oracle(x, kth, axis), axis),
         samples=_topk_samples),
    Case(name="searchsorted", function="searchsorted", build=ac.searchsorted, oracle=np.searchsorted,
         samples=_searchsorted_samples, differentiable=False, why_not_differentiable=INDEX_OUTPUT),
    Case(name="searchsorted/sorter", function="searchsorted", build=lambda a, v, s: ac.searchsorted(a, v, sorter=s),
         oracle=lambda a, v, s: np.searchsorted(a, v, sorter=s), samples=_sorter_samples, differentiable=False,
         why_not_differentiable=INDEX_OUTPUT),
    Case(name="digitize", function="digitize", build=ac.digitize, oracle=np.digitize, samples=_digitize_samples,
         differentiable=False, why_not_differentiable=INDEX_OUTPUT),
    Case(name="nonzero", function="nonzero", build=ac.nonzero, oracle=lambda x: list(np.nonzero(x)),
         samples=_nonzero_samples, dynamic_shape=True, differentiable=False, why_not_differentiable=INDEX_OUTPUT),
    Case(name="where/one-argument", function="where", build=ac.where, oracle=lambda x: list(np.where(x)),
         samples=_nonzero_samples, dynamic_shape=True, differentiable=False, why_not_differentiable=INDEX_OUTPUT),
    Case(name="argwhere", function="argwhere", build=ac.argwhere, oracle=np.argwhere,
         samples=fixed(*_nonzero_samples(np.random.default_rng(3)), sample(np.array(2.0)), sample(np.array(0))),
         dynamic_shape=True, differentiable=False, why_not_differentiable=INDEX_OUTPUT),
    Case(name="flatnonzero", function="flatnonzero", build=ac.flatnonzero, oracle=np.flatnonzero,
         samples=_nonzero_samples, dynamic_shape=True, differentiable=False, why_not_differentiable=INDEX_OUTPUT),
    Case(name="count_nonzero", function="count_nonzero", build=ac.count_nonzero, oracle=np.count_nonzero,
         samples=L(((3, 4), {}), ((3, 4), {"axis": 0}), ((2, 3, 4), {"axis": (0, 2), "keepdims": True}),
                   ((0, 2), {"axis": 1}), primary=("float64", "bool", "complex64"), int_domain=(-1, 1)),
         differentiable=False, why_not_differentiable=COUNT_OUTPUT),
    Case(name="unique", function="unique", build=ac.unique, oracle=np.unique, samples=_unique_samples,
         dynamic_shape=True, differentiable=False, why_not_differentiable="output size depends on the values"),
    Case(name="isin", function="isin", build=ac.isin, oracle=np.isin, samples=_isin_samples,
         differentiable=False, why_not_differentiable=BOOLEAN_OUTPUT),
    Case(name="bincount", function="bincount", build=_bincount, oracle=np.bincount, samples=_bincount_samples,
         dynamic_shape=True, differentiable=False, why_not_differentiable=COUNT_OUTPUT),
    Case(name="take", function="take", build=ac.take, oracle=np.take, samples=_take_samples, grad_wrt=(0,)),
    Case(name="take_along_axis", function="take_along_axis", build=ac.take_along_axis, oracle=np.take_along_axis,
         samples=_take_along_samples, grad_wrt=(0,)),
    Case(name="select", function="select", build=_select, oracle=_select_np, samples=_select_samples,
         grad_wrt=(2, 3)),
    Case(name="select/default", function="select", build=lambda c, a, **kw: ac.select([c], [a], **kw),
         oracle=lambda c, a, **kw: np.select([c], [a], **kw), grad_wrt=(1,),
         samples=fixed(sample(np.array([True, False]), np.array([1, 2], "int8"), default=-1),
                       sample(np.array([True, False]), np.array([1.5, 2.5], "float32"), default=0.5),
                       sample(np.array([1, 0]), np.array([1.0, 2.0]), tags=["error", "build-error"]))),
]
