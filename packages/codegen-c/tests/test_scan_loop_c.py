"""A scan's loop in the C backend: a SCAN step, run by the executor in C (runtime/scan.c) over the step graph's
compiled program, with no Python per step; graph-core's Python loop (``Scan.evaluate``) runs only for what the C
loop leaves to it (no step, inputs that do not fit, a failing step: its errors name the scan and the step) and
for scans with values that are not tensors. Every case is compared with the reference evaluator."""

from __future__ import annotations

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.control import Scan, scan, until


@pytest.fixture
def python_loops(monkeypatch):
    """The scans that ran graph-core's Python loop (``Scan.evaluate``), by name, since the last ``clear()``."""
    ran: list[str | None] = []
    evaluate = Scan.evaluate

    def counted(self, node, inputs, run):
        ran.append(self.name)
        return evaluate(self, node, inputs, run)

    monkeypatch.setattr(Scan, "evaluate", counted)
    return ran


def compiled(inputs, outputs, **kwargs):
    """The function in mode "c" and in the reference evaluator."""
    return ac.function(inputs, outputs, mode="c", **kwargs), ac.function(inputs, outputs, mode="reference", **kwargs)


def run_both(python_loops, inputs, outputs, values, **kwargs):
    """The results in mode "c" (asserting that no Python loop ran) and the reference's."""
    f, reference = compiled(inputs, outputs, **kwargs)
    expected = reference(*values)
    python_loops.clear()
    got = f(*values)
    assert python_loops == [], "a scan ran its Python loop"
    return got, expected


def assert_all_close(got, expected):
    for g, e in zip(got, expected, strict=True):
        assert np.shape(g) == np.shape(e) and np.asarray(g).dtype == np.asarray(e).dtype
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)


def test_the_loop_is_a_c_step_and_runs_no_python_per_step(python_loops):
    x, w, u, b, h0 = ac.dtensor3("x"), ac.dmatrix("w"), ac.dmatrix("u"), ac.dvector("b"), ac.dmatrix("h0")
    hs, _ = scan(lambda xt, h, w, u, b: ac.tanh(xt @ w + h @ u + b), sequences=[x], outputs_info=[h0],
                 non_sequences=[w, u, b], name="rnn")
    rng = np.random.default_rng(0)
    values = [rng.normal(size=(50, 2, 4)), rng.normal(size=(4, 4)) * 0.3, rng.normal(size=(4, 4)) * 0.3,
              rng.normal(size=4), rng.normal(size=(2, 4))]
    got, expected = run_both(python_loops, [x, w, u, b, h0], [hs], values)
    assert_all_close(got, expected)
    f, _ = compiled([x, w, u, b, h0], [hs])
    steps = f.executable.info.steps
    assert [type(s.node.op) for s in steps if s.label == "loop"] == [Scan]
    assert not [s for s in f.executable.info.fallbacks if isinstance(s.node.op, Scan)]


def test_a_loop_with_more_inputs_than_a_kernel_takes_runs_in_c(python_loops):
    """A scan step and a check have no operand limit (kernels take 32): a gradient step reads many hoisted
    shapes, and their broadcast is checked at once."""
    x = ac.dmatrix("x")
    weights = [ac.dvector(f"w{k}") for k in range(40)]

    def step(x_t, h, *ws):
        return h + sum(w * x_t for w in ws)

    h, _ = scan(step, sequences=x, outputs_info=ac.zeros(3), non_sequences=weights)
    rng = np.random.default_rng(0)
    run_both(python_loops, [x, *weights], [h], [rng.standard_normal((5, 3)), *rng.standard_normal((40, 3))])


