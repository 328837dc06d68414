"""Tensor methods and attributes behave like ndarray's; the functional update form ``x[idx].set/inc``."""

import numpy as np
import pytest

import arignote_core as ac

VALUE = np.array([[3.0, -1.5, 2.0, 0.0], [1.0, 4.0, -2.0, 2.5], [0.5, 0.0, -3.0, 1.0]])

# method call on a symbolic x, the same call on an ndarray
METHODS = {
    "sum": (lambda x: x.sum(axis=0), lambda v: v.sum(axis=0)),
    "mean": (lambda x: x.mean(keepdims=True), lambda v: v.mean(keepdims=True)),
    "max": (lambda x: x.max(axis=1), lambda v: v.max(axis=1)),
    "min": (lambda x: x.min(), lambda v: v.min()),
    "prod": (lambda x: x.prod(axis=1), lambda v: v.prod(axis=1)),
    "argmax": (lambda x: x.argmax(axis=1), lambda v: v.argmax(axis=1)),
    "argmin": (lambda x: x.argmin(), lambda v: v.argmin()),
    "reshape": (lambda x: x.reshape(4, 3), lambda v: v.reshape(4, 3)),
    "reshape tuple": (lambda x: x.reshape((2, -1)), lambda v: v.reshape((2, -1))),
    "transpose": (lambda x: x.transpose(), lambda v: v.transpose()),
    "transpose axes": (lambda x: x.transpose(1, 0), lambda v: v.transpose(1, 0)),
    "T": (lambda x: x.T, lambda v: v.T),
    "astype": (lambda x: x.astype("int32"), lambda v: v.astype("int32")),
    "dot": (lambda x: x.dot(x.T), lambda v: v.dot(v.T)),
    "flatten": (lambda x: x.flatten(), lambda v: v.flatten()),
    "ravel": (lambda x: x.ravel(), lambda v: v.ravel()),
    "squeeze": (lambda x: x.reshape((1, 12, 1)).squeeze(), lambda v: v.reshape((1, 12, 1)).squeeze()),
    "clip": (lambda x: x.clip(-1, 1), lambda v: v.clip(-1, 1)),
    "round": (lambda x: (x * 1.2345).round(2), lambda v: (v * 1.2345).round(2)),
    "cumsum": (lambda x: x.cumsum(axis=1), lambda v: v.cumsum(axis=1)),
    "cumprod": (lambda x: x.cumprod(), lambda v: v.cumprod()),
    "sort": (lambda x: x.sort(), lambda v: np.sort(v)),
    "argsort": (lambda x: x.argsort(axis=0), lambda v: v.argsort(axis=0)),
    "repeat": (lambda x: x.repeat(2, axis=0), lambda v: v.repeat(2, axis=0)),
    "take": (lambda x: x.take([0, 5, 11]), lambda v: v.take([0, 5, 11])),
    "conj": (lambda x: (x * 1j).conj(), lambda v: (v * 1j).conj()),
    "real": (lambda x: (x + 2j).real, lambda v: (v + 2j).real),
    "imag": (lambda x: (x + 2j * x).imag, lambda v: (v + 2j * v).imag),
    "std": (lambda x: x.std(axis=0, ddof=1), lambda v: v.std(axis=0, ddof=1)),
    "var": (lambda x: x.var(), lambda v: v.var()),
    "ptp": (lambda x: x.ptp(axis=1), lambda v: np.ptp(v, axis=1)),
    "all": (lambda x: x.all(axis=0), lambda v: v.all(axis=0)),
    "any": (lambda x: x.any(), lambda v: v.any()),
    "trace": (lambda x: x.trace(), lambda v: v.trace()),
    "diagonal": (lambda x: x.diagonal(1), lambda v: v.diagonal(1)),
    "swapaxes": (lambda x: x.swapaxes(0, 1), lambda v: v.swapaxes(0, 1)),
    "copy": (lambda x: x.copy(), lambda v: v.copy()),
    "size": (lambda x: x.size, lambda v: np.int64(v.size)),
    "shape": (lambda x: x.shape, lambda v: np.array(v.shape)),
    "dimshuffle": (lambda x: x.dimshuffle(1, "x", 0), lambda v: v.T[:, None, :]),
}


@pytest.mark.parametrize("name", METHODS)
def test_method_matches_ndarray(name):
    build, reference = METHODS[name]
    x = ac.dmatrix("x")
    out = build(x)
    got = ac.function([x], out)(VALUE)
    want = np.asarray(reference(VALUE))
    np.testing.assert_allclose(got, want)
    assert got.dtype == want.dtype


def test_nonzero_method():
    x = ac.dmatrix("x")
    rows, cols = ac.function([x], x.nonzero())(VALUE)
    want_rows, want_cols = VALUE.nonzero()
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_array_equal(cols, want_cols)


def test_static_attributes():
    x = ac.tensor("float32", (3, None))
    assert x.ndim == 2 and x.dtype == "float32" and len(x) == 3
    assert x.T.type.shape == (None, 3)


def test_functional_updates():
    x = ac.dmatrix("x")
    i = ac.lvector("i")
    set_rows = x[1:, ::2].set(0.0)
    inc_repeated = x[i].inc(1.0)
    f = ac.function([x, i], [set_rows, inc_repeated])
    value = VALUE.copy()
    got_set, got_inc = f(value, np.array([0, 0, 2]))
    expected_set = VALUE.copy()
    expected_set[1:, ::2] = 0.0
    expected_inc = VALUE.copy()
    np.add.at(expected_inc, np.array([0, 0, 2]), 1.0)
    np.testing.assert_array_equal(got_set, expected_set)
    np.testing.assert_array_equal(got_inc, expected_inc)
    np.testing.assert_array_equal(value, VALUE)
    with pytest.raises(TypeError):
        x.set(1.0)
