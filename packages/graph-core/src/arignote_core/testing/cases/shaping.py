"""Conformance cases of shape and axis functions, joins and splits, padding, and Theano's shape helpers."""

from __future__ import annotations

from typing import Any

import numpy as np

import arignote_core as ac
from arignote_core.tensors import broadcast as broadcast_ops

from ..case import Case, Sample, sample
from ..generators import SampleFn, fixed, layouts, random_array

L = layouts
NUMERIC_FOR_SUMS = ("float64", "float32", "int64", "int8", "uint16", "complex64")


def _case(name: str, samples: SampleFn, build: Any = None, oracle: Any = None, label: str = "",
          **options: Any) -> Case:
    fn = build if build is not None else getattr(ac, name)
    ref = oracle if oracle is not None else getattr(np, name)
    return Case(name=f"{name}{'/' + label if label else ''}", function=name, build=fn, oracle=ref, samples=samples,
                **options)


def _dimshuffle_oracle(x: np.ndarray, pattern: tuple[Any, ...]) -> np.ndarray:
    kept = [p for p in pattern if p != "x"]
    dropped = tuple(i for i in range(x.ndim) if i not in kept)
    y = np.squeeze(x, axis=dropped) if dropped else x
    order = sorted(kept)
    y = np.transpose(y, [order.index(p) for p in kept])
    return y.reshape([1 if p == "x" else y.shape[kept.index(p)] for p in pattern])


def _split_samples(rng: np.random.Generator) -> list[Sample]:
    x = random_array(rng, "float64", (6, 4))
    return [sample(x, indices_or_sections=3, label="3 sections"),
            sample(x, static=["none"], indices_or_sections=2, axis=0, label="2 sections, run-time shape"),
            sample(x, indices_or_sections=[1, 3], axis=1, label="indices"),
            sample(x, indices_or_sections=[-2, 10], label="negative and large indices"),
            sample(x, indices_or_sections=4, tags=["error", "build-error"], label="unequal division"),
            sample(x, static=["none"], indices_or_sections=4, tags=["error"], label="unequal division at run time"),
            sample(random_array(rng, "int8", (0, 3)), indices_or_sections=2, tags=["empty"], label="empty")]


def _join_samples(n: int, shapes: list[tuple[int, ...]], **kwargs: Any) -> SampleFn:
    def make(rng: np.random.Generator) -> list[Sample]:
        out = []
        for dtypes in [("float64",) * n, ("int8", "uint8", "float32")[:n], ("bool", "int16", "complex64")[:n]]:
            values = [random_array(rng, d, s) for d, s in zip(dtypes, shapes, strict=False)]
            out.append(sample(*values, label="/".join(dtypes), **kwargs))
            out.append(sample(*values, static=["none"] * n, label="/".join(dtypes) + " run-time", **kwargs))
        return out

    return make


def _list_build(name: str) -> Any:
    fn = getattr(ac, name)
    return lambda *xs, **kw: fn(list(xs), **kw)


def _list_oracle(name: str) -> Any:
    fn = getattr(np, name)
    return lambda *xs, **kw: fn(list(xs), **kw)


def _pad_samples(rng: np.random.Generator) -> list[Sample]:
    x = random_array(rng, "float64", (3, 4))
    out = []
    for mode in ("constant", "edge", "reflect", "symmetric", "wrap", "maximum", "minimum", "mean"):
        out.append(sample(x, pad_width=((1, 2), (3, 0)), mode=mode, label=mode))
        out.append(sample(x, static=["none"], pad_width=2, mode=mode, label=f"{mode}, run-time shape"))
        out.append(sample(random_array(rng, "int16", (5,)), pad_width=(7, 9), mode=mode, label=f"{mode}, wide"))
    out.append(sample(x, pad_width=1, mode="constant", constant_values=((1.5, 2), (3, 4)), label="values"))
    out.append(sample(np.zeros((0, 2)), pad_width=1, mode="edge", tags=["error"], label="edge of empty"))
    out.append(sample(x, pad_width=-1, tags=["error", "build-error"], label="negative width"))
    return out


