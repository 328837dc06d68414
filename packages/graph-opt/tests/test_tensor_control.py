"""Control-flow rewrites: inlined OpFromGraph, ifelse of a constant condition, and loops: last states carried,
unused outputs dropped, invariants hoisted, sibling loops merged, inputs read once, sequence products and
accumulated products moved out of the step, the shapes of sequence entries measured before the loop."""

from __future__ import annotations

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.control import IfElse, OpFromGraph, Scan
from arignote_core.mode import Mode
from arignote_opt import standard_rewriter

#: the standard rewrites, then the reference evaluator (graph-opt is tested without a compiling backend)
REWRITTEN = Mode(backend="reference", rewriter=standard_rewriter())


def ops_after_rewriting(outputs, inputs, rule):
    """The op classes left, and whether ``rule`` fired."""
    fgraph = ac.FunctionGraph(inputs, outputs)
    report = standard_rewriter()(fgraph)
    fired = rule in report.rules and report.rules[rule].fired > 0
    return fired, [type(n.op) for n in fgraph.toposort()]


def test_an_inline_op_from_graph_is_replaced_by_its_graph_and_others_stay():
    a, b = ac.dvector("a"), ac.dvector("b")
    x, y = ac.dvector("x"), ac.dvector("y")
    inline = OpFromGraph([a, b], [a * b + ac.exp(a)], inline=True)
    kept = OpFromGraph([a, b], [a * b + ac.exp(a)])
    fired, ops = ops_after_rewriting([inline(x, y)], [x, y], "inline_op_from_graph")
    assert fired and OpFromGraph not in ops
    fired, ops = ops_after_rewriting([kept(x, y)], [x, y], "inline_op_from_graph")
    assert not fired and OpFromGraph in ops
    f = ac.function([x, y], inline(x, y), mode=REWRITTEN)
    np.testing.assert_allclose(f([1.0, 2.0], [3.0, 4.0]), np.array([1.0, 2.0]) * [3.0, 4.0] + np.exp([1.0, 2.0]))


def test_an_ifelse_of_a_constant_condition_is_the_branch_taken():
    x = ac.dmatrix("x")
    for condition, expected in [(1, lambda v: v * 2), (0, lambda v: v + 1)]:
        out = ac.ifelse(ac.constant(np.int8(condition)), x * 2, x + 1)
        fired, ops = ops_after_rewriting([out], [x], "ifelse_of_constant")
        assert fired and IfElse not in ops
        value = np.arange(6.0).reshape(2, 3)
        np.testing.assert_allclose(ac.function([x], out, mode=REWRITTEN)(value), expected(value))
    c = ac.lscalar("c")
    fired, ops = ops_after_rewriting([ac.ifelse(c, x * 2, x + 1)], [c, x], "ifelse_of_constant")
    assert not fired and IfElse in ops


def rnn_last_state(used):
    x, w, h0 = ac.dtensor3("x"), ac.dmatrix("w"), ac.dmatrix("h0")
    hs, _ = ac.scan(lambda xt, h, w: ac.tanh(xt @ w + h), sequences=[x], outputs_info=[h0], non_sequences=[w])
    return [x, w, h0], hs, used(hs)


def test_a_state_of_which_only_the_last_value_is_used_is_carried_not_stacked():
    inputs, hs, last = rnn_last_state(lambda hs: hs[-1])
    fired, ops = ops_after_rewriting([last], inputs, "scan_keeps_last_state")
    assert fired
    fgraph = ac.FunctionGraph(inputs, [last])
    standard_rewriter()(fgraph)
    (loop,) = [n for n in fgraph.toposort() if isinstance(n.op, ac.control.Scan)]
    assert loop.op.info.state_taps == () and loop.op.info.n_carried == 1  # no [T, ...] stack any more
    rng = np.random.default_rng(0)
    values = [rng.normal(size=(6, 2, 3)), rng.normal(size=(3, 3)), rng.normal(size=(2, 3))]
    expected = ac.function(inputs, hs, mode="reference")(*values)[-1]
    f = ac.function(inputs, last, mode=REWRITTEN)
    np.testing.assert_allclose(f(*values), expected, rtol=1e-12)
    with pytest.raises(IndexError, match="out of bounds"):  # as hs[-1] of no step
        f(values[0][:0], *values[1:])