def test_sequence_and_state_taps_several_outputs_some_not_fed_back(python_loops):
    x, h0, s0 = ac.dmatrix("x"), ac.dmatrix("h0"), ac.dvector("s0")

    def step(x_tm2, x_t, x_tp1, h_tm1, h_tm3, s):
        h = x_tm2 + 2 * x_t + 3 * x_tp1 + 0.5 * h_tm1 - 0.25 * h_tm3
        return h, s + h.sum(), h[:2] * s[0], (x_t ** 2).sum()

    outs, _ = scan(step, sequences=dict(input=x, taps=[-2, 0, 1]),
                   outputs_info=[dict(initial=h0, taps=[-1, -3]), s0, None, None])
    rng = np.random.default_rng(1)
    got, expected = run_both(python_loops, [x, h0, s0], outs, [rng.normal(size=(12, 3)), rng.normal(size=(3, 3)),
                                                               rng.normal(size=2)])
    assert_all_close(got, expected)


def test_go_backwards_with_taps(python_loops):
    x = ac.dvector("x")
    acc, _ = scan(lambda x_t, s: s * 0.5 + x_t, sequences=x, outputs_info=np.float64(0), go_backwards=True)
    taps, _ = scan(lambda a, b, h: a - b + h, sequences=dict(input=x, taps=[0, 2]),
                   outputs_info=np.float64(1), go_backwards=True)
    got, expected = run_both(python_loops, [x], [acc, taps], [np.random.default_rng(2).normal(size=7)])
    assert_all_close(got, expected)


def test_until_ends_the_loop_and_cuts_the_stacks(python_loops):
    x0, limit = ac.dscalar("x0"), ac.dscalar("limit")
    values, _ = scan(lambda x: (x * 2, until(x * 2 > limit)), outputs_info=x0, n_steps=100)
    f, reference = compiled([x0, limit], values)
    for args in [(1.0, 20.0), (1.0, 1e9), (1.0, 1e300), (1.0, 0.0)]:
        expected = reference(*args)
        python_loops.clear()
        got = f(*args)
        assert python_loops == []
        assert_all_close([got], [expected])


def test_nested_scans_all_in_c(python_loops):
    x = ac.dmatrix("x")

    def row_sum(row, acc):
        inner, _ = scan(lambda v, s: s + v, sequences=row, outputs_info=np.float64(0), name="inner")
        return acc + inner[-1]

    totals, _ = scan(row_sum, sequences=x, outputs_info=np.float64(0), name="outer")
    got, expected = run_both(python_loops, [x], [totals], [np.random.default_rng(3).normal(size=(5, 4))])
    assert_all_close(got, expected)


def test_carried_values_a_shared_variable_updated_in_the_loop(python_loops):
    w = ac.shared(np.array([[0.5, 0.0], [0.0, 2.0]]), name="w")
    counter = ac.shared(np.int64(0), name="counter")
    h0 = ac.dvector("h0")
    hs, updates = scan(lambda h: (h @ w, {counter: counter + 1}), outputs_info=h0, n_steps=3)
    f = ac.function([h0], hs, mode="c", updates=updates)
    python_loops.clear()
    np.testing.assert_allclose(f(np.ones(2)), [[0.5, 2], [0.25, 4], [0.125, 8]])
    assert counter.get_value() == 3
    f(np.ones(2))
    assert counter.get_value() == 6 and python_loops == []


def test_gradients_through_a_loop_run_both_loops_in_c(python_loops):
    grad = pytest.importorskip("arignote_grad", reason="autograd-sym is not installed").grad
    x, w, u, b, h0 = ac.dtensor3("x"), ac.dmatrix("w"), ac.dmatrix("u"), ac.dvector("b"), ac.dmatrix("h0")
    hs, _ = scan(lambda xt, h, w, u, b: ac.tanh(xt @ w + h @ u + b), sequences=[x], outputs_info=[h0],
                 non_sequences=[w, u, b])
    grads = grad(hs[-1].sum(), [w, u, b, h0])
    rng = np.random.default_rng(4)
    values = [rng.normal(size=(30, 3, 4)), rng.normal(size=(4, 4)) * 0.3, rng.normal(size=(4, 4)) * 0.3,
              rng.normal(size=4), rng.normal(size=(3, 4))]
    got, expected = run_both(python_loops, [x, w, u, b, h0], grads, values)
    assert_all_close(got, expected)