def _specify_samples(rng: np.random.Generator) -> list[Sample]:
    x = random_array(rng, "float64", (3, 4))
    return [sample(x, static=["none"], shape=(3, None), label="partial"),
            sample(x, static=["none"], shape=(3, 4), label="full"),
            sample(x, static=["none"], shape=(2, 4), tags=["error"], label="wrong at run time"),
            sample(x, shape=(2, 4), tags=["error", "build-error"], label="wrong at build time")]


def _identity_oracle(x: np.ndarray, shape: Any) -> np.ndarray:
    if any(s is not None and s != d for s, d in zip(shape, x.shape, strict=True)):
        raise ValueError("shape mismatch")
    return x


def _squeeze_samples(rng: np.random.Generator) -> list[Sample]:
    x = random_array(rng, "float64", (3, 1, 4, 1))
    return [sample(x, label="all static ones"), sample(x, axis=1, label="axis 1"),
            sample(x, static=["none"], axis=(1, 3), label="axes checked at run time"),
            sample(x, axis=0, tags=["error", "build-error"], label="axis of size 3"),
            sample(x, static=["none"], axis=0, tags=["error"], label="axis of size 3 at run time"),
            sample(np.float32(2.5), label="0-d")]


def _repeat_samples(rng: np.random.Generator) -> list[Sample]:
    x = random_array(rng, "float64", (3, 4))
    return [sample(x, repeats=2, label="flattened"), sample(x, repeats=3, axis=1, label="axis 1"),
            sample(x, np.array([1, 0, 2]), static=["none", "full"], axis=0, label="counts per element"),
            sample(x, np.array([2]), axis=0, label="one count"),
            sample(x, np.array([1, 2]), axis=0, tags=["error"], label="wrong number of counts"),
            sample(x, repeats=-1, axis=0, tags=["error", "build-error"], label="negative"),
            sample(random_array(rng, "int8", (0,)), repeats=2, tags=["empty"], label="empty")]


