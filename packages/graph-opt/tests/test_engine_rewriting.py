"""The engine on a non-tensor op set: rule sets, phases, fixpoint and single pass, merging, guards, failures,
source locations, reports, and linear work."""

from __future__ import annotations

import ast
import itertools
import pathlib
import warnings
from dataclasses import dataclass
from typing import Any

import pytest
from boolean_ops import AND, BOOL, NOT, OR, VOCABULARY, Not, boolean

from arignote_core import Apply, Constant, FunctionGraph, Op, SourceLocation, Type, Variable
from arignote_core.evaluator import ReferenceProgram
from arignote_opt import Phase, RewriteError, RewriteOptions, Rewriter, RewriteWarning, RuleSet, explain, optimize


def simplify_rules() -> RuleSet:
    rules = RuleSet("logic", vocabulary=VOCABULARY)
    rules.pattern("double_negation", "not (not x) -> x", tags=("negation",))
    rules.pattern("and_true", "x and True -> x")
    rules.pattern("and_false", "x and False -> False")
    rules.pattern("or_self", "x or x -> x")
    rules.pattern("de_morgan", "not (x and y) -> (not x) or (not y)", tags=("negation",))
    return rules


def strict(*rule_sets: RuleSet, fixpoint: bool = True, merge: bool = True) -> Rewriter:
    return Rewriter([Phase("logic", rule_sets, fixpoint=fixpoint, merge=merge)], RewriteOptions(strict=True))


def truth_table(outputs: list[Variable], inputs: list[Variable]) -> list[list[bool]]:
    program = ReferenceProgram(FunctionGraph(inputs, outputs))
    return [[bool(v) for v in program(list(values))] for values in itertools.product([False, True],
                                                                                     repeat=len(inputs))]


def test_rewriting_keeps_every_truth_value_and_simplifies():
    a, b = BOOL("a"), BOOL("b")
    outputs = [NOT(AND(NOT(NOT(a)), NOT(b))), OR(AND(a, True), AND(a, True)), AND(b, False)]
    rewritten = optimize(outputs, strict(simplify_rules()))
    assert truth_table(rewritten, [a, b]) == truth_table(outputs, [a, b])
    assert rewritten[1] is a
    assert isinstance(rewritten[2], Constant) and rewritten[2].data is False
    first = rewritten[0].owner
    assert first.op == OR and [i.owner.op if i.owner else i for i in first.inputs].count(NOT) == 1


def test_fixpoint_revisits_what_rules_create_and_a_single_pass_does_not():
    a, b = BOOL("a"), BOOL("b")
    expr = NOT(AND(NOT(a), NOT(b)))
    fixed = optimize(expr, strict(simplify_rules()))
    assert fixed.owner.op == OR and fixed.owner.inputs == [a, b]
    once = optimize(expr, strict(simplify_rules(), fixpoint=False))
    assert once.owner.op == OR
    assert all(i.owner is not None and i.owner.op == NOT for i in once.owner.inputs)
    assert truth_table([once], [a, b]) == truth_table([fixed], [a, b])


def test_a_node_meets_only_the_rules_filed_under_its_op():
    rules = simplify_rules()
    assert [r.name for r in rules.rules_for(NOT)] == ["double_negation", "de_morgan"]
    assert [r.name for r in rules.rules_for(AND)] == ["and_true", "and_false"]
    a = BOOL("a")
    _, report = _run(strict(rules), [NOT(a)], [a])
    assert report.rules["double_negation"].tried == 1
    assert "and_true" not in report.rules


def _run(rewriter: Rewriter, outputs: list[Variable], inputs: list[Variable]):
    fgraph = FunctionGraph(inputs, outputs)
    return fgraph, rewriter(fgraph)


def test_rules_that_track_every_node_and_graph_rules_run_too():
    rules = RuleSet("any")
    seen: list[str] = []

    @rules.node_rule()
    def record(fgraph, node):
        seen.append(type(node.op).__name__)

    @rules.graph_rule()
    def count_nodes(fgraph):
        return len(fgraph.apply_nodes)

    a = BOOL("a")
    _, report = _run(strict(rules), [AND(NOT(a), a)], [a])
    assert sorted(seen) == ["And", "Not"]
    assert report.rules["count_nodes"].fired == 2


def test_duplicate_rule_names_are_refused():
    rules = simplify_rules()
    with pytest.raises(ValueError, match="already has a rule named 'and_true'"):
        rules.pattern("and_true", "x and True -> x")


