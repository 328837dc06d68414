"""Theano's signatures and semantics inside ``arignote.theano``, where they differ from Arignote's NumPy-style
API: checked by value against NumPy on the reference evaluator."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import arignote.theano as theano
import arignote.theano.tensor as T
from arignote.theano.configparser import TheanoConfig, from_environment
from arignote.theano.sandbox.rng_mrg import MRG_RandomStreams
from arignote.theano.tensor.shared_randomstreams import RandomStreams
from arignote.theano.tensor.signal import downsample, pool
from arignote.theano.tensor.xlogx import xlogx, xlogy0


def run(outputs: Any, inputs: Any = (), *values: Any) -> Any:
    return theano.function(list(inputs), outputs, mode="FAST_COMPILE")(*values)


def test_constructors_follow_theano() -> None:
    assert T.row("r").type.shape == (1, None) and T.col().type.shape == (None, 1)
    assert T.tensor("float32", (False, True, False), "t").type.shape == (None, 1, None)
    assert T.TensorType("int32", (True,))("v").type.dtype == "int32"
    assert isinstance(T.dmatrix().type, T.TensorType)
    assert T.ftensor7().ndim == 7 and T.matrix().dtype == theano.config.floatX
    a, b = T.dmatrices("a", "b")
    assert (a.name, b.name) == ("a", "b") and a.dtype == "float64"
    assert [v.name for v in T.iscalars("xy")] == ["x", "y"]  # Theano's rule: one name a letter
    assert len(T.fvectors(3)) == 3 and T.dscalars("s").name == "s"


def test_bool_of_variables_is_theanos() -> None:
    W = theano.shared(np.zeros(3))  # noqa: N806
    x = T.dmatrix("x")
    assert bool(W) and bool(x) and bool(T.constant(0.0))
    assert not (None or 0) and (W if W else None) is W  # `if not W:` runs as in Theano
    with pytest.raises(TypeError, match="truth value"):
        bool(x < 1)  # comparisons refuse, as in Theano (so a < b < c fails)


def test_shaping_functions() -> None:
    x = T.dmatrix("x")
    value = np.arange(12.0).reshape(3, 4)
    shape = T.lvector("s")
    np.testing.assert_array_equal(run(T.reshape(x, shape, ndim=2), [x, shape], value, [2, 6]), value.reshape(2, 6))
    np.testing.assert_array_equal(run(T.flatten(x, outdim=1), [x], value), value.ravel())
    assert T.flatten(T.dtensor3("t"), outdim=2).ndim == 2
    sizes = T.lvector("sizes")
    pieces = T.split(x, sizes, 2, axis=1)
    got = run(pieces, [x, sizes], value, [1, 3])
    np.testing.assert_array_equal(got[1], value[:, 1:])
    a, b = T.dscalar("a"), T.dscalar("b")
    np.testing.assert_array_equal(run(T.stack(a, b), [a, b], 1.0, 2.0), [1.0, 2.0])
    np.testing.assert_array_equal(run(T.stack([a, b], 0), [a, b], 1.0, 2.0), [1.0, 2.0])
    v = T.dvector("v")
    np.testing.assert_array_equal(run(T.tile(v, (2, 2), ndim=2), [v], [1.0, 2.0]), np.tile([1.0, 2.0], (2, 2)))
    assert x.broadcastable == (False, False) and T.row().broadcastable == (True, False)
    assert T.addbroadcast(x, 0).type.shape == (1, None)
    assert T.unbroadcast(T.row(), 0).type.shape == (None, None)
    assert T.patternbroadcast(x, (False, True)).type.shape == (None, 1)
    np.testing.assert_array_equal(run(T.unbroadcast(T.addbroadcast(x, 0), 0), [x], value[:1]), value[:1])


def test_math_functions() -> None:
    x = T.dmatrix("x")
    value = np.array([[0.5, 1.5, -2.5], [2.0, 4.0, 8.0]])
    np.testing.assert_allclose(run(T.var(x, 1, 1), [x], value), value.var(axis=1, ddof=1))
    np.testing.assert_allclose(run(T.std(x, axis=0, corrected=True), [x], value), value.std(axis=0))
    i = T.bvector("i")
    total = T.sum(i, acc_dtype="int64", dtype="int8")
    assert total.dtype == "int8"
    assert run(total, [i], np.array([100, 100, -100], dtype="int8")) == 100
    np.testing.assert_array_equal(run(T.round(x), [x], value), np.round(value))
    np.testing.assert_array_equal(run(T.round(x, mode="half_away_from_zero"), [x], value)[0], [1.0, 2.0, -3.0])
    with pytest.raises(ValueError, match="mode must be one of"):
        T.round(x, mode="up")
    np.testing.assert_allclose(run(T.inv(x), [x], value), 1 / value)
    mx, arg = run(T.max_and_argmax(x, axis=1), [x], value)
    np.testing.assert_array_equal(mx, value.max(axis=1))
    np.testing.assert_array_equal(arg, value.argmax(axis=1))
    np.testing.assert_array_equal(run(T.nonzero(x > 1, return_matrix=True), [x], value),
                                  np.array(np.nonzero(value > 1)))
    np.testing.assert_allclose(run(T.add(x, x, x), [x], value), 3 * value)
    np.testing.assert_allclose(run(T.mul(x, x, 2), [x], value), 2 * value * value)
    n = T.lvector("n")
    np.testing.assert_array_equal(run(T.ceil_intdiv(n, 3), [n], [3, 4, 7]), [1, 2, 3])


def test_nnet_softmax_of_a_vector_is_a_row() -> None:
    v = T.dvector("v")
    out = T.nnet.softmax(v)
    assert out.ndim == 2
    got = run(out, [v], [1.0, 2.0, 3.0])
    assert got.shape == (1, 3)
    np.testing.assert_allclose(got.sum(), 1.0)
    x, y = T.dmatrix("x"), T.lvector("y")
    nll, sm = T.nnet.crossentropy_softmax_1hot(x, y)
    got_nll = run(nll, [x, y], np.zeros((2, 4)), [0, 3])
    np.testing.assert_allclose(got_nll, np.log(4.0) * np.ones(2))


def test_xlogx_and_pool_modules() -> None:
    v = T.dvector("v")
    np.testing.assert_allclose(run(xlogx(v), [v], [0.0, 2.0]), [0.0, 2 * np.log(2.0)])
    np.testing.assert_allclose(run(xlogy0(v, v + 1), [v], [0.0, 2.0]), [0.0, 2 * np.log(3.0)])
    image = T.dtensor4("image")
    value = np.arange(16.0).reshape(1, 1, 4, 4)
    pooled = run(pool.pool_2d(image, (2, 2), ignore_border=True), [image], value)
    np.testing.assert_array_equal(pooled[0, 0], [[5.0, 7.0], [13.0, 15.0]])
    np.testing.assert_array_equal(run(downsample.max_pool_2d(image, (2, 2), True), [image], value), pooled)
    same = run(pool.max_pool_2d_same_size(image, (2, 2)), [image], value)
    assert same.shape == value.shape and same.sum() == pooled.sum()


def test_random_streams_take_theanos_signatures() -> None:
    for streams in (RandomStreams(7), MRG_RandomStreams(7)):
        u = streams.uniform(size=(200,), low=2.0, high=3.0)
        assert u.dtype == theano.config.floatX
        draws = theano.function([], [u, streams.normal((200,), avg=5.0, std=0.1),
                                     streams.binomial(size=(200,), n=1, p=0.25, dtype="float32"),
                                     streams.random_integers((200,), low=1, high=2)])
        first, second = draws(), draws()
        assert 2.0 <= first[0].min() and first[0].max() < 3.0 and abs(first[1].mean() - 5.0) < 0.05
        assert first[2].dtype == np.float32 and set(np.unique(first[3])) == {1, 2}
        assert not np.array_equal(first[0], second[0])  # the function advances the stream


def test_in_value_update_and_out() -> None:
    x, step = T.dscalar("x"), T.dscalar("step")
    f = theano.function([x, theano.In(step, value=2.0)], theano.Out(x * step, borrow=True))
    assert f(3.0) == 6.0 and f(3.0, step=10.0) == 30.0
    total = T.dscalar("total")
    counter = theano.function([x, theano.In(total, value=0.0, update=total + x)], total + x)
    assert [float(counter(1.0)) for _ in range(3)] == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="needs a value"):
        theano.In(total, update=total + 1)


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE", "DebugMode", "NanGuardMode",
                                  theano.Mode(linker="py", optimizer=None), theano.Mode(optimizer="fast_compile")])
def test_theano_modes(mode: Any) -> None:
    x = T.dvector("x")
    assert theano.function([x], (x * 2).sum(), mode=mode)([1.0, 2.0]) == 6.0


def test_config_from_theano_flags() -> None:
    config = from_environment({"THEANO_FLAGS": "floatX=float32, mode=FAST_COMPILE,allow_gc=False,gcc.cxxflags=-O3"})
    assert (config.floatX, config.mode, config.allow_gc, config.gcc.cxxflags) == ("float32", "FAST_COMPILE", False,
                                                                                   "-O3")
    with pytest.raises(AttributeError, match="no flag 'flotX'"):
        TheanoConfig({"flotX": "float32"})
    with pytest.raises(ValueError, match="floatX must be one of"):
        TheanoConfig().floatX = "float16"
    with pytest.warns(RuntimeWarning, match="no CUDA backend"):
        TheanoConfig().device = "cuda0"


def test_config_floatx_is_read_at_each_call() -> None:
    saved = theano.config.floatX
    try:
        theano.config.floatX = "float32"
        assert T.matrix().dtype == "float32" and RandomStreams(1).uniform((2,)).dtype == "float32"
    finally:
        theano.config.floatX = saved


def test_gradient_module_and_clone() -> None:
    x = T.dscalar("x")
    y = x ** 2
    assert run(theano.gradient.grad(y + T.consider_constant(y), x), [x], 3.0) == 6.0
    doubled = theano.clone(y, replace={x: 2 * x})
    assert run(doubled, [x], 3.0) == 36.0
    assert theano.printing.pp(y) and "x" in theano.printing.debugprint(y, file="str")
    assert float(T.get_scalar_constant_value(T.constant(2.0) * 3)) == 6.0
    with pytest.raises(T.NotScalarConstantError):
        T.get_scalar_constant_value(x)


def test_print_op_prints_and_passes_on(capsys: pytest.CaptureFixture[str]) -> None:
    x = T.dvector("x")
    f = theano.function([x], theano.printing.Print("value")(x) * 2)
    np.testing.assert_array_equal(f([1.0, 2.0]), [2.0, 4.0])
    assert "value __str__ = [1. 2.]" in capsys.readouterr().out
    assert run(T.grad(theano.printing.Print("g")(x).sum(), x), [x], [1.0, 2.0]).tolist() == [1.0, 1.0]
