"""Shape-making and indexing steps in C: stack (MakeVector), broadcast_to, alloc, sum_to_shape, integer arange,
set/inc_subtensor, integer-array indexing and its set/inc (numpy.add.at), argmax/argmin."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import compare

import arignote_core as ac
from arignote_core import function, iscalar, lscalar, lvector, tensor


def test_shape_making_ops_compile_to_c(c_mode) -> None:
    rng = np.random.default_rng(0)
    x, row = tensor("float32", (None, None), "x"), tensor("float32", (None,), "row")
    n = lscalar("n")
    outputs = [ac.stack([n, n * 2, x.shape[0]]), ac.broadcast_to(row, (n, row.shape[0])), ac.alloc(row, n, 4),
               ac.alloc(1.5, n, 2), ac.sum_to_shape(x, (1, x.shape[1])), ac.sum_to_shape(x, (x.shape[1],)),
               ac.sum_to_shape(x, x.shape)]
    f = compare([x, row, n], outputs, [rng.standard_normal((3, 4)).astype("float32"),
                                      rng.standard_normal(4).astype("float32"), np.int64(5)], c_mode)
    assert not f.executable.info.fallbacks, f.executable.report()
    with pytest.raises(ValueError, match="cannot broadcast an array of shape"):
        function([row, n], ac.broadcast_to(row, (n, 3)), mode=c_mode)(np.zeros(4, "float32"), 2)


def test_set_and_inc_subtensor(c_mode) -> None:
    rng = np.random.default_rng(1)
    x, v, s = tensor("float64", (None, None), "x"), tensor("float64", (None,), "v"), tensor("float64", (), "s")
    i = iscalar("i")
    outputs = [ac.set_subtensor(x[1:3], v), ac.inc_subtensor(x[:, i], s), ac.inc_subtensor(x[::-2, 1:], 1.0),
               ac.set_subtensor(x[i, ::2], 7.0), ac.inc_subtensor(x[1:, :], x[:-1, :])]
    f = compare([x, v, s, i], outputs, [rng.standard_normal((5, 4)), rng.standard_normal(4), np.float64(2.5),
                                        np.int32(2)], c_mode)
    assert not f.executable.info.fallbacks


def test_integer_array_indexing(c_mode) -> None:
    rng = np.random.default_rng(2)
    x = tensor("float64", (None, None, None), "x")
    i, j = lvector("i"), lvector("j")
    m = tensor("int32", (None, None), "m")
    outputs = [x[i], x[i, j], x[m], x[i, j, i], x[m, i[:1]]]
    f = compare([x, i, j, m], outputs, [rng.standard_normal((5, 4, 4)), np.array([0, -1, 3, 3, 2]),
                                        np.array([1, 0, 2, 3, -4]), np.array([[0, 4], [2, -5]], "int32")], c_mode)
    assert not f.executable.info.fallbacks
    with pytest.raises(IndexError, match="index 9 is out of bounds for axis 0 with size 5"):
        f(np.zeros((5, 4, 3)), np.array([9]), np.array([0]), np.zeros((1, 1), "int32"))


@pytest.mark.parametrize("shape", [(3, 0), (3, 0, 2), (3, 2, 0)])
def test_indices_are_checked_when_the_rows_they_pick_are_empty(shape, c_mode) -> None:
    """NumPy checks every index even where the selected rows hold no element."""
    x, i = tensor("float64", (None,) * len(shape), "x"), lvector("i")
    rows = tensor("float64", (None,) * len(shape), "rows")
    outputs = [x[i], ac.inc_subtensor(x[i], rows), ac.set_subtensor(x[i], rows)]
    for k, out in enumerate(outputs):
        f = function([x, i, rows], out, mode=c_mode, on_unused_input="ignore")
        assert not f.executable.info.fallbacks
        empty = np.zeros(shape)
        assert f(empty, np.array([2, -3]), np.zeros((2, *shape[1:]))).shape == ((2, *shape[1:]) if k == 0 else shape)
        with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 3"):
            f(empty, np.array([0, 5]), np.zeros((2, *shape[1:])))


def test_set_and_inc_with_integer_arrays(c_mode) -> None:
    """Repeated indices accumulate for inc (numpy.add.at) and the last write wins for set."""
    rng = np.random.default_rng(3)
    x, rows = tensor("float32", (None, None), "x"), tensor("float32", (None, None), "rows")
    i, j = lvector("i"), lvector("j")
    outputs = [ac.inc_subtensor(x[i], rows), ac.set_subtensor(x[i], rows), ac.inc_subtensor(x[i, j], 1.0),
               ac.inc_subtensor(x[ac.arange(i.shape[0]), j], 2.0)]
    f = compare([x, rows, i, j], outputs, [rng.standard_normal((5, 3)).astype("float32"),
                                           rng.standard_normal((5, 3)).astype("float32"),
                                           np.array([1, 1, 3, -1, 0]), np.array([2, 2, 0, 1, 1])], c_mode)
    assert not f.executable.info.fallbacks, f.executable.report()


@pytest.mark.parametrize("dtype", ["uint64", "uint8", "int32"])
def test_index_arrays_of_every_integer_dtype(dtype, c_mode) -> None:
    """NumPy takes unsigned 64-bit indices; those beyond int64 are out of bounds, not wrapped around."""
    x, v = tensor("float64", (None, None), "x"), tensor("float64", (None,), "v")
    i = tensor(dtype, (None,), "i")
    outputs = [x[i], ac.inc_subtensor(x[i], v), ac.set_subtensor(x[i, i], 1.0)]
    f = compare([x, v, i], outputs, [np.arange(12.0).reshape(4, 3), np.ones(3), np.array([2, 0, 2], dtype)],
                c_mode)
    assert not f.executable.info.fallbacks
    if dtype == "uint64":
        with pytest.raises(IndexError, match="index 18446744073709551615 is out of bounds for axis 0 with size 4"):
            f(np.zeros((4, 3)), np.ones(3), np.array([1, 2**64 - 1], dtype))


@pytest.mark.parametrize("args", [(-2**63, 2**63 - 1, 1), (0, 2**63 - 1, 2**62), (2**63 - 1, -2**63, -2**62)])
def test_integer_arange_at_the_ends_of_int64(args, c_mode) -> None:
    """The length of arange(-2**63, 2**63 - 1) does not fit: an error as in NumPy, not an empty array."""
    a, b, s = lscalar("a"), lscalar("b"), lscalar("s")
    ref = function([a, b, s], ac.arange(a, b, s))
    f = function([a, b, s], ac.arange(a, b, s), mode=c_mode)
    try:
        want = ref(*args)
    except ValueError as exc:
        with pytest.raises(ValueError, match=str(exc).splitlines()[0]):
            f(*args)
    else:
        np.testing.assert_array_equal(f(*args), want)


@pytest.mark.parametrize("args", [(0, 5, 1), (9, -4, -3), (-2, 7, 4), (5, 5, 1), (4, 1, 1), (10, 0, -3)])
def test_integer_arange_runs_in_c(args, c_mode) -> None:
    start, stop, step = lscalar("start"), lscalar("stop"), lscalar("step")
    f = compare([start, stop, step], [ac.arange(start, stop, step)], [np.int64(a) for a in args], c_mode)
    assert not f.executable.info.fallbacks, f.executable.report()
    with pytest.raises(ValueError, match="step must not be zero"):
        f(1, 2, 0)


@pytest.mark.parametrize("dtype", ["float64", "float16", "int16", "uint8", "bool"])
def test_argmax_argmin(dtype: str, c_mode) -> None:
    rng = np.random.default_rng(4)
    x = tensor(dtype, (None, None, None), "x")
    outputs = [ac.argmax(x, axis=a) for a in (None, 0, 1, 2)] + [ac.argmin(x, axis=a) for a in (None, 1)]
    value = (rng.standard_normal((3, 5, 4)) * 3).astype(dtype)
    if dtype.startswith("float"):
        value[1, 2, 3] = np.nan
        value[2, 0, 0] = np.nan
    f = compare([x], outputs, [value[:, ::-1]], c_mode)
    assert not f.executable.info.fallbacks
    with pytest.raises(ValueError, match="attempt to get argmax of an empty sequence"):
        function([x], ac.argmax(x, axis=1), mode=c_mode)(np.zeros((2, 0, 3), dtype))
