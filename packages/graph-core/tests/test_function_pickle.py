"""Graphs and compiled functions pickle and unpickle; a compiled function can be deep-copied."""

import copy
import pickle

import numpy as np

import arignote_core as ac


def _model():
    x = ac.dmatrix("x")
    w = ac.shared(np.arange(6.0).reshape(3, 2), name="w")
    y = ac.tanh(ac.dot(x, w)).sum(axis=1)
    return x, w, y


def test_graph_round_trip():
    x, _, y = _model()
    x2, y2 = pickle.loads(pickle.dumps((x, y)))
    value = np.ones((2, 3))
    np.testing.assert_allclose(ac.function([x2], y2)(value), ac.function([x], y)(value))


def test_function_round_trip_keeps_values_and_updates():
    x, w, y = _model()
    f = ac.function([x], y, updates={w: w * 2})
    g = pickle.loads(pickle.dumps(f))
    value = np.ones((2, 3))
    np.testing.assert_allclose(g(value), f(value))
    np.testing.assert_allclose(g(value), f(value))


def test_deepcopy_is_independent():
    x, w, y = _model()
    f = ac.function([x], y, updates={w: w + 1})
    g = copy.deepcopy(f)
    value = np.ones((1, 3))
    f(value)
    f(value)
    np.testing.assert_allclose(w.get_value(), np.arange(6.0).reshape(3, 2) + 2)
    np.testing.assert_allclose(g(value), np.tanh(value @ np.arange(6.0).reshape(3, 2)).sum(axis=1))
    assert g.copy()(value).shape == (1,)


def test_every_op_kind_pickles():
    x = ac.dmatrix("x")
    i = ac.lvector("i")
    outs = [ac.sigmoid(x)[i, ::-1], x.reshape((-1,)), ac.argmax(x, axis=0), ac.arange(3) * 2, x.T @ x,
            ac.where(x > 0, x, 0.0).mean(axis=0, keepdims=True), ac.cast(x, "int32")]
    f = ac.function([x, i], outs)
    g = pickle.loads(pickle.dumps(f))
    value = np.random.default_rng(0).normal(size=(3, 3))
    for a, b in zip(f(value, [0, 2]), g(value, [0, 2]), strict=True):
        np.testing.assert_array_equal(a, b)


class MachineBoundBackend:
    """The reference evaluator, with options it names as facts of the compiling machine (as a cache directory)."""

    name = "machine-bound"
    local_options = ("cache_dir",)

    def compile(self, fgraph, mode):
        from arignote_core.evaluator import ReferenceProgram

        return ReferenceProgram(fgraph)


def test_a_pickle_leaves_out_the_options_that_describe_the_machine_and_a_copy_keeps_them():
    x = ac.dvector("x")
    mode = ac.Mode(backend=MachineBoundBackend(), options={"cache_dir": "/pickling/machine/cache", "profile": True})
    f = ac.function([x], x * 2, mode=mode)
    loaded = pickle.loads(pickle.dumps(f))
    assert loaded.mode.options == {"profile": True}
    np.testing.assert_array_equal(loaded(np.arange(3.0)), [0.0, 2.0, 4.0])
    assert copy.deepcopy(f).mode.options == mode.options