def test_results_are_the_callers_and_steps_that_return_their_inputs(python_loops):
    x = ac.dmatrix("x")
    same, _ = scan(lambda v: v, sequences=x)
    kept, _ = scan(lambda v, s: s, sequences=x, outputs_info=ac.zeros(3))
    f, _ = compiled([x], [same, kept])
    first = np.arange(12.0).reshape(4, 3)
    a, k = f(first)
    a_copy, k_copy = a.copy(), k.copy()
    f(first * 10)
    np.testing.assert_array_equal(a, a_copy)
    np.testing.assert_array_equal(k, k_copy)
    np.testing.assert_array_equal(a, first)
    assert not np.shares_memory(a, first)


def test_zero_steps_go_to_the_python_loop(python_loops):
    x, w, h0 = ac.dmatrix("x"), ac.dmatrix("w"), ac.dvector("h0")
    (h, y), _ = scan(lambda x_t, h: (ac.tanh(x_t @ w + h), (x_t @ w).sum() * h[:2]), sequences=x,
                     outputs_info=[h0, None], name="empty")
    f = ac.function([x, w, h0], [h, y], mode="c")
    python_loops.clear()
    got_h, got_y = f(np.zeros((0, 3)), np.ones((3, 4)), np.ones(4))
    assert got_h.shape == (0, 4) and got_y.shape == (0, 2) and python_loops == ["empty"]


def test_an_error_in_a_step_names_the_scan_the_step_and_the_shapes():
    x = ac.dmatrix("x")
    idx = ac.lvector("idx")
    ys, _ = scan(lambda i, x: x[i], sequences=[idx], non_sequences=[x], name="picker")
    f, reference = compiled([idx, x], ys)
    args = (np.array([0, 1, 7, 0]), np.zeros((2, 2)))
    with pytest.raises(IndexError) as expected:
        reference(*args)
    with pytest.raises(IndexError) as got:
        f(*args)
    message = str(got.value)
    assert "scan 'picker'" in message and "step 2 of 4" in message and "idx[t] (int64, shape ())" in message
    assert _step_line(message) == _step_line(str(expected.value))


def _step_line(message: str) -> str:
    """The line of an error that names the step and what it was given."""
    return next(line for line in message.splitlines() if "whose step was given" in line)


def test_a_state_changing_shape_and_a_short_sequence_are_the_reference_loops_errors():
    h0, x = ac.dvector("h0"), ac.dvector("x")
    hs, _ = scan(lambda h: ac.concatenate([h, h]), outputs_info=h0, n_steps=3, name="grow")
    f, reference = compiled([h0], hs)
    with pytest.raises(ValueError, match=r"scan 'grow'.*step 0 of 3 gave state 0 of shape \(4,\)") as got:
        f(np.ones(2))
    with pytest.raises(ValueError) as expected:
        reference(np.ones(2))
    assert str(got.value).splitlines()[0] == str(expected.value).splitlines()[0]
    n = ac.lscalar("n")
    ys, _ = scan(lambda a, b: a + b, sequences=dict(input=x, taps=[0, 1]), n_steps=n, name="pairs")
    f, _ = compiled([x, n], ys)
    np.testing.assert_allclose(f(np.arange(4.0), 3), [1, 3, 5])
    with pytest.raises(ValueError, match=r"scan 'pairs'.*cannot be negative"):
        f(np.arange(4.0), -1)


def test_random_draws_carried_from_step_to_step_and_across_calls(python_loops):
    def walk_function(mode):
        stream = ac.RandomStream(seed=7)
        walk, updates = scan(lambda h: h + stream.normal(size=(2,)), outputs_info=ac.zeros(2), n_steps=4)
        return ac.function([], walk, mode=mode, updates=updates)

    f, reference = walk_function("c"), walk_function("reference")
    expected = [reference(), reference()]
    python_loops.clear()
    assert_all_close([f(), f()], expected)
    assert python_loops == []