@pytest.mark.parametrize("used", [lambda hs: hs[-2], lambda hs: hs.sum(axis=0), lambda hs: hs[-1] + hs[0]])
def test_a_state_read_otherwise_keeps_its_stack(used):
    inputs, _, out = rnn_last_state(used)
    fired, _ = ops_after_rewriting([out], inputs, "scan_keeps_last_state")
    assert not fired


def w8_rnn(what):
    """W8's scan RNN (benchmarks/workloads/w8_scan_rnn.py), ``h_T``; or a step as its gradient's reads the weights
    (``W.T``, ``U.T``, ``b[None, :]``), giving the gradient of the sequence too, which nobody uses."""
    x, w, u, b, h0 = ac.dtensor3("x"), ac.dmatrix("w"), ac.dmatrix("u"), ac.dvector("b"), ac.dmatrix("h0")
    if what == "forward":
        hs, _ = ac.scan(lambda xt, h, w, u, b: ac.tanh(xt @ w + h @ u + b), sequences=[x], outputs_info=[h0],
                        non_sequences=[w, u, b])
        return [x, w, u, b, h0], [hs[-1]]

    def backward(xt, dh, w, u, b):
        delta = dh * (1 - ac.tanh(xt + b) ** 2)
        return [delta @ w.T, delta @ u.T]

    (dxs, dhs), _ = ac.scan(backward, sequences=[x], outputs_info=[None, h0], non_sequences=[w, u, b],
                            go_backwards=True)
    return [x, w, u, b, h0], [dhs[-1]]


def w8_values(steps=5, batch=2, n=3):
    rng = np.random.default_rng(8)
    return [rng.normal(size=(steps, batch, n)), rng.normal(size=(n, n)) / 2, rng.normal(size=(n, n)) / 2,
            rng.normal(size=n), rng.normal(size=(batch, n))]


def rewritten_scans(inputs, outputs):
    fgraph = ac.FunctionGraph(inputs, outputs)
    report = standard_rewriter()(fgraph)
    return report, [n for n in fgraph.toposort() if isinstance(n.op, ac.control.Scan)]


@pytest.mark.parametrize("what", ["forward", "gradient"])
def test_what_a_step_computes_from_its_non_sequences_alone_is_computed_before_the_loop(what):
    inputs, outputs = w8_rnn(what)
    report, loops = rewritten_scans(inputs, outputs)
    assert report.rules["scan_hoists_invariants"].fired > 0
    for loop in loops:
        info = loop.op.info
        non_sequences = set(info.split_inner_inputs(loop.op.step.inputs).non_sequences)
        # no DimShuffle (b[None, :], W.T, U.T) of a non-sequence is left in the step
        for node in loop.op.step.fgraph.toposort():
            assert not (isinstance(node.op, ac.DimShuffle) and node.inputs[0] in non_sequences), node
    values = w8_values()
    expected = ac.function(inputs, outputs, mode="reference")(*values)
    got = ac.function(inputs, outputs, mode=REWRITTEN)(*values)
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_a_hoisted_value_is_not_an_integer_computation_that_could_fail():
    x, k = ac.dvector("x"), ac.lscalar("k")
    ys, _ = ac.scan(lambda xt, k: xt * (k ** -1), sequences=[x], non_sequences=[k])
    fired, _ = ops_after_rewriting([ys], [x, k], "scan_hoists_invariants")
    assert not fired  # k ** -1 raises for integers: it stays where it ran (never, for no steps)


def test_size_arithmetic_on_non_sequences_is_computed_before_the_loop():
    """Integer arithmetic that cannot fail (a broadcast of two sizes: ``switch(n == 1, m, n)``, an entry of a
    shape vector) is hoisted like float work; a power, which could fail, is not (the test above)."""
    x, v = ac.dvector("x"), ac.tensor("int64", (2,), "v")  # static length: its entries cannot be out of bounds
    ys, _ = ac.scan(lambda xt, v: xt * ac.where(ac.eq(v[0], 1), v[1], v[0]), sequences=[x], non_sequences=[v])
    fgraph = ac.FunctionGraph([x, v], [ys])
    standard_rewriter()(fgraph)
    (loop,) = [n for n in fgraph.toposort() if isinstance(n.op, Scan)]
    assert [type(n.op).__name__ for n in loop.op.step.fgraph.toposort()] == ["Elemwise"]
    f = ac.function([x, v], ys, mode=REWRITTEN)
    np.testing.assert_array_equal(f(np.arange(3.0), np.array([1, 5])), np.arange(3.0) * 5)


