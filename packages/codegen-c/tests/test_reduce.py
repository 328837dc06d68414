"""Reductions over any axes, in every dtype, compared with the reference evaluator."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import compare

import arignote_core as ac
from arignote_core import function, tensor

AXES = [None, 0, 1, 2, (0, 1), (0, 2), (1, 2), (0, 1, 2)]


def values(dtype: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    kind = np.dtype(dtype).kind
    if kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if kind in "iu":
        return rng.integers(0 if kind == "u" else -3, 4, shape).astype(dtype)
    return (rng.standard_normal(shape) * 2).astype(dtype)


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint16", "int32", "int64", "float16", "float32", "float64"])
def test_reductions_over_all_axes(dtype: str, c_mode) -> None:
    rng = np.random.default_rng(0)
    x = tensor(dtype, (None, None, None), "x")
    outputs = []
    for axis in AXES:
        outputs += [x.sum(axis=axis), x.max(axis=axis), x.min(axis=axis), ac.all(x, axis=axis),
                    ac.any(x, axis=axis)]
        if dtype != "bool":
            outputs += [x.prod(axis=axis), x.mean(axis=axis)]
    compare([x], outputs, [values(dtype, (3, 5, 7), rng)], c_mode)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided", "reversed", "broadcast"])
def test_reductions_of_non_contiguous_inputs(layout: str, c_mode) -> None:
    rng = np.random.default_rng(1)
    x = tensor("float64", (None, None), "x")
    base = rng.standard_normal((40, 300))
    value = {"contiguous": base, "transposed": base.T, "strided": base[::3, ::2], "reversed": base[::-1, ::-1],
             "broadcast": np.broadcast_to(base[:1], (40, 300))}[layout]
    outputs = [x.sum(axis=a) for a in (None, 0, 1)] + [x.max(axis=a) for a in (None, 0, 1)]
    compare([x], outputs, [value], c_mode)


def test_nan_propagation_and_float_accuracy(c_mode) -> None:
    rng = np.random.default_rng(2)
    x = tensor("float32", (None,), "x")
    y = tensor("float64", (None, None), "y")
    big = rng.standard_normal(300_001).astype("float32") + 1
    with_nan = rng.standard_normal((5, 9000))
    with_nan[2, 4321] = np.nan
    with_nan[4, 3] = np.nan
    compare([x, y], [x.sum(), x.max(), y.max(axis=1), y.min(axis=0), y.sum(axis=1), y.max()], [big, with_nan],
            c_mode)


def test_empty_reductions(c_mode) -> None:
    x = tensor("float64", (None, None), "x")
    compare([x], [x.sum(axis=1), x.prod(axis=0), x.sum(), ac.all(x, axis=1)], [np.zeros((0, 4))], c_mode)
    f = function([x], x.max(axis=1), mode=c_mode)
    assert f(np.zeros((0, 3))).shape == (0,)
    with pytest.raises(ValueError, match="zero-size array to reduction operation maximum"):
        f(np.zeros((3, 0)))


def test_keepdims_and_dtype_arguments(c_mode) -> None:
    rng = np.random.default_rng(3)
    x = tensor("int8", (None, None), "x")
    outputs = [x.sum(axis=1, keepdims=True), x.sum(dtype="float32"), x.max(axis=0, keepdims=True),
               x.mean(axis=0), x.sum(axis=0, dtype="int8")]
    compare([x], outputs, [rng.integers(-100, 100, (17, 33)).astype("int8")], c_mode)


@pytest.mark.parametrize(("shape", "axis"), list(itertools.product([(1, 1), (1, 50), (50, 1), (0,), (4,)],
                                                                    [None, 0])))
def test_degenerate_shapes(shape: tuple[int, ...], axis, c_mode) -> None:
    x = tensor("float64", (None,) * len(shape), "x")
    compare([x], [x.sum(axis=axis), x.prod(axis=axis)], [np.arange(np.prod(shape), dtype="float64").reshape(shape)],
            c_mode)


def test_parallel_reductions_match(cache_dir) -> None:
    """Two threads over rows, columns and one long run give the same results (within rounding)."""
    from arignote_c import CBackend
    from arignote_core.mode import Mode

    mode = Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "threads": 2, "parallel_threshold": 1000})
    rng = np.random.default_rng(4)
    x = tensor("float64", (None, None), "x")
    v = tensor("float64", (None,), "v")
    compare([x, v], [x.sum(axis=0), x.sum(axis=1), x.max(axis=1), v.sum(), v.max(), ac.exp(x) * 2],
            [rng.standard_normal((300, 500)), rng.standard_normal(100_000)], mode)
