"""Control-flow rewrites: inlined OpFromGraph, ifelse of a constant condition."""

from __future__ import annotations

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.control import IfElse, OpFromGraph
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
