"""The entry points: optimize, explain, standard_rewriter in a Mode, and what they return."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import arignote_core as ac
import arignote_opt
from arignote_opt import RewriteError, optimize, standard_rewriter


def test_optimize_returns_what_it_was_given():
    x = ac.dvector("x")
    single = optimize(ac.log(1 + x))
    assert isinstance(single, ac.Variable) and ac.pprint(single) == "log1p(x)"
    several = optimize([ac.exp(x) - 1, x * 1])
    assert isinstance(several, list) and several[1] is x
    fgraph = ac.FunctionGraph([x], [x + 0])
    assert optimize(fgraph) is fgraph and fgraph.outputs[0] is fgraph.inputs[0]


def test_optimized_outputs_run_on_the_reference_evaluator_over_the_callers_inputs():
    x, y = ac.dmatrix("x"), ac.dvector("y")
    expr = ac.sum(ac.exp(x - ac.max(x, axis=1, keepdims=True)) * y, axis=1)
    rewritten = optimize(expr)
    f = ac.function([x, y], rewritten)
    xv, yv = np.random.default_rng(0).normal(size=(3, 4)), np.arange(4.0)
    expected = np.sum(np.exp(xv - xv.max(axis=1, keepdims=True)) * yv, axis=1)
    np.testing.assert_allclose(f(xv, yv), expected, rtol=1e-12)


def test_a_mode_with_the_standard_rewriter_compiles_rewritten_graphs_that_pickle():
    x = ac.dvector("x")
    mode = ac.Mode(rewriter=standard_rewriter())
    f = ac.function([x], ac.log(1 + x), mode=mode)
    assert [str(n.op) for n in f.fgraph.toposort()] == ["Elemwise{log1p}"]
    assert f(np.array([1e-20]))[0] == 1e-20
    assert pickle.loads(pickle.dumps(f))(np.array([1e-20]))[0] == 1e-20


def test_shared_variables_and_updates_survive_rewriting():
    w = ac.shared(np.ones(3), "w")
    x = ac.dvector("x")
    f = ac.function([x], (w * x).sum(), updates={w: w - 0.5 * x}, mode=ac.Mode(rewriter=standard_rewriter()))
    assert float(f(np.array([1.0, 2.0, 3.0]))) == 6.0
    np.testing.assert_array_equal(w.get_value(), [0.5, 0.0, -0.5])


def test_explain_reports_rules_phases_and_graphs():
    x = ac.dmatrix("x")
    explanation = arignote_opt.explain(ac.log(ac.sum(ac.exp(x), axis=1)))
    assert explanation.report.fired()["log_of_sum_of_exp"] == 1
    assert [p.name for p in explanation.report.phases] == ["canonicalize", "stabilize", "specialize", "blas", "fuse"]
    text = str(explanation)
    assert "log_of_sum_of_exp" in text and "before:" in text and "LogSumExp" not in explanation.after
    assert "FusedReduce" in explanation.after


def test_excluding_phases_rules_and_tags():
    x = ac.dvector("x")
    assert ac.pprint(optimize(ac.log(1 + x), exclude=["stabilize", "fuse"])) == "log(x + 1.0)"
    assert ac.pprint(optimize(ac.log(1 + x), exclude=["log1p", "fuse"])) == "log(x + 1.0)"
    assert ac.pprint(optimize(ac.log(1 + x), exclude=["stability", "fusion"])) == "log(x + 1.0)"
    assert standard_rewriter(exclude=["fuse"]).phase_names() == ["canonicalize", "stabilize", "specialize", "blas"]


def test_strict_mode_raises_for_a_broken_user_rule():
    from arignote_opt.tensor import CANONICALIZE

    class Broken(ac.Op):
        def make_node(self, x):
            return ac.Apply(self, [x], [x.type])

        def perform(self, node, inputs):
            return [inputs[0]]

        def canonicalize(self, fgraph, node):
            raise RuntimeError("broken on purpose")

    assert CANONICALIZE.method == "canonicalize"
    x = ac.dvector("x")
    with pytest.raises(RewriteError, match="Broken.canonicalize failed"):
        optimize(Broken()(x), strict=True)
    with pytest.warns(arignote_opt.RewriteWarning, match="broken on purpose"):
        assert optimize(Broken()(x)).owner.op.__class__ is Broken


def test_the_fingerprint_names_phases_rules_and_options():
    text = standard_rewriter().fingerprint()
    assert text == standard_rewriter().fingerprint()
    assert "canonical_sum" in text and "fuse_elementwise" in text and arignote_opt.__version__ in text
    assert standard_rewriter(exclude=["log1p"]).fingerprint() != text
    assert "fuse_elementwise" not in standard_rewriter(exclude=["fuse"]).fingerprint()
