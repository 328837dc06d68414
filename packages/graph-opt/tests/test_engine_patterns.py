"""The pattern language and its text syntax, on an op set that is not tensors (booleans)."""

from __future__ import annotations

import pytest
from boolean_ops import AND, BOOL, NOT, OR, VOCABULARY, And, Not, boolean

from arignote_core import Apply, Constant, Op
from arignote_opt import Call, Const, Node, Ref, Var
from arignote_opt.engine import PatternSyntaxError, parse_pattern, parse_rule, parse_template


def matches(pattern, var):
    return list(pattern.match(var, {}))


def test_text_pattern_reads_as_the_objects_it_stands_for():
    pattern, template = parse_rule("not (not x) -> x", VOCABULARY)
    assert isinstance(pattern, Node) and pattern.op == NOT
    assert isinstance(pattern.args[0], Node) and isinstance(pattern.args[0].args[0], Var)
    assert isinstance(template, Ref) and template.name == "x"
    a = BOOL("a")
    (bindings,) = matches(pattern, NOT(NOT(a)))
    assert bindings["x"] is a
    assert matches(pattern, NOT(a)) == []


def test_commutative_ops_match_in_either_order_and_others_do_not():
    a = BOOL("a")
    pattern = parse_pattern("x and True", VOCABULARY)
    assert [b["x"] for b in matches(pattern, AND(a, True))] == [a]
    assert [b["x"] for b in matches(pattern, AND(True, a))] == [a]

    @dataclass_op
    class Implies(Op):
        def make_node(self, p, q):
            return Apply(self, [boolean(p), boolean(q)], [BOOL])

    implies = Implies()
    non_commutative = parse_pattern("implies(False, x)", {**VOCABULARY, "implies": implies})
    assert len(matches(non_commutative, implies(False, a))) == 1
    assert matches(non_commutative, implies(a, False)) == []


def dataclass_op(cls):
    from dataclasses import dataclass

    return dataclass(frozen=True)(cls)


def test_a_variable_named_twice_must_match_the_same_variable():
    a, b = BOOL("a"), BOOL("b")
    pattern = parse_pattern("x or x", VOCABULARY)
    assert len(matches(pattern, OR(a, a))) == 1
    assert matches(pattern, OR(a, b)) == []
    # equal constants count as the same
    assert matches(pattern, OR(Constant(BOOL, True), Constant(BOOL, True)))


def test_constants_match_by_value_and_any_constant_matches_const_none():
    a = BOOL("a")
    assert len(matches(Node(AND, Var("x"), Const(True)), AND(a, True))) == 1
    assert matches(Node(AND, Var("x"), Const(False)), AND(a, True)) == []
    (bindings,) = matches(Node(AND, Var("x"), Const(name="c")), AND(a, False))
    assert isinstance(bindings["c"], Constant) and bindings["c"].data is False
    assert matches(Node(AND, Const(), Const()), AND(a, True)) == []


def test_op_classes_and_predicates_match_families_of_ops():
    a = BOOL("a")
    assert len(matches(Node(Not, Var("x")), NOT(a))) == 1
    assert len(matches(Node(lambda op: isinstance(op, And | Not), Var("x"), Var("y")), AND(a, a))) == 1
    assert matches(Node(And, Var("x")), NOT(a)) == []


def test_constraints_restrict_variables_and_nodes():
    a = BOOL("a")
    only_inputs = parse_pattern("not x", VOCABULARY, where={"x": lambda v: v.owner is None})
    assert len(matches(only_inputs, NOT(a))) == 1
    assert matches(only_inputs, NOT(NOT(a))) == []
    named = Node(NOT, Var("x"), where=lambda node: node.inputs[0].name == "a", name="root")
    (bindings,) = matches(named, NOT(a))
    assert bindings["root"].owner.op == NOT
    assert matches(named, NOT(BOOL("b"))) == []


def test_templates_build_replacements_from_bindings():
    a = BOOL("a")
    template = parse_template("not (x or True)", VOCABULARY)
    built = template.build({"x": a})
    assert built.owner.op == NOT and built.owner.inputs[0].owner.op == OR
    assert isinstance(Call(NOT, Ref("x")).build({"x": a}).owner.op, Not)
    constant = parse_template("False", VOCABULARY).build({})
    assert isinstance(constant, Constant) and constant.data is False
    with pytest.raises(KeyError, match="'y'"):
        parse_template("not y", VOCABULARY).build({"x": a})


@pytest.mark.parametrize("text, message", [
    ("not x", "pattern -> replacement"),
    ("x -> x", "must apply an op"),
    ("nand(x, y) -> x", "'nand' is not in the vocabulary"),
    ("not x -> x[0]", "unsupported syntax"),
    ("not (x -> x", "not an expression"),
    ("a < b < c -> a", "chained comparisons"),
])
def test_bad_pattern_text_is_refused_with_the_reason(text, message):
    with pytest.raises(PatternSyntaxError, match=message):
        parse_rule(text, {**VOCABULARY, "<": AND})


def test_constraints_on_names_the_pattern_does_not_use_are_refused():
    with pytest.raises(PatternSyntaxError, match=r"\['y'\]"):
        parse_rule("not x -> x", VOCABULARY, where={"y": bool})


def test_a_plain_value_replacement_needs_a_constant_maker():
    with pytest.raises(PatternSyntaxError, match="'constant'"):
        parse_rule("x and False -> False", {"and": AND})
