"""Conformance cases of array creation: zeros/ones/full/empty and ``_like`` forms, arange, eye, identity,
tri/tril/triu, linspace, logspace, meshgrid, diag, diagonal, trace, alloc, fill, identity_like."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import arignote_core as ac

from ..case import Case, Sample, sample
from ..generators import ALL_DTYPES, fixed, layouts, random_array

CONSTANT_OUTPUT = "the output does not depend on the values of the inputs"
NO_INPUT = "no tensor inputs"
L = layouts


def _same_shape_and_dtype(expected: Sequence[np.ndarray], got: Sequence[np.ndarray], s: Sample) -> None:
    for want, have in zip(expected, got, strict=True):
        assert want.shape == have.shape, f"shape {have.shape}, NumPy gives {want.shape}"


def _constructor_samples(rng: np.random.Generator) -> list[Sample]:
    out = [sample(shape=(2, 3), label="shape tuple"), sample(shape=4, label="int shape"),
           sample(shape=(), label="0-d"), sample(shape=(0, 2), tags=["empty"], label="empty")]
    out += [sample(shape=(2,), dtype=d, label=d) for d in ALL_DTYPES]
    out.append(sample(shape=(-1, 2), tags=["error", "build-error"], label="negative size"))
    return out


def _full_samples(rng: np.random.Generator) -> list[Sample]:
    out = [sample(shape=(2, 3), fill_value=v, label=f"fill {v!r}") for v in (1.5, 7, True, 2 - 1j)]
    out += [sample(shape=(2,), fill_value=3, dtype=d, label=d) for d in ("int8", "float32", "complex128")]
    out.append(sample(np.array([1.0, 2.0, 3.0]), shape=(2, 3), label="array fill value"))
    return out


def _full(*value: Any, shape: Any, **kw: Any) -> Any:
    return ac.full(shape, value[0] if value else kw.pop("fill_value"), **kw)


def _full_np(*value: Any, shape: Any, **kw: Any) -> Any:
    return np.full(shape, value[0] if value else kw.pop("fill_value"), **kw)


def _symbolic_shape_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(np.array(3), np.array(2), label="symbolic sizes"),
            sample(np.array(0), np.array(4), tags=["empty"], label="empty")]


def _like_layouts() -> Any:
    return L(((3, 4), {}), ((3, 4), {"dtype": "int16"}), ((2, 3), {"shape": (4,)}), ((), {}), ((0, 2), {}))


def _eye_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(N=3, label="square"), sample(N=3, M=5, k=1, label="wide, k=1"),
            sample(N=4, M=2, k=-2, dtype="int8", label="tall, k=-2"), sample(N=2, k=5, label="k past the end"),
            sample(N=0, tags=["empty"], label="empty")]


def _eye_symbolic(rng: np.random.Generator) -> list[Sample]:
    return [sample(np.array(3), np.array(4), np.array(1)), sample(np.array(2), np.array(2), np.array(-1))]


def _tri_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(N=3), sample(N=3, M=5, k=1), sample(N=4, M=2, k=-1, dtype="int32"), sample(N=0, M=3)]


def _linspace_samples(rng: np.random.Generator) -> list[Sample]:
    out = [sample(start=0, stop=1), sample(start=-2.5, stop=7, num=7), sample(start=3, stop=3, num=4),
           sample(start=1, stop=10, num=5, endpoint=False), sample(start=0, stop=1, num=1),
           sample(start=0, stop=1, num=0), sample(start=0, stop=10, num=4, dtype="int32"),
           sample(start=0, stop=1, num=3, retstep=True), sample(start=0, stop=1, num=1, retstep=True),
           sample(start=0, stop=1, num=-1, tags=["error", "build-error"])]
    return out


def _linspace_arrays(rng: np.random.Generator) -> list[Sample]:
    return [sample(np.array([0.0, 1.0]), np.array([1.0, -3.0]), num=4),
            sample(np.array([0.0, 1.0], "float32"), np.array(2.0, "float32"), num=3, axis=1),
            sample(np.array(1), np.array(4), num=4), sample(np.array(1.0), np.array(3.0), num=5, endpoint=False)]


def _logspace_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(start=0, stop=3, num=4), sample(start=1, stop=2, num=5, base=2.0),
            sample(start=0, stop=2, num=3, dtype="int64"), sample(start=-1, stop=1, num=3, endpoint=False)]


def _meshgrid_samples(rng: np.random.Generator) -> list[Sample]:
    a, b, c = rng.normal(size=3), rng.normal(size=4), rng.normal(size=2)
    return [sample(a, b, label="xy"), sample(a, b, indexing="ij", label="ij"),
            sample(a, b, c, label="three, xy"), sample(a, b, sparse=True, label="sparse"),
            sample(a, static=["none"], label="one"),
            sample(a, b.reshape(2, 2), static=["none", "none"], label="2-d input")]


def _diag_layouts() -> Any:
    return L(((4,), {}), ((4,), {"k": 2}), ((3,), {"k": -1}), ((3, 4), {}), ((3, 4), {"k": 1}),
             ((4, 3), {"k": -2}), ((0,), {}))


def _diagonal_layouts() -> Any:
    return L(((3, 4), {}), ((3, 4), {"offset": 1}), ((4, 3), {"offset": -1}), ((2, 3, 4), {"axis1": 2, "axis2": 0}),
             ((2, 3, 4), {"offset": 2, "axis1": 1, "axis2": 2}), ((3, 3), {"offset": 5}))


def _trace_layouts() -> Any:
    return L(((3, 4), {}), ((3, 4), {"offset": -1}), ((2, 3, 4), {"axis1": 1, "axis2": 2}),
             ((3, 3), {"dtype": "float32"}))


def _alloc_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(np.float32(2.5), np.array(2), np.array(3), label="scalar value"),
            sample(rng.normal(size=3), np.array(2), np.array(3), label="row value"),
            sample(rng.normal(size=(2, 1)), np.array(2), np.array(3), label="column value"),
            sample(rng.normal(size=4), np.array(2), np.array(3), tags=["error"], label="does not broadcast")]


def _alloc_oracle(value: np.ndarray, *dims: np.ndarray) -> np.ndarray:
    return np.broadcast_to(value, tuple(int(d) for d in dims)).copy()


CASES: list[Case] = [
    *(Case(name=name, function=name, build=getattr(ac, name), oracle=getattr(np, name),
           samples=_constructor_samples, differentiable=False, why_not_differentiable=NO_INPUT)
      for name in ("zeros", "ones")),
    Case(name="empty", function="empty", build=ac.empty, oracle=np.empty, samples=_constructor_samples,
         compare=_same_shape_and_dtype, differentiable=False, why_not_differentiable=NO_INPUT),
    Case(name="full", function="full", build=_full, oracle=_full_np, samples=_full_samples),
    Case(name="zeros/symbolic-shape", function="zeros", build=lambda n, m: ac.zeros((n, m)),
         oracle=lambda n, m: np.zeros((int(n), int(m))), samples=_symbolic_shape_samples,
         differentiable=False, why_not_differentiable=CONSTANT_OUTPUT),
    *(Case(name=name, function=name, build=getattr(ac, name), oracle=getattr(np, name), samples=_like_layouts(),
           differentiable=False, why_not_differentiable=CONSTANT_OUTPUT)
      for name in ("zeros_like", "ones_like")),
    Case(name="empty_like", function="empty_like", build=ac.empty_like, oracle=np.empty_like,
         samples=_like_layouts(), compare=_same_shape_and_dtype, differentiable=False,
         why_not_differentiable=CONSTANT_OUTPUT),
    Case(name="full_like", function="full_like", build=lambda x, **kw: ac.full_like(x, 2.5, **kw),
         oracle=lambda x, **kw: np.full_like(x, 2.5, **kw), samples=_like_layouts(), differentiable=False,
         why_not_differentiable=CONSTANT_OUTPUT),
    Case(name="fill", function="fill", build=ac.fill, oracle=lambda m, v: np.broadcast_to(v, np.broadcast_shapes(
        m.shape, v.shape)).copy(), samples=L((((3, 4), ()), {}), (((3, 4), (4,)), {}), (((2, 1), (3,)), {})),
         grad_wrt=(1,)),
    Case(name="arange", function="arange", build=lambda **kw: ac.arange(**kw), oracle=lambda **kw: np.arange(**kw),  # type: ignore[call-overload]
         samples=fixed(sample(stop=5), sample(start=2, stop=9, step=3), sample(start=0.5, stop=-3, step=-0.7),
                       sample(start=3, stop=1), sample(start=0, stop=5, dtype="float32"),
                       sample(start=1, stop=2, step=0, tags=["error", "build-error"])),
         differentiable=False, why_not_differentiable=NO_INPUT),
    Case(name="arange/symbolic", function="arange", build=ac.arange,
         oracle=lambda a, b, c: np.arange(a.item(), b.item(), c.item()),
         samples=fixed(sample(np.array(1), np.array(10), np.array(2)), sample(np.array(0.5), np.array(-2.0),
                                                                                np.array(-0.25)),
                       sample(np.array(4), np.array(1), np.array(1)), sample(np.array(9), np.array(-4), np.array(-3)),
                       sample(np.array(-2), np.array(7), np.array(4)), sample(np.array(1), np.array(2),
                                                                             np.array(0), tags=["error"])),
         differentiable=False, why_not_differentiable="integer-valued steps"),
    Case(name="eye", function="eye", build=lambda **kw: ac.eye(**kw), oracle=lambda **kw: np.eye(**kw),
         samples=_eye_samples, differentiable=False, why_not_differentiable=NO_INPUT),
    Case(name="eye/symbolic", function="eye", build=lambda n, m, k: ac.eye(n, m, k),
         oracle=lambda n, m, k: np.eye(int(n), int(m), int(k)), samples=_eye_symbolic,
         differentiable=False, why_not_differentiable=NO_INPUT),
    Case(name="identity", function="identity", build=lambda **kw: ac.identity(**kw),
         oracle=lambda **kw: np.identity(**kw), samples=fixed(sample(n=3), sample(n=2, dtype="int8"), sample(n=0)),
         differentiable=False, why_not_differentiable=NO_INPUT),
    Case(name="identity_like", function="identity_like", build=ac.identity_like,
         oracle=lambda x: np.eye(*x.shape, dtype=x.dtype), samples=L(((3, 4), {}), ((2, 2), {})),
         differentiable=False, why_not_differentiable=CONSTANT_OUTPUT),
    Case(name="tri", function="tri", build=lambda **kw: ac.tri(**kw), oracle=lambda **kw: np.tri(**kw),
         samples=_tri_samples, differentiable=False, why_not_differentiable=NO_INPUT),
    Case(name="tril", function="tril", build=ac.tril, oracle=np.tril,
         samples=L(((4, 4), {}), ((3, 5), {"k": 1}), ((2, 4, 3), {"k": -1}), ((3,), {}))),
    Case(name="triu", function="triu", build=ac.triu, oracle=np.triu,
         samples=L(((4, 4), {}), ((3, 5), {"k": -1}), ((2, 4, 3), {"k": 2}), ((3,), {}))),
    Case(name="linspace", function="linspace", build=lambda **kw: ac.linspace(**kw),
         oracle=lambda **kw: np.linspace(**kw), samples=_linspace_samples, differentiable=False,
         why_not_differentiable=NO_INPUT),
    Case(name="linspace/arrays", function="linspace", build=ac.linspace, oracle=np.linspace,
         samples=_linspace_arrays),
    Case(name="logspace", function="logspace", build=lambda **kw: ac.logspace(**kw),
         oracle=lambda **kw: np.logspace(**kw), samples=_logspace_samples, differentiable=False,
         why_not_differentiable=NO_INPUT),
    Case(name="meshgrid", function="meshgrid", build=ac.meshgrid, oracle=lambda *x, **kw: list(np.meshgrid(*x, **kw)),
         samples=_meshgrid_samples),
    Case(name="diag", function="diag", build=ac.diag, oracle=np.diag, samples=_diag_layouts()),
    Case(name="diagonal", function="diagonal", build=ac.diagonal, oracle=lambda x, **kw: np.diagonal(x, **kw).copy(),
         samples=_diagonal_layouts()),
    Case(name="trace", function="trace", build=ac.trace, oracle=np.trace, samples=_trace_layouts()),
    Case(name="alloc", function="alloc", build=ac.alloc, oracle=_alloc_oracle, samples=_alloc_samples,
         grad_wrt=(0,)),
    Case(name="broadcast_to/symbolic", function="broadcast_to", build=lambda x, n: ac.broadcast_to(x, (n, 3)),
         oracle=lambda x, n: np.broadcast_to(x, (int(n), 3)).copy(),
         samples=fixed(sample(random_array(np.random.default_rng(1), "float32", (3,)), np.array(2)),
                       sample(np.ones((1, 3)), np.array(4)))),
]
