"""Softmax, log-softmax and log-sum-exp: SciPy's values on many axes, dtypes and shapes (empty, strided),
stable where the naive formulas overflow, with shapes inferred symbolically and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

import arignote_core as ac
from arignote_core.evaluator import ReferenceProgram
from arignote_core.tensors.special import LogSoftmax, LogSumExp, Softmax, log_softmax, logsumexp, softmax

RNG = np.random.default_rng(11)
FUNCTIONS = [(softmax, scipy.special.softmax), (log_softmax, scipy.special.log_softmax)]


def run(output, inputs, values):
    return ReferenceProgram(ac.FunctionGraph(inputs, [output]))(values)[0]


@pytest.mark.parametrize("ours, theirs", FUNCTIONS)
@pytest.mark.parametrize("axis", [-1, 0, 1, (0, 2), None])
@pytest.mark.parametrize("shape", [(2, 3, 4), (1, 5, 2), (0, 3, 2)])
def test_softmax_and_log_softmax_match_scipy(ours, theirs, axis, shape):
    x = ac.dtensor3("x")
    value = RNG.normal(size=shape) * 10
    for view in (value, np.asfortranarray(value), np.repeat(value, 2, axis=-1)[..., ::2]):
        got = run(ours(x, axis), [x], [view])
        expected = theirs(view, axis=axis) if view.size else view  # SciPy raises on empty arrays
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-300)
        assert got.shape == shape and got.dtype == np.float64


@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, False), (-1, True), ((0, 1), True)])
@pytest.mark.parametrize("shape", [(3, 4), (1, 1), (0, 4), (3, 0)])
def test_logsumexp_matches_scipy(axis, keepdims, shape):
    x = ac.dmatrix("x")
    value = RNG.normal(size=shape) * 50
    got = run(logsumexp(x, axis, keepdims), [x], [value])
    if value.size:
        expected = scipy.special.logsumexp(value, axis=axis, keepdims=keepdims)
    else:  # SciPy raises on empty arrays; the sum of no exponentials is 0, whose log is -inf
        with np.errstate(divide="ignore"):
            expected = np.log(np.sum(np.exp(value), axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    assert got.shape == np.shape(expected)


def test_large_and_infinite_logits_stay_finite_where_the_math_is():
    x = ac.dvector("x")
    big = np.array([1000.0, 1000.0, -1000.0])
    np.testing.assert_allclose(run(softmax(x), [x], [big]), [0.5, 0.5, 0.0])
    np.testing.assert_allclose(run(log_softmax(x), [x], [big]), [-np.log(2), -np.log(2), -2000 - np.log(2)])
    assert run(logsumexp(x), [x], [np.array([1000.0, 1000.0])]) == 1000 + np.log(2)
    assert run(logsumexp(x), [x], [np.array([-np.inf, -np.inf])]) == -np.inf
    assert np.isnan(run(softmax(x), [x], [np.array([np.inf, 0.0])])).any()


@pytest.mark.parametrize("dtype, expected", [("float32", "float32"), ("float16", "float16"), ("int64", "float64"),
                                             ("uint8", "float16")])
def test_dtypes_follow_numpy_float_promotion(dtype, expected):
    x = ac.tensor(dtype, (None,), "x")
    for build in (softmax, log_softmax, logsumexp):
        out = build(x)
        assert out.type.dtype == expected
        value = np.arange(4).astype(dtype)
        assert run(out, [x], [value]).dtype == np.dtype(expected)


def test_static_and_symbolic_shapes():
    x = ac.tensor("float64", (2, None, 4), "x")
    assert softmax(x, 1).type.shape == (2, None, 4)
    assert logsumexp(x, (0, 2)).type.shape == (None,)
    assert logsumexp(x, 1, keepdims=True).type.shape == (2, 1, 4)
    node = logsumexp(x, (0, 2), keepdims=True).owner
    assert node.op.infer_shape(node, [(2, 7, 4)]) == [(1, 7, 1)]
    node = log_softmax(x).owner
    assert node.op.infer_shape(node, [(2, 7, 4)]) == [(2, 7, 4)]


def test_ops_compare_and_print_by_their_axes():
    assert Softmax((1,)) == Softmax((1,)) and Softmax((1,)) != Softmax((0,))
    assert str(LogSumExp((0, 1), True)) == "LogSumExp{axes=[0, 1], keepdims}"
    assert str(LogSoftmax((2,))) == "LogSoftmax{axes=[2]}"


def test_bad_inputs_are_refused_with_what_was_expected():
    with pytest.raises(ValueError, match="axis 2 is out of bounds for a tensor of 2 dimensions"):
        softmax(ac.dmatrix("m"), axis=2)
    with pytest.raises(TypeError, match="log_softmax takes a real tensor, got z of type complex128"):
        log_softmax(ac.zvector("z"))
    with pytest.raises(TypeError, match="logsumexp takes a real tensor"):
        logsumexp(ac.tensor("bool", (None,), "b"))
    with pytest.raises(ValueError, match="axes \\[3\\] out of bounds"):
        Softmax((3,))(ac.dmatrix("m"))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_float16_is_computed_in_float32_then_rounded(name):
    """log(1.0092) in float16 steps is 0.0097, 6% from log_softmax's -0.00918: the sum and the log run in float32."""
    x = ac.tensor("float16", (None, None), "x")
    value = np.array([[0, 1], [6, 0], [1, 5]], dtype=np.float16)
    got = ac.function([x], getattr(ac, name)(x, axis=0))(value)
    want = getattr(scipy.special, name)(value.astype(np.float32), axis=0).astype(np.float16)
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32), rtol=2e-3, atol=1e-4)