def test_an_op_without_registered_rules_can_bring_its_own_method():
    @dataclass(frozen=True)
    class Xor(Op):
        def make_node(self, a: Any, b: Any) -> Apply:
            return Apply(self, [boolean(a), boolean(b)], [BOOL])

        def perform(self, node, inputs):
            return [inputs[0] != inputs[1]]

        def simplify(self, fgraph, node):
            a, b = node.inputs
            return OR(AND(a, NOT(b)), AND(NOT(a), b))

    rules = RuleSet("logic", method="simplify")
    a, b = BOOL("a"), BOOL("b")
    expr = Xor()(a, b)
    explanation = explain(expr, strict(rules))
    assert explanation.report.fired() == {"Xor.simplify": 1}
    assert truth_table([explanation.result], [a, b]) == truth_table([expr], [a, b])


def test_excluded_rules_and_tags_do_not_run():
    a = BOOL("a")
    expr = NOT(NOT(AND(a, True)))
    by_name = optimize(expr, strict(simplify_rules()).excluding("double_negation"))
    assert by_name.owner.op == NOT
    by_tag = optimize(expr, strict(simplify_rules()).excluding("negation"))
    assert by_tag.owner.op == NOT and by_tag.owner.inputs[0].owner.inputs[0] is a


def test_merge_unites_equal_computations_and_equal_constants():
    a, b = BOOL("a"), BOOL("b")
    left, right = NOT(AND(a, b)), NOT(AND(a, b))
    t1, t2 = Constant(BOOL, True), Constant(BOOL, True)
    fgraph, report = _run(strict(RuleSet("none")), [OR(left, right), AND(t1, a), AND(t2, b)], [a, b])
    assert len(fgraph.apply_nodes) == 5
    first, second = fgraph.outputs[0].owner.inputs
    assert first is second
    assert fgraph.outputs[1].owner.inputs[0] is fgraph.outputs[2].owner.inputs[0]
    assert report.rules["merge"].fired == 2


def test_rewriting_removes_dead_nodes():
    a, b = BOOL("a"), BOOL("b")
    fgraph, _ = _run(strict(simplify_rules()), [AND(NOT(NOT(OR(a, b))), True)], [a, b])
    assert [type(n.op).__name__ for n in fgraph.toposort()] == ["Or"]


USER_LINE = SourceLocation("model.py", 42, "build")


def test_new_nodes_carry_the_source_line_of_the_node_they_replace():
    a, b = BOOL("a"), BOOL("b")
    expr = NOT(AND(a, b))
    expr.owner.source = USER_LINE
    rewritten = optimize(expr, strict(simplify_rules()))
    assert rewritten.owner.op == OR
    nodes = [rewritten.owner, *(i.owner for i in rewritten.owner.inputs)]
    assert {n.source for n in nodes} == {USER_LINE}


def failing_rules() -> RuleSet:
    rules = RuleSet("broken")

    @rules.node_rule(Not)
    def explodes(fgraph, node):
        raise ZeroDivisionError("rule bug")

    return rules


def test_strict_mode_turns_a_failing_rule_into_an_error_naming_rule_node_and_line():
    a = BOOL("a")
    expr = NOT(a)
    expr.owner.source = USER_LINE
    with pytest.raises(RewriteError) as info:
        optimize(expr, strict(failing_rules()))
    message = str(info.value)
    assert "rule explodes failed on Not(a)" in message and "ZeroDivisionError: rule bug" in message
    assert 'File "model.py", line 42, in build' in message


def test_without_strict_mode_a_failing_rule_is_reported_and_the_others_still_run():
    rules = failing_rules()
    rules.pattern("double_negation", "not (not x) -> x", vocabulary=VOCABULARY)
    a = BOOL("a")
    rewriter = Rewriter([Phase("logic", (rules,))])
    with pytest.warns(RewriteWarning, match="rule explodes failed"):
        result = explain(NOT(NOT(a)), rewriter)
    assert result.result is a
    assert result.report.rules["explodes"].failures == 2  # once on each Not node, never twice on one
    assert result.report.failures[0].rule == "explodes"
    assert "! rule explodes failed" in str(result)


@dataclass(frozen=True)
class Word(Type):
    def filter(self, value: Any, *, allow_downcast: bool = False) -> str:
        return str(value)