def _sum_to_shape_oracle(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum the leading axes and the axes where ``shape`` is 1, in the input's dtype."""
    lead = x.ndim - len(shape)
    if lead < 0 or any(want not in (1, have) for have, want in zip(x.shape[lead:], shape, strict=True)):
        raise ValueError(f"cannot sum {x.shape} to {shape}")
    axes = tuple(range(lead)) + tuple(lead + i for i, want in enumerate(shape) if want == 1)
    return np.sum(x, axis=axes, dtype=x.dtype).reshape(shape)


def _repeat(x: Any, *counts: Any, **kw: Any) -> Any:
    return ac.repeat(x, counts[0] if counts else kw.pop("repeats"), **kw)


def _repeat_np(x: Any, *counts: Any, **kw: Any) -> Any:
    return np.repeat(x, counts[0] if counts else kw.pop("repeats"), **kw)


CASES: list[Case] = [
    _case("reshape", L(((3, 4), {"shape": (2, 6)}), ((3, 4), {"shape": (-1,)}), ((2, 3, 4), {"shape": (4, -1, 2)}),
                       ((0, 3), {"shape": (3, 0)}), ((6,), {"shape": (2, 4)}), ((1,), {"shape": ()})),
          build=lambda x, shape: ac.reshape(x, shape), oracle=lambda x, shape: np.reshape(x, shape)),
    _case("transpose", L(((2, 3, 4), {}), ((2, 3, 4), {"axes": (1, 0, 2)}), ((2, 3), {"axes": (-1, 0)}), ((), {})),
          build=lambda x, **kw: ac.transpose(x, **kw)),
    _case("permute_dims", L(((2, 3, 4), {"axes": (2, 0, 1)}), ((5,), {}))),
    _case("matrix_transpose", L(((2, 3, 4), {}), ((3, 5), {}), ((4,), {}))),
    _case("swapaxes", L(((2, 3, 4), {"axis1": 0, "axis2": 2}), ((2, 3), {"axis1": -1, "axis2": 0}))),
    _case("moveaxis", L(((2, 3, 4), {"source": 0, "destination": -1}),
                        ((2, 3, 4, 5), {"source": (0, 1), "destination": (3, 0)}))),
    _case("expand_dims", L(((3, 4), {"axis": 0}), ((3, 4), {"axis": (0, 3)}), ((3,), {"axis": -1}),
                           ((), {"axis": 0}))),
    _case("squeeze", _squeeze_samples),
    _case("atleast_1d", L(((), {}), ((3,), {}), ((2, 3), {}))),
    _case("atleast_2d", L(((), {}), ((3,), {}), ((2, 3, 4), {}))),
    _case("atleast_3d", L(((), {}), ((3,), {}), ((2, 3), {}), ((2, 3, 4, 1), {}))),
    _case("atleast_2d", L((((3,), (2, 2)), {})), build=lambda *xs: ac.atleast_2d(*xs),
          oracle=lambda *xs: list(np.atleast_2d(*xs)), label="several"),
    _case("ravel", L(((3, 4), {}), ((), {}), ((0, 2), {}))),
    _case("flatten", L(((2, 3, 4), {}), ((2, 3, 4), {"ndim": 2}), ((2, 3, 4), {"ndim": 3}), ((5,), {})),
          oracle=lambda x, ndim=1: x.reshape(x.shape[:ndim - 1] + (-1,))),
    _case("shape_padleft", L(((3, 4), {}), ((3,), {"n_ones": 2})),
          oracle=lambda x, n_ones=1: x.reshape((1,) * n_ones + x.shape)),
    _case("shape_padright", L(((3, 4), {}), ((3,), {"n_ones": 2})),
          oracle=lambda x, n_ones=1: x.reshape(x.shape + (1,) * n_ones)),
    _case("shape_padaxis", L(((3, 4), {"axis": 1}), ((3,), {"axis": -1})), oracle=np.expand_dims),
    _case("dimshuffle", L(((3, 1, 4), {"pattern": (2, "x", 0)}), ((3, 4), {"pattern": ("x", 1, "x", 0)}),
                          ((1,), {"pattern": ()})),
          build=lambda x, pattern: ac.dimshuffle(x, pattern), oracle=_dimshuffle_oracle),
    _case("flip", L(((3, 4), {}), ((2, 3, 4), {"axis": 1}), ((2, 3, 4), {"axis": (0, 2)}), ((0,), {}))),
    _case("fliplr", L(((3, 4), {}), ((2, 3, 4), {}))),
    _case("flipud", L(((3, 4), {}), ((5,), {}))),
    _case("rot90", L(((3, 4), {}), ((3, 4), {"k": 2}), ((3, 4), {"k": -1}), ((2, 3, 4), {"k": 3, "axes": (2, 0)}),
                     ((3, 4), {"k": 4}))),
    _case("broadcast_to", L(((3,), {"shape": (2, 3)}), ((4, 1), {"shape": (2, 4, 5)}), ((), {"shape": (0,)}))),
    _case("broadcast_to", fixed(sample(np.ones(3), shape=(2, 4), tags=["error", "build-error"]),
                                sample(np.ones(3), static=["none"], shape=(2, 4), tags=["error"])), label="errors"),
    _case("broadcast_to", L(((3,), {"shape": (2, 3)}), ((4, 1), {"shape": (2, 4, 5)}), ((), {"shape": (0,)}),
                            primary=("float64", "int8")),
          build=lambda x, shape: broadcast_ops.broadcast_to(x, shape), label="BroadcastTo op"),
    _case("sum_to_shape", L(((2, 3), {"shape": (3,)}), ((2, 4, 5), {"shape": (4, 1)}), ((2, 3), {"shape": (1, 1)}),
                            ((3,), {"shape": (3,)}), ((0, 3), {"shape": (3,)}), dtypes=NUMERIC_FOR_SUMS),
          build=lambda x, shape: broadcast_ops.sum_to_shape(x, shape), oracle=_sum_to_shape_oracle),
    _case("sum_to_shape", fixed(sample(np.ones((2, 3)), shape=(2,), tags=["error", "build-error"]),
                                sample(np.ones((2, 3)), static=["none"], shape=(2,), tags=["error"])),
          build=lambda x, shape: broadcast_ops.sum_to_shape(x, shape), oracle=_sum_to_shape_oracle, label="errors"),
    _case("broadcast_arrays", L((((3, 1), (4,)), {}), (((2, 1, 3), (), (5, 1)), {}))),
    _case("roll", L(((3, 4), {"shift": 2}), ((3, 4), {"shift": -1, "axis": 1}),
                    ((3, 4), {"shift": (1, 5), "axis": (0, 1)}), ((0, 3), {"shift": 1, "axis": 0}))),
    _case("roll", fixed(sample(np.arange(10.0), np.array(3), static=["none", "full"]),
                        sample(np.arange(10.0), np.array(-13))),
          build=lambda x, s: ac.roll(x, s), oracle=lambda x, s: np.roll(x, int(s)), label="symbolic shift"),
    _case("tile", L(((3,), {"reps": 2}), ((2, 3), {"reps": (2, 1, 2)}), ((2, 3, 4), {"reps": (3, 1)}),
                    ((2,), {"reps": 0}))),
    _case("repeat", _repeat_samples, build=_repeat, oracle=_repeat_np),
    _case("specify_shape", _specify_samples, oracle=_identity_oracle),
    _case("astype", L(((3, 4), {"dtype": "int8"}), ((3, 4), {"dtype": "complex64"}), ((3,), {"dtype": bool})),
          build=lambda x, dtype: ac.astype(x, dtype), oracle=lambda x, dtype: np.astype(x, dtype)),
    _case("copy", L(((3, 4), {}), ((), {}), ((0, 2), {}))),
    _case("asarray", L(((3, 4), {}), ((3, 4), {"dtype": "float32"}))),
    _case("concatenate", _join_samples(3, [(2, 3), (1, 3), (4, 3)]), build=_list_build("concatenate"),
          oracle=_list_oracle("concatenate")),
    _case("concatenate", _join_samples(2, [(2, 3), (2, 5)], axis=-1), build=_list_build("concatenate"),
          oracle=_list_oracle("concatenate"), label="last axis"),
    _case("concatenate", _join_samples(2, [(2, 3), (5,)], axis=None), build=_list_build("concatenate"),
          oracle=_list_oracle("concatenate"), label="flattened"),
    _case("concatenate", fixed(sample(np.ones((2, 3)), np.ones((2, 4)), tags=["error", "build-error"]),
                               sample(np.ones((2, 3)), np.ones((2, 4)), static=["none"] * 2, tags=["error"]),
                               sample(np.ones((2, 3)), np.ones(3), tags=["error", "build-error"])),
          build=_list_build("concatenate"), oracle=_list_oracle("concatenate"), label="errors"),
    _case("join", _join_samples(2, [(2, 3), (2, 1)]), build=lambda *xs: ac.join(1, *xs),
          oracle=lambda *xs: np.concatenate(xs, axis=1)),
    _case("stack", _join_samples(3, [(2, 3)] * 3), build=_list_build("stack"), oracle=_list_oracle("stack")),
    _case("stack", _join_samples(2, [(2, 3)] * 2, axis=-1), build=_list_build("stack"),
          oracle=_list_oracle("stack"), label="last axis"),
    _case("stack", _join_samples(3, [()] * 3), build=_list_build("stack"), oracle=_list_oracle("stack"),
          label="scalars"),
    _case("hstack", _join_samples(2, [(2, 3), (2, 1)]), build=_list_build("hstack"), oracle=_list_oracle("hstack")),
    _case("hstack", _join_samples(2, [(3,), ()]), build=_list_build("hstack"), oracle=_list_oracle("hstack"),
          label="vectors"),
    _case("vstack", _join_samples(3, [(3,), (2, 3), (3,)]), build=_list_build("vstack"),
          oracle=_list_oracle("vstack")),
    _case("dstack", _join_samples(2, [(3,), (1, 3)]), build=_list_build("dstack"), oracle=_list_oracle("dstack")),
    _case("column_stack", _join_samples(3, [(3,), (3, 2), (3,)]), build=_list_build("column_stack"),
          oracle=_list_oracle("column_stack")),
    _case("split", _split_samples),
    _case("unstack", L(((3, 4), {}), ((3, 4), {"axis": 1}), ((2, 0), {"axis": 0}), runtime=False)),
    _case("pad", _pad_samples),
]
