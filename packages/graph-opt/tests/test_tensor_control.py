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
