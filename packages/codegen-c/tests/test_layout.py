"""Elementwise kernels over every memory layout: strided, negative strides, broadcast (static and at run time),
empty, 0-d, and arrays large enough for the buffered and threaded paths."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import compare

import arignote_core as ac
from arignote_c import CBackend
from arignote_core import function, tensor
from arignote_core.mode import Mode


def expression(x, y):
    return [ac.exp(-(x**2)) * ac.sin(y) + x * y, ac.maximum(x, y), x // (y + 3), (x > y) & (y > 0)]


LAYOUTS = {
    "contiguous": lambda a: a,
    "transposed": lambda a: a.T.copy().T,
    "every_other": lambda a: np.repeat(a, 2, axis=1)[:, ::2],
    "negative": lambda a: a[::-1, ::-1].copy()[::-1, ::-1],
    "reversed_view": lambda a: np.ascontiguousarray(a[::-1])[::-1],
    "fortran": lambda a: np.asfortranarray(a),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_strided_inputs(layout: str, c_mode) -> None:
    rng = np.random.default_rng(0)
    x, y = tensor("float64", (None, None), "x"), tensor("float64", (None, None), "y")
    a, b = rng.standard_normal((31, 45)), rng.standard_normal((31, 45))
    compare([x, y], expression(x, y), [LAYOUTS[layout](a), b[::-1]], c_mode)


@pytest.mark.parametrize(("xs", "ys"), [((5, 1), (1, 7)), ((1,), (300,)), ((4, 1, 3), (1, 6, 1)), ((1, 1), (1, 1)),
                                        ((0, 3), (1, 3)), ((2, 0), (2, 1)), ((3, 1), (3, 1000))])
def test_runtime_broadcasting(xs, ys, c_mode) -> None:
    """Static shapes are unknown (None), so length-1 dimensions broadcast at run time."""
    rng = np.random.default_rng(1)
    x, y = tensor("float64", (None,) * len(xs), "x"), tensor("float64", (None,) * len(ys), "y")
    compare([x, y], expression(x, y), [rng.standard_normal(xs), rng.standard_normal(ys)], c_mode)


def test_static_broadcasting_and_scalars(c_mode) -> None:
    rng = np.random.default_rng(2)
    x, row, s = tensor("float32", (None, None), "x"), tensor("float32", (1, None), "row"), tensor("float32", (), "s")
    compare([x, row, s], [x * row + s, ac.exp(row - s), s * 2, x - x.max(axis=1, keepdims=True)],
            [rng.standard_normal((64, 9)).astype("float32"), rng.standard_normal((1, 9)).astype("float32"),
             np.float32(0.5)], c_mode)


def test_broadcast_mismatch_names_the_node(c_mode) -> None:
    x, y = tensor("float64", (None,), "x"), tensor("float64", (None,), "y")
    f = function([x, y], x + y, mode=c_mode)
    with pytest.raises(ValueError, match=r"could not be broadcast together with shapes \(3,\) \(4,\)") as info:
        f(np.zeros(3), np.zeros(4))
    message = str(info.value)
    assert "Elemwise{add}" in message and "test_layout.py" in message


def test_large_arrays_with_threads(cache_dir) -> None:
    mode = Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "threads": 2, "parallel_threshold": 1000,
                                              "gil_threshold": 1000})
    rng = np.random.default_rng(3)
    x, y = tensor("float64", (None, None), "x"), tensor("float64", (None, None), "y")
    compare([x, y], expression(x, y), [rng.standard_normal((3, 40_000)), rng.standard_normal((3, 40_000))[:, ::-1]],
            mode)
    compare([x, y], expression(x, y), [rng.standard_normal((2000, 30)), rng.standard_normal((1, 30))], mode)


@pytest.mark.parametrize("dtype", ["int8", "float16", "complex128", "bool"])
def test_small_types_strided(dtype: str, c_mode) -> None:
    rng = np.random.default_rng(4)
    x = tensor(dtype, (None, None), "x")
    value = (rng.standard_normal((40, 60)) * 5).astype(dtype)[::2, ::-3]
    outs = [x * x, x == x] if dtype != "bool" else [x & x, ~x]
    compare([x], outs, [value], c_mode)


def test_unaligned_and_byteswapped_inputs_are_converted(c_mode) -> None:
    x = tensor("float64", (None,), "x")
    f = function([x], x * 2, mode=c_mode)
    raw = np.zeros(8 * 10 + 1, dtype=np.uint8)[1:].view(np.float64)
    raw[:] = np.arange(10)
    assert not raw.flags.aligned
    np.testing.assert_array_equal(f(raw), np.arange(10) * 2.0)
    swapped = np.arange(5, dtype=">f8")
    np.testing.assert_array_equal(f(swapped), np.arange(5) * 2.0)
