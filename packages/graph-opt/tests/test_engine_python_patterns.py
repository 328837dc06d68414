"""Patterns written in Python, the one form of a structural rule: operators, op families, variadic inputs,
bindings of ops, selections seen through, alternatives, ground forms, and what a replacement function gets."""

from __future__ import annotations

import numpy as np
import pytest

import arignote_core as ac
from arignote_core import Alloc, DimShuffle, FunctionGraph, Reshape, Subtensor
from arignote_opt import Const, Node, Var
from arignote_opt.engine import AnyOf, Is, PatternRule, RuleSet, Through, parse_pattern
from arignote_opt.tensor import rulesets
from arignote_opt.tensor.vocabulary import VOCABULARY, P, elemwise, reduction


def matches(pattern, var):
    return list(pattern.match(var, {}))


def test_python_operators_build_the_patterns_the_text_syntax_reads():
    x = Var("x")
    for written, text in [(P.log(1 + x), "log(1 + x)"), (x ** 2, "x ** 2"), (-x * 3, "-x * 3"),
                          (x / (x - 1), "x / (x - 1)")]:
        assert repr(written) == repr(parse_pattern(text, VOCABULARY))
    v = ac.dvector("v")
    assert [b["x"] for b in matches(1 + x, 1 + v)] == [v]
    assert [b["x"] for b in matches(1 + x, v + 1)] == [v]  # add commutes
    assert matches(1 - x, v - 1) == []  # subtract does not
    with pytest.raises(TypeError, match="pattern or a number"):
        x + "one"


def test_op_families_rest_of_inputs_and_bound_ops():
    m = ac.dmatrix("m")
    n = ac.lscalar("n")
    alloc = ac.alloc(m, n, 2, 3)
    (found,) = matches(Node(Alloc, Var("value"), rest="dims", op_as="op"), alloc)
    assert found["value"] is m and len(found["dims"]) == 3 and isinstance(found["op"], Alloc)
    assert matches(Node(Alloc, Var("value")), alloc) == []  # fixed arity without rest or ...
    assert len(matches(Node(Alloc, ...), alloc)) == 1
    family = Node((Reshape, DimShuffle), Var("x"), ...)
    assert len(matches(family, m.T)) == 1 and len(matches(family, m.reshape((-1,)))) == 1
    assert matches(family, m + 1) == []
    assert set(family.index_keys()) == {Reshape, DimShuffle}
    sums = Node(reduction("add"), Var("x"), op_as="total")
    assert [b["total"].axes for b in matches(sums, m.sum(axis=1))] == [(1,)]
    assert matches(sums, m.max(axis=1)) == []


def test_a_name_bound_twice_must_be_the_same_thing():
    a, b = ac.dvector("a"), ac.dvector("b")
    same = Var("x") * Var("x")
    assert len(matches(same, a * a)) == 1
    assert matches(same, a * b) == []
    outer = Node(DimShuffle, Node(DimShuffle, Var("x"), op_as="op"), op_as="op")
    m = ac.dmatrix("m")
    assert len(matches(outer, m.T.T)) == 1  # the same transpose twice
    assert matches(outer, m.dimshuffle(1, 0, "x").dimshuffle(0, 1)) == []


def test_through_sees_past_selections_and_binds_them_outermost_first():
    m = ac.dmatrix("m")
    s = ac.softmax(m, axis=1)
    pattern = Through((DimShuffle, Subtensor), Node(ac.Softmax, Var("x")), chain_as="chain", depth=2)
    (direct,) = matches(pattern, s)
    assert direct["chain"] == () and direct["x"] is m
    picked = s.T[1]
    (found,) = matches(pattern, picked)
    assert [type(n.op) for n in found["chain"]] == [Subtensor, DimShuffle]
    assert matches(pattern, s.T[1][0]) == []  # three selections: deeper than allowed


def test_any_of_tries_each_alternative():
    a = ac.dvector("a")
    shifted = AnyOf(Var("v") - Var("m"), Var("v") + -Var("m"))
    assert len(matches(shifted, a - 1.0)) == 1
    assert len(matches(shifted, a + -a)) == 1
    assert matches(shifted, a * 2.0) == []


def test_ground_forms_match_exactly_and_build_what_they_describe():
    x, y = ac.dvector("x"), ac.dvector("y")
    form = Node(elemwise("add"), Is(x), Node(elemwise("multiply"), Is(y), Const(2)), commutative=False)
    built = form.build()
    assert len(matches(form, built)) == 1
    assert matches(form, (y * 2) + x) == []  # exact order: a canonical form does not commute
    assert matches(Is(x), ac.dvector("x")) == []  # the variable itself, not one like it
    f = ac.function([x, y], built)
    np.testing.assert_allclose(f([1.0, 2.0], [3.0, 4.0]), [7.0, 10.0])
    with pytest.raises(TypeError, match="unbound"):
        (Var("x") + 1).build()


def test_a_replacement_function_gets_bindings_and_asks_for_the_graph_and_node():
    rules = RuleSet("test", vocabulary=VOCABULARY)
    seen = {}

    @rules.rule(Node(elemwise("exp"), Var("x"), name="out"), tags=("t",))
    def exp_seen(fgraph, node, x, out):
        seen.update(fgraph=fgraph, node=node, x=x, out=out)
        return {out: x}

    rule = rules["exp_seen"]
    assert isinstance(rule, PatternRule) and not rule.quiet_type_mismatch and rule.tags == {"t"}
    x = ac.dvector("x")
    y = ac.exp(x)
    fgraph = FunctionGraph([x], [y])
    assert rule.transform(fgraph, y.owner) == {y: x}
    assert seen == {"fgraph": fgraph, "node": y.owner, "x": x, "out": y}
    # a template's mismatched proposal is dropped quietly: templates are written without dtypes
    assert rules.pattern("t2", "exp(x) -> x").quiet_type_mismatch


def test_every_structural_rule_of_the_tensor_rule_sets_is_a_pattern():
    sets = [rulesets.FOLD, rulesets.CANONICALIZE, rulesets.SHAPE, rulesets.INDEXING, rulesets.STABILIZE,
            rulesets.SPECIALIZE, rulesets.BLAS, rulesets.FUSE]
    node_rules = [rule for rule_set in sets for rule in rule_set.node_rules]
    assert node_rules
    assert [rule.name for rule in node_rules if not isinstance(rule, PatternRule)] == []