Word.variable_class = Variable
Word.constant_class = Constant


def test_a_replacement_of_another_type_is_refused():
    rules = RuleSet("wrong")

    @rules.node_rule(Not)
    def to_word(fgraph, node):
        return Constant(Word(), "no")

    a = BOOL("a")
    with pytest.raises(RewriteError, match=r"the replacement of .* \(bool\) by no has type"):
        optimize(NOT(a), strict(rules))


def test_a_replacement_using_what_it_replaces_is_refused():
    rules = RuleSet("cyclic")

    @rules.node_rule(Not)
    def wrap(fgraph, node):
        if node.inputs[0].owner is None:
            return AND(node.outputs[0], True)

    a = BOOL("a")
    with pytest.raises(RewriteError, match="would make a cycle"):
        optimize(NOT(a), strict(rules))


def test_rules_undoing_each_other_are_stopped_as_a_cycle():
    rules = RuleSet("ping_pong", vocabulary=VOCABULARY)

    @rules.node_rule(AND.__class__)
    def swap(fgraph, node):
        a, b = node.inputs
        return AND(b, a)

    a, b = BOOL("a"), BOOL("b")
    with pytest.raises(RewriteError, match="in a cycle"):
        optimize(AND(a, b), strict(rules))
    lenient = Rewriter([Phase("p", (rules,))], RewriteOptions(max_repeats=2))
    with pytest.warns(RewriteWarning, match="in a cycle"):
        result = optimize(AND(a, b), lenient)
    assert truth_table([result], [a, b]) == truth_table([AND(a, b)], [a, b])


def test_a_rule_that_keeps_growing_the_graph_hits_the_budget():
    rules = RuleSet("grow", vocabulary=VOCABULARY)
    rules.pattern("grow", "not x -> not (not (not x))")
    a = BOOL("a")
    with pytest.raises(RewriteError, match="stopped after"):
        optimize(NOT(a), Rewriter([Phase("p", (rules,))], RewriteOptions(strict=True, budget=5)))


def test_work_grows_linearly_with_the_graph():
    def tries(n: int) -> int:
        inputs = [BOOL(f"a{i}") for i in range(n)]
        outputs = [NOT(AND(NOT(NOT(x)), True)) for x in inputs]
        _, report = _run(strict(simplify_rules()), outputs, inputs)
        assert report.fired()["double_negation"] == n
        return sum(s.tried for s in report.rules.values())

    small, large = tries(50), tries(500)
    assert large <= 10 * small


def test_report_and_explanation_show_rules_phases_and_graphs():
    a = BOOL("a")
    explanation = explain(NOT(NOT(AND(a, True))), strict(simplify_rules()))
    text = str(explanation)
    assert "double_negation" in text and "and_true" in text and "logic" in text
    assert "before:" in text and "Not [id" in text and "after:" in text
    assert explanation.report.fired() == {"double_negation": 1, "and_true": 1}
    assert explanation.report.phases[0].nodes_before == 3 and explanation.report.phases[0].nodes_after == 0


def test_optimize_rewrites_a_graph_in_place_and_leaves_the_callers_variables_alone():
    a = BOOL("a")
    expr = NOT(NOT(a))
    fgraph = FunctionGraph([a], [expr], clone=False)
    assert optimize(fgraph, strict(simplify_rules())) is fgraph
    assert fgraph.outputs[0] is a
    copy_rewritten = optimize(NOT(NOT(a)), strict(simplify_rules()))
    assert copy_rewritten is a
    untouched = NOT(NOT(a))
    optimize([untouched], strict(simplify_rules()))
    assert untouched.owner.inputs[0].owner.op == NOT


def test_optimize_refuses_what_is_not_a_graph():
    with pytest.raises(TypeError, match="optimize takes symbolic variables"):
        optimize([1, 2], strict(simplify_rules()))


ENGINE = pathlib.Path(__file__).parents[1] / "src" / "arignote_opt" / "engine"


@pytest.mark.parametrize("module", sorted(p.name for p in ENGINE.glob("*.py")))
def test_the_engine_never_imports_the_tensor_library(module):
    tree = ast.parse((ENGINE / module).read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names]
    assert not [m for m in imported if "tensor" in m], imported


def test_warnings_do_not_leak_from_a_clean_run():
    a = BOOL("a")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimize(NOT(NOT(a)), Rewriter([Phase("p", (simplify_rules(),))]))