def test_an_output_of_a_step_that_nothing_uses_is_not_computed():
    inputs, outputs = w8_rnn("gradient")
    report, loops = rewritten_scans(inputs, outputs)
    assert report.rules["scan_drops_unused_outputs"].fired > 0
    assert [loop.op.info.n_outputs for loop in loops] == [0]  # no gradient of x per step
    values = w8_values()
    expected = ac.function(inputs, outputs, mode="reference")(*values)
    for e, g in zip(expected, ac.function(inputs, outputs, mode=REWRITTEN)(*values), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12)
    x, w = ac.dtensor3("x"), ac.dmatrix("w")
    ys, _ = ac.scan(lambda xt, w: [xt @ w, ac.tanh(xt)], sequences=[x], non_sequences=[w])
    fired, _ = ops_after_rewriting([ys[1]], [x, w], "scan_drops_unused_outputs")
    assert fired
    fired, _ = ops_after_rewriting([ys[0], ys[1]], [x, w], "scan_drops_unused_outputs")
    assert not fired


def sibling_loops():
    """Two loops over the rows of ``x``, both reading ``w``: a recurrence and a running sum."""
    x, w, h0 = ac.dmatrix("x"), ac.dmatrix("w"), ac.dvector("h0")
    hs, _ = ac.scan(lambda xt, h, w: ac.tanh(xt @ w + h), sequences=[x], outputs_info=[h0], non_sequences=[w])
    sums, _ = ac.scan(lambda xt, s, w: s + (xt @ w).sum(), sequences=[x], outputs_info=[np.float64(0)],
                      non_sequences=[w])
    return [x, w, h0], hs, sums


def numpy_sibling_loops(x, w, h0):
    hs, sums, h, s = [], [], h0, 0.0
    for row in x:
        h = np.tanh(row @ w + h)
        s = s + (row @ w).sum()
        hs.append(h)
        sums.append(s)
    return np.array(hs).reshape(len(x), len(h0)), np.array(sums)


def test_two_independent_loops_of_the_same_steps_run_as_one_reading_shared_inputs_once():
    inputs, hs, sums = sibling_loops()
    fgraph = ac.FunctionGraph(inputs, [hs, sums])
    report = standard_rewriter()(fgraph)
    assert report.rules["scan_merges_sibling_loops"].fired > 0
    loops = [n for n in fgraph.toposort() if isinstance(n.op, Scan)]
    assert len(loops) == 1
    # what both loops read (w, x @ w), the merged loop reads once
    assert report.rules["scan_reads_each_input_once"].fired > 0
    assert len({id(v) for v in loops[0].inputs}) == len(loops[0].inputs)
    f = ac.function(inputs, [hs, sums], mode=REWRITTEN)
    rng = np.random.default_rng(3)
    for steps in (4, 1, 0):
        values = rng.normal(size=(steps, 3)), rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3)
        for got, expected in zip(f(*values), numpy_sibling_loops(*values), strict=True):
            np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("second", ["reads the first", "backwards", "while", "other steps"])
def test_loops_that_cannot_run_as_one_stay_apart(second):
    x, h0 = ac.dvector("x"), ac.dscalar("h0")
    first, _ = ac.scan(lambda xt, h: h * 0.5 + xt, sequences=[x], outputs_info=[h0])
    if second == "reads the first":
        other, _ = ac.scan(lambda ft, s: s + ft, sequences=[first], outputs_info=[h0])
    elif second == "backwards":
        other, _ = ac.scan(lambda xt, s: s + xt, sequences=[x], outputs_info=[h0], go_backwards=True)
    elif second == "while":
        other, _ = ac.scan(lambda xt, s: (s + xt, ac.control.until(s > 3)), sequences=[x], outputs_info=[h0])
    else:
        other, _ = ac.scan(lambda xt, s: s + xt, sequences=[x[1:]], outputs_info=[h0])
    fired, ops = ops_after_rewriting([first, other], [x, h0], "scan_merges_sibling_loops")
    assert not fired and ops.count(Scan) == 2


def w8_recurrence():
    """W8's recurrence: its inputs and its states."""
    x = ac.tensor("float64", (None, None, None), name="x")
    w, u, b, h0 = ac.dmatrix("w"), ac.dmatrix("u"), ac.dvector("b"), ac.dmatrix("h0")
    hs, _ = ac.scan(lambda xt, h, w, u, b: ac.tanh(xt @ w + h @ u + b), sequences=x, outputs_info=h0,
                    non_sequences=[w, u, b])
    return [x, w, u, b, h0], hs


