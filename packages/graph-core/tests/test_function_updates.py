"""Updates apply together after the outputs are computed; givens substitute; eval evaluates."""

import numpy as np
import pytest

import arignote_core as ac


def test_swap_updates_apply_after_all_outputs():
    a, b = ac.shared(1.0, name="a"), ac.shared(2.0, name="b")
    f = ac.function([], [a + 0, b + 0], updates={a: b, b: a})
    assert f() == [1.0, 2.0]
    assert (a.get_value(), b.get_value()) == (2.0, 1.0)
    assert f() == [2.0, 1.0]
    assert (a.get_value(), b.get_value()) == (1.0, 2.0)


def test_accumulator_and_outputs_see_old_values():
    total = ac.shared(np.zeros(2), name="total")
    x = ac.dvector("x")
    f = ac.function([x], total * 1, updates=[(total, total + x)])
    np.testing.assert_array_equal(f([1.0, 2.0]), [0.0, 0.0])
    np.testing.assert_array_equal(f([1.0, 2.0]), [1.0, 2.0])
    np.testing.assert_array_equal(total.get_value(), [2.0, 4.0])


def test_update_type_must_match():
    w = ac.shared(np.zeros(2, np.float32), name="w")
    with pytest.raises(TypeError, match="cast it with .astype\\('float32'\\)"):
        ac.function([], [], updates={w: w + np.float64(1)})
    with pytest.raises(TypeError, match="only change shared variables"):
        ac.function([], [], updates={ac.dvector("v"): w})
    f = ac.function([], [], updates={w: w + 1})  # weak scalar keeps float32
    f()
    np.testing.assert_array_equal(w.get_value(), [1.0, 1.0])


def test_givens_substitute_variables():
    x, y = ac.dscalar("x"), ac.dscalar("y")
    z = x * 2 + 1
    f = ac.function([y], z, givens={x: y * 10})
    assert f(3.0) == 61.0
    w = ac.shared(5.0, name="w")
    g = ac.function([], z, givens=[(x, w)])
    assert g() == 11.0
    with pytest.raises(TypeError, match="cannot be replaced"):
        ac.function([y], z, givens={x: ac.dvector()})


def test_a_given_of_less_static_shape_takes_the_replaced_sizes_checked_at_run_time():
    x = ac.tensor("float64", (1,), "x")
    w = ac.dvector("w")
    f = ac.function([w], [ac.squeeze(x), x * 2], givens={x: w})
    out, doubled = f(np.array([3.0]))
    assert out == 3.0 and doubled.shape == (1,)
    assert f.fgraph.outputs[1].type.shape == (1,)
    with pytest.raises(ValueError, match=r"has shape \(2,\), the graph says \(1,\)") as info:
        f(np.array([1.0, 2.0]))
    assert "SpecifyShape on w" in str(info.value)
    n, m = ac.tensor("float64", (1, None), "n"), ac.tensor("float64", (None, 3), "m")
    g = ac.function([m], ac.squeeze(n, 0), givens={n: m})
    assert g.fgraph.outputs[0].type.shape == (3,)
    np.testing.assert_array_equal(g(np.ones((1, 3))), np.ones(3))


def test_eval():
    x = ac.dvector("x")
    np.testing.assert_array_equal((x * 2).eval({x: np.array([1.0, 2.0])}), [2.0, 4.0])
    assert ac.constant(3.0).eval() == 3.0


def test_outputs_are_not_aliases_of_inputs_or_constants():
    x = ac.dvector("x")
    f = ac.function([x], [x, ac.constant(np.arange(3.0)) + 0])
    value = np.arange(3.0)
    out, const = f(value)
    assert out is not value and not np.shares_memory(out, value)
    out[0] = 99.0
    assert value[0] == 0.0
    assert const.flags.writeable


def test_outputs_are_not_aliases_of_each_other():
    """Two outputs of one buffer (the same variable twice, a view of another output) are two arrays: writing
    into one changes no other (integration-tests check it in every mode)."""
    x = ac.dmatrix("x")
    y = x ** 2
    f = ac.function([x], [y, y, y.T, ac.reshape(y, (1, -1)), y[0]])
    outputs = f(np.arange(4.0).reshape(2, 2))
    for i, a in enumerate(outputs):
        for b in outputs[i + 1:]:
            assert not np.shares_memory(a, b)


def test_no_outputs_and_single_vs_list():
    x = ac.dvector("x")
    assert ac.function([x], [], on_unused_input="ignore")(np.ones(2)) == []
    assert isinstance(ac.function([x], [x.sum()])(np.ones(2)), list)
    assert ac.function([x], x.sum())(np.ones(2)).shape == ()


def test_default_updates_apply_unless_overridden():
    state = ac.shared(0.0, name="state")
    state.default_update = state + 1
    f = ac.function([], state * 1)
    assert [float(f()) for _ in range(3)] == [0.0, 1.0, 2.0]
    g = ac.function([], state * 1, updates={state: state * 0})
    assert float(g()) == 3.0 and state.get_value() == 0.0
    h = ac.function([], state * 1, no_default_updates=True)
    h()
    assert state.get_value() == 0.0


def test_random_stream_advances_without_explicit_updates():
    stream = ac.RandomStream(7)
    f = ac.function([], stream.normal(size=(3,)))
    assert not np.array_equal(f(), f())


def _hammer(calls, threads=4, repeats=100):
    """Run each of ``calls`` ``repeats`` times from each of ``threads`` threads, all at once."""
    import threading

    start = threading.Barrier(threads)
    errors = []

    def work(k):
        start.wait()
        try:
            for _ in range(repeats):
                calls[k % len(calls)]()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not errors and not any(w.is_alive() for w in workers)


def test_a_call_with_updates_is_atomic_across_threads():
    """No update is lost or torn: s <- s + 1 and W <- W + dot(a, b) from four threads at once (NumPy's dot lets
    the others run meanwhile)."""
    s = ac.shared(np.float64(0.0), name="s")
    count = ac.function([], [], updates={s: s + 1})
    w = ac.shared(np.zeros((300, 300)), name="w")
    a = ac.dmatrix("a")
    ones = np.ones((300, 300)) / 300
    grow = ac.function([a], [], updates={w: w + ac.dot(a, a)})
    _hammer([count, lambda: grow(ones)])
    assert s.get_value() == 200.0
    np.testing.assert_allclose(w.get_value(), 200 / 300, rtol=1e-9)  # a lost or torn update is 1/300 off


def test_readers_see_whole_values_and_get_value_never_a_torn_one():
    w = ac.shared(np.zeros(200_000), name="w")
    step = ac.function([], [], updates={w: w + 1})
    total = ac.function([], w.sum() - w[0] * w.shape[0])  # 0 unless the read is torn
    seen = []
    _hammer([step, lambda: seen.append(total()), lambda: seen.append(np.ptp(w.get_value()))], threads=6,
            repeats=40)
    assert seen and all(v == 0 for v in seen)


def test_shared_variables_and_functions_with_them_copy_and_pickle():
    import copy
    import pickle

    w = ac.shared(np.arange(3.0), name="w")
    f = ac.function([], w * 2, updates={w: w + 1})
    g = pickle.loads(pickle.dumps(f))
    h = f.copy()
    assert g.shared_inputs[0].lock is not w.lock and h.shared_inputs[0].lock is not w.lock
    np.testing.assert_array_equal(g(), [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(copy.deepcopy(w).get_value(), w.get_value())
