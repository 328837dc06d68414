"""Control-flow nodes in the C backend: their inner graphs (a scan's step, ifelse's branches, an OpFromGraph's
graph) are compiled by the backend once, not run on the reference evaluator at every step."""

from __future__ import annotations

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.control import InnerGraph, OpFromGraph


@pytest.fixture
def reference_inner_graphs_fail(monkeypatch):
    """Make running an inner graph on the reference evaluator an error: what still works compiled them."""

    def refuse(self, values):
        raise AssertionError("an inner graph ran on the reference evaluator")

    monkeypatch.setattr(InnerGraph, "run", refuse)


def rnn(T, batch, hidden, rng):
    x, w, u, b, h0 = ac.dtensor3("x"), ac.dmatrix("w"), ac.dmatrix("u"), ac.dvector("b"), ac.dmatrix("h0")
    hs, _ = ac.scan(lambda xt, h, w, u, b: ac.tanh(xt @ w + h @ u + b), sequences=[x], outputs_info=[h0],
                    non_sequences=[w, u, b])
    values = [rng.normal(size=(T, batch, hidden)), rng.normal(size=(hidden, hidden)) * 0.3,
              rng.normal(size=(hidden, hidden)) * 0.3, rng.normal(size=hidden), rng.normal(size=(batch, hidden))]
    h = values[4]
    expected = []
    for t in range(T):
        h = np.tanh(values[0][t] @ values[1] + h @ values[2] + values[3])
        expected.append(h)
    return [x, w, u, b, h0], hs, values, np.array(expected)


def test_a_scan_step_runs_compiled_in_c_mode(reference_inner_graphs_fail):
    inputs, hs, values, expected = rnn(20, 3, 5, np.random.default_rng(0))
    f = ac.function(inputs, hs, mode="c")
    np.testing.assert_allclose(f(*values), expected, rtol=1e-12)
    with pytest.raises(AssertionError, match="reference evaluator"):
        ac.function(inputs, hs, mode="reference")(*values)


def test_branches_and_graph_ops_run_compiled_and_the_branch_not_taken_never_runs(reference_inner_graphs_fail):
    c, m = ac.dscalar("c"), ac.dmatrix("m")
    a, b = ac.dmatrix("a"), ac.dmatrix("b")
    op = OpFromGraph([a, b], [a @ b + 1])
    out = ac.ifelse(c > 0, ac.linalg.cholesky(op(m, m.T)), m)
    f = ac.function([c, m], out, mode="c")
    indefinite = -np.eye(3)
    np.testing.assert_array_equal(f(-1.0, indefinite), indefinite)
    spd = np.eye(3) * 2
    np.testing.assert_allclose(f(1.0, spd), np.linalg.cholesky(spd @ spd.T + 1))


def test_an_error_in_a_compiled_step_still_names_the_scan_and_the_step():
    x = ac.dmatrix("x")
    idx = ac.lvector("idx")
    ys, _ = ac.scan(lambda i, x: x[i], sequences=[idx], non_sequences=[x], name="picker")
    f = ac.function([idx, x], ys, mode="c")
    with pytest.raises(IndexError) as info:
        f(np.array([0, 1, 7]), np.zeros((2, 2)))
    message = str(info.value)
    assert "picker" in message and "step 2 of 3" in message