def numpy_rnn(x, w, u, b, h0):
    hs, h = [], h0
    for row in x:
        h = np.tanh(row @ w + h @ u + b)
        hs.append(h)
    return np.array(hs).reshape(len(x), *h0.shape)


def test_a_product_of_a_sequence_entry_by_an_invariant_matrix_is_one_product_before_the_loop():
    inputs, hs = w8_recurrence()
    fgraph = ac.FunctionGraph(inputs, [hs])
    report = standard_rewriter()(fgraph)
    assert report.rules["scan_pushes_out_sequence_products"].fired > 0
    (loop,) = [n for n in fgraph.toposort() if isinstance(n.op, Scan)]
    step_ops = [type(n.op).__name__ for n in loop.op.step.fgraph.toposort()]
    assert step_ops.count("MatMul") == 1  # h @ u stays; x_t @ w is x @ w before the loop
    f = ac.function(inputs, hs, mode=REWRITTEN)
    rng = np.random.default_rng(5)
    for shape in ((6, 2, 3), (1, 1, 3), (0, 2, 3)):
        x = rng.normal(size=shape)
        values = x, rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3), \
            rng.normal(size=shape[1:])
        np.testing.assert_allclose(f(*values), numpy_rnn(*values), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("step", ["a matrix changing per step", "a while loop", "an integer product"])
def test_products_that_are_not_sequence_work_stay_in_the_step(step):
    x, w = ac.dmatrix("x"), ac.dmatrix("w")
    if step == "a matrix changing per step":
        out, _ = ac.scan(lambda xt, h: h @ w + xt @ h.T @ w, sequences=[x], outputs_info=[ac.zeros((3, 3))])
    elif step == "a while loop":
        out, _ = ac.scan(lambda xt, w: (xt @ w, ac.control.until(xt.sum() > 0)), sequences=[x], non_sequences=[w])
    else:
        xi, wi = ac.lmatrix("xi"), ac.lmatrix("wi")
        out, _ = ac.scan(lambda xt, wi: xt @ wi, sequences=[xi], non_sequences=[wi])
        x, w = xi, wi
    fired, _ = ops_after_rewriting([out], [x, w], "scan_pushes_out_sequence_products")
    assert not fired


def compare_with_numpy(inputs, outputs, oracle, samples):
    """The rewritten function's values against ``oracle``'s on each sample's arrays."""
    f = ac.function(inputs, outputs, mode=REWRITTEN)
    for values in samples:
        for got, expected in zip(f(*values), oracle(*values), strict=True):
            np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("backwards", [False, True])
def test_a_carried_sum_of_products_is_one_product_after_the_loop(backwards):
    x, y, a0 = ac.dtensor3("x"), ac.dtensor3("y"), ac.dmatrix("a0")
    # what a gradient's loop accumulates for a weight: x_t.T @ g_t, g_t computed in the step
    sums, _ = ac.scan(lambda xt, yt, acc: acc + xt.T @ ac.tanh(yt * 2), sequences=[x, y], outputs_info=[a0],
                      go_backwards=backwards)
    fgraph = ac.FunctionGraph([x, y, a0], [sums[-1]])
    report = standard_rewriter()(fgraph)
    assert report.rules["scan_pushes_out_accumulated_products"].fired > 0
    (loop,) = [n for n in fgraph.toposort() if isinstance(n.op, Scan)]
    assert loop.op.info.n_carried == 0 and loop.op.info.n_outputs == 1  # tanh(y_t * 2) stacked; x read as it is

    def oracle(x, y, a0):
        return [a0 + np.einsum("tbi,tbj->ij", x, np.tanh(y * 2))]

    rng = np.random.default_rng(6)
    compare_with_numpy([x, y, a0], [sums[-1]], oracle,
                       [(rng.normal(size=(t, 2, 3)), rng.normal(size=(t, 2, 4)), rng.normal(size=(3, 4)))
                        for t in (5, 1)])


def test_a_carried_sum_read_elsewhere_in_the_step_stays_carried():
    x, a0 = ac.dtensor3("x"), ac.dmatrix("a0")
    # the running sum is read by the step's other output too: it cannot become a product after the loop
    (acc, seen), _ = ac.scan(lambda xt, acc: (acc + xt.T @ xt, acc.sum()), sequences=[x],
                             outputs_info=[a0, None])
    fired, _ = ops_after_rewriting([acc, seen], [x, a0], "scan_pushes_out_accumulated_products")
    assert not fired


def test_the_shapes_a_step_measures_of_sequence_entries_are_measured_once_before_the_loop():
    x, y = ac.dmatrix("x"), ac.dmatrix("y")

    def step(xt, yt):
        total = xt + yt
        return total * total.shape[0] + xt.shape[0]

    out, _ = ac.scan(step, sequences=[x, y])
    fgraph = ac.FunctionGraph([x, y], [out])
    report = standard_rewriter()(fgraph)
    assert report.rules["scan_hoists_step_shapes"].fired > 0
    (loop,) = [n for n in fgraph.toposort() if isinstance(n.op, Scan)]
    assert not [n for n in loop.op.step.fgraph.toposort() if isinstance(n.op, ac.Shape)]
    rng = np.random.default_rng(7)
    compare_with_numpy([x, y], [out], lambda x, y: [(x + y) * np.broadcast_shapes(x.shape[1:], y.shape[1:])[0]
                                                    + x.shape[1]],
                       [(rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),
                        (rng.normal(size=(2, 1)), rng.normal(size=(2, 5)))])
    with pytest.raises(ValueError):  # the step's values still do not broadcast
        ac.function([x, y], out, mode=REWRITTEN)(np.ones((2, 3)), np.ones((2, 4)))


def test_a_shape_only_a_step_value_gives_stays_in_the_step():
    x = ac.dmatrix("x")
    # the row's length is the carried value's, which may change from step to step
    out, _ = ac.scan(lambda xt, acc: acc[: (xt * acc[0]).shape[0]] + 1, sequences=[x],
                     outputs_info=[ac.zeros(3)])
    fired, _ = ops_after_rewriting([out], [x], "scan_hoists_step_shapes")
    assert not fired


def window_loop(read=lambda window: window[0], give=lambda y: y[None], init_rows=1):
    """A loop carrying a window of one entry, as a gradient's loop carries the gradient of a state read at the
    previous step: ``dh = (window[0] * x_t) @ u`` given back as ``dh[None]``; ``(window, ys)`` of ``(x, u, d0)``."""
    x, u = ac.dtensor3("x"), ac.dmatrix("u")
    d0 = ac.tensor("float64", (init_rows, None, None), "d0")
    xt, window, uu = x[0].type(), d0.type(), u.type()
    y = (read(window) * xt) @ uu
    info = ac.control.ScanInfo(seq_taps=((0,),), state_taps=(), n_outputs=1, n_carried=1, n_non_sequences=1)
    ys, last = Scan(info, ac.control.InnerGraph([xt, window, uu], [ac.tanh(y), give(y)]), "window")(
        x.shape[0], x, d0, u)
    return [x, u, d0], [last, ys]


def test_a_carried_window_of_one_entry_is_carried_as_its_entry():
    inputs, outputs = window_loop()
    fired, _ = ops_after_rewriting(outputs, inputs, "scan_carries_window_entry")
    assert fired
    _, (loop,) = rewritten_scans(inputs, outputs)
    assert loop.op.step.inputs[1].type.ndim == 2  # the entry, not the window
    assert not any(isinstance(n.op, (ac.Subtensor, ac.DimShuffle)) for n in loop.op.step.fgraph.toposort())
    rng = np.random.default_rng(3)
    values = [rng.normal(size=(5, 2, 3)), rng.normal(size=(3, 3)) / 2, rng.normal(size=(1, 2, 3))]
    expected = ac.function(inputs, outputs, mode="reference")(*values)
    got = ac.function(inputs, outputs, mode=REWRITTEN)(*values)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-12)
    none = ac.function(inputs, outputs, mode=REWRITTEN)(values[0][:0], *values[1:])  # no step: the window as given
    np.testing.assert_array_equal(none[0], values[2])


@pytest.mark.parametrize("case", ["reads row 1", "also reads it whole", "given as a sum", "of unknown length"])
def test_a_window_read_or_given_otherwise_stays(case):
    read, give, rows = lambda w: w[0], lambda y: y[None], 1
    if case == "reads row 1":
        read, rows = (lambda w: w[1]), 2
    elif case == "also reads it whole":
        read = lambda w: w[0] + w.sum(axis=0)  # noqa: E731
    elif case == "given as a sum":
        give = lambda y: y[None] + 0.5  # noqa: E731
    else:
        rows = None
    inputs, outputs = window_loop(read, give, rows)
    fired, _ = ops_after_rewriting(outputs, inputs, "scan_carries_window_entry")
    assert not fired
