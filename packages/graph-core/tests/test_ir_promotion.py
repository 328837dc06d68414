"""Dtype promotion equals NumPy 2's for every pair of dtypes and for weak Python scalars."""

import itertools

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.dtypes import ALL_DTYPES

BINARY = ["add", "subtract", "multiply", "true_divide", "floor_divide", "maximum", "less", "power"]
PY_SCALARS = [True, 3, 2.5, 1 + 2j]


def _sample(dtype, shape=(3,)):
    rng = np.random.default_rng(0)
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if np.dtype(dtype).kind in "iu":
        return rng.integers(1, 5, shape).astype(dtype)
    if np.dtype(dtype).kind == "c":
        return (rng.uniform(1, 2, shape) + 1j * rng.uniform(1, 2, shape)).astype(dtype)
    return rng.uniform(1, 2, shape).astype(dtype)


def _numpy_outcome(fn, *args):
    try:
        with np.errstate(all="ignore"):
            return fn(*args)
    except (TypeError, np._core._exceptions._UFuncNoLoopError, OverflowError) as exc:  # noqa: SLF001
        return exc


@pytest.mark.parametrize("name", BINARY)
def test_every_dtype_pair_promotes_like_numpy(name):
    ufunc = getattr(np, name)
    for a, b in itertools.product(ALL_DTYPES, repeat=2):
        x, y = ac.tensor(a, (None,)), ac.tensor(b, (None,))
        expected = _numpy_outcome(ufunc, _sample(a), _sample(b))
        if isinstance(expected, Exception):
            with pytest.raises(TypeError):
                getattr(ac, name)(x, y)
            continue
        z = getattr(ac, name)(x, y)
        assert z.dtype == expected.dtype.name, (name, a, b)
        got = ac.function([x, y], z)(_sample(a), _sample(b))
        assert got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-3 if "float16" in (a, b) else 1e-6)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("scalar", PY_SCALARS, ids=type)
@pytest.mark.parametrize("scalar_first", [False, True])
def test_python_scalars_are_weak(name, scalar, scalar_first):
    ufunc = getattr(np, name)
    for dtype in ALL_DTYPES:
        x = ac.tensor(dtype, (None,))
        args = (scalar, _sample(dtype)) if scalar_first else (_sample(dtype), scalar)
        expected = _numpy_outcome(ufunc, *args)
        sym = (scalar, x) if scalar_first else (x, scalar)
        if isinstance(expected, Exception):
            with pytest.raises((TypeError, OverflowError)):
                getattr(ac, name)(*sym)
            continue
        z = getattr(ac, name)(*sym)
        assert z.dtype == expected.dtype.name, (name, dtype, scalar)
        got = ac.function([x], z)(_sample(dtype))
        assert got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-3 if dtype == "float16" else 1e-6)


def test_python_integer_out_of_range_is_refused_like_numpy():
    with pytest.raises(OverflowError, match="1000 out of bounds for int8"):
        ac.bvector("x") + 1000
    with pytest.raises(OverflowError):
        np.zeros(2, np.int8) + 1000


def test_unary_float_functions_promote_like_numpy_exp():
    for dtype in ALL_DTYPES:
        if dtype == "bool":
            continue
        x = ac.tensor(dtype, (None,))
        for name in ["exp", "sqrt", "sin", "log1p"]:
            expected = _numpy_outcome(getattr(np, name), _sample(dtype))
            assert getattr(ac, name)(x).dtype == expected.dtype.name, (name, dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_reductions_take_numpy_result_dtypes(dtype):
    x = ac.tensor(dtype, (None, None))
    value = _sample(dtype, (2, 3))
    for name in ["sum", "prod", "max", "min", "mean", "all", "any"]:
        expected = getattr(np, name)(value, axis=0)
        out = getattr(ac, name)(x, axis=0)
        assert out.dtype == expected.dtype.name, (name, dtype)
        np.testing.assert_allclose(ac.function([x], out)(value), expected, rtol=1e-3)


@pytest.mark.parametrize("name", ["less", "less_equal", "greater", "greater_equal", "equal", "not_equal"])
@pytest.mark.parametrize("number", [-129, -1, 256, 2**63, 2**70, -2**70])
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int64", "uint64"])
def test_comparisons_take_any_python_integer_like_numpy(name, number, dtype):
    """NumPy compares an integer array with a Python int beyond its dtype's range (the answer holds for the whole
    range) where arithmetic with it overflows."""
    x = ac.tensor(dtype, (None,), "x")
    info = np.iinfo(dtype)
    value = np.array([info.min, 0, 1, info.max], dtype=dtype)
    for args, values in (((x, number), (value, number)), ((number, x), (number, value))):
        got = ac.function([x], getattr(ac, name)(*args))(value)
        want = getattr(np, name)(*values)
        assert got.dtype == want.dtype and np.array_equal(got, want), (args, got, want)


def test_the_power_operator_squares_a_bool_array_to_int8_as_numpy_does():
    b = ac.tensor("bool", (None,), "b")
    value = np.array([True, False])
    for build, want in ((lambda v: v ** 2, value ** 2), (lambda v: v ** 3, value ** 3),
                        (lambda v: ac.power(v, 2), np.power(value, 2))):
        got = ac.function([b], build(b))(value)
        assert got.dtype == want.dtype and np.array_equal(got, want)


def test_nan_constants_are_one_constant():
    a, b = ac.constant(float("nan")), ac.constant(np.array([np.nan, 1.0]))
    assert a.equals(ac.constant(float("nan"))) and b.equals(ac.constant(np.array([-np.nan, 1.0])))
    assert not b.equals(ac.constant(np.array([np.nan, 2.0])))
