"""Each exclusion explains the differences it is meant for and no others: a stabilized formula but not an
integer overflow, the sign of an intermediate zero but not a wrong power of -0, an undefined cast but not a
defined one, a step taken on a rounded value but not a wrong rounding; ``x - x`` on infinities is a finding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from arignote_fuzz.compare import Oracle, Verdict, judge
from arignote_fuzz.exclusions import EXCLUSIONS
from arignote_fuzz.ir import Case, Graph, Input, Node, Value
from arignote_fuzz.results import CallResult, ModeResult


def verdict_for(case: Case, *outputs: np.ndarray) -> Verdict:
    """What the fuzzer concludes when a mode returns ``outputs`` for the case's only call."""
    verdict = Verdict()
    judge(case, Oracle(case), ModeResult("mode", calls=[CallResult(outputs=list(outputs))]), verdict)
    return verdict


def one_node(dtype: str, value: object, template: str, op: str = "test", stable: str | None = None,
             helpers: tuple[str, ...] = ()) -> Case:
    x = Input("x", dtype, (None,) * np.ndim(value))
    node = Node("v", op, ("x",), template, helpers=helpers, stable=stable)
    return Case("t", Graph((x,), (node,), ("v",)), ({"x": Value(np.array(value, dtype=dtype))},))


def chain(dtype: str, value: object, *steps: tuple[str, str]) -> Case:
    """Nodes applied one after the other: (op, template of the previous value)."""
    nodes, previous = [], "x"
    for i, (op, template) in enumerate(steps):
        nodes.append(Node(f"v{i}", op, (previous,), template))
        previous = f"v{i}"
    x = Input("x", dtype, (None,) * np.ndim(value))
    return Case("t", Graph((x,), tuple(nodes), (previous,)), ({"x": Value(np.array(value, dtype=dtype))},))


def outcome(verdict: Verdict) -> tuple[set[str], set[str]]:
    return {f.kind for f in verdict.findings}, {name for _, name in verdict.excluded}


def test_a_stabilized_formula_is_excluded() -> None:
    case = one_node("float64", [1000.0, 1.0], "{m}.log(1 + {m}.exp({0}))", "log(1+exp(x))", "softplus({0})",
                    ("softplus",))
    assert outcome(verdict_for(case, np.array([1000.0, np.log1p(np.e)]))) == (set(), {"stabilized"})


def test_an_integer_overflow_that_log1p_hides_is_a_finding() -> None:
    case = one_node("int32", 2147483647, "{m}.log(1 + {0})", "log(1+x)", "stable_log1p({0})", ("stable_log1p",))
    assert outcome(verdict_for(case, np.array(np.log1p(2147483647.0)))) == ({"nan"}, set())


def test_x_minus_x_on_an_infinity_is_a_finding() -> None:
    case = one_node("float64", [np.inf, 1.0], "({0} - {0})", "x-x")
    assert outcome(verdict_for(case, np.array([0.0, 0.0]))) == ({"nan"}, set())


def test_the_sign_of_an_intermediate_zero_is_excluded() -> None:
    case = chain("float64", [-0.0, 2.0], ("x+0", "({0} + 0)"), ("binary/", "(1 / {0})"))
    assert outcome(verdict_for(case, np.array([-np.inf, 0.5]))) == (set(), {"signed_zero"})


def test_a_wrong_power_of_minus_zero_is_a_finding() -> None:
    case = one_node("float64", [-0.0, -np.inf], "({0} ** -0.5)", "x**-0.5")
    assert outcome(verdict_for(case, np.array([-np.inf, np.nan]))) == ({"value"}, set())


def test_an_undefined_cast_is_excluded_and_a_defined_one_is_not() -> None:
    nan_cast = chain("float64", [np.nan, 1.5], ("x+0", "({0} + 0)"), ("astype", "{0}.astype('int32')"))
    assert outcome(verdict_for(nan_cast, np.array([0, 1], dtype=np.int32))) == (set(), {"undefined_cast"})
    defined = chain("float64", [2.5, 1.5], ("x+0", "({0} + 0)"), ("astype", "{0}.astype('int32')"))
    assert outcome(verdict_for(defined, np.array([3, 1], dtype=np.int32))) == ({"value"}, set())


def test_a_step_on_a_rounded_value_is_excluded_and_a_wrong_step_is_not() -> None:
    rounded = chain("float64", [1 / 3, 0.75], ("binary*", "({0} * 3.0)"), ("floor", "{m}.floor({0})"))
    assert outcome(verdict_for(rounded, np.array([0.0, 2.0]))) == (set(), {"near_step"})
    wrong = chain("float64", [2.5 / 3, 0.75], ("binary*", "({0} * 3.0)"), ("floor", "{m}.floor({0})"))
    assert outcome(verdict_for(wrong, np.array([1.0, 2.0]))) == ({"value"}, set())


def test_rounding_that_the_tolerance_allows_is_not_a_difference() -> None:
    big = np.finfo(np.float64).max
    overflow = one_node("float64", [[big, big, -big]], "{m}.sum({0}, axis=1)", "sum")
    assert outcome(verdict_for(overflow, np.array([np.inf]))) == (set(), set())
    assert outcome(verdict_for(overflow, np.array([-np.inf]))) == (set(), set())  # products fused (FMA) may
    ordinary = one_node("float64", [[1.0, 2.0, 3.0]], "{m}.sum({0}, axis=1)", "sum")
    assert outcome(verdict_for(ordinary, np.array([6.0 + 1e-6]))) == ({"value"}, set())
    half_sum = one_node("float16", np.ones(4096), "{m}.sum({0})", "sum")
    assert outcome(verdict_for(half_sum, np.array(4096, dtype=np.float16))) == (set(), set())
    assert outcome(verdict_for(half_sum, np.array(2048, dtype=np.float16))) == (set(), set())


def gradient_verdict(template: str, op: str, value: list[float], gradient: list[float]) -> Verdict:
    """What the fuzzer concludes when a mode's gradient of sum(sin(v)) for ``v = template(x)`` is ``gradient``."""
    x = Input("x", "float64", (None,))
    graph = Graph((x,), (Node("v", op, ("x",), template),), ("v",))
    case = Case("t", graph, ({"x": Value(np.array(value))},), grad_output="v")
    verdict = Verdict()
    oracle = Oracle(case)
    outputs = [np.asarray(o) for o in oracle.calls[0].outputs]
    judge(case, oracle, ModeResult("mode", calls=[CallResult(outputs=outputs)], grad=[np.array(gradient)]),
          verdict)
    return verdict


def test_a_nan_gradient_is_excluded_only_where_the_chain_rule_meets_an_unbounded_derivative() -> None:
    # std of one element is constant (derivative 0), but (y - mean) / std is 0 / 0, as in JAX and PyTensor
    assert outcome(gradient_verdict("{m}.std({0}, keepdims=True)", "std", [0.0], [np.nan])) == \
        (set(), {"singular_gradient"})
    assert outcome(gradient_verdict("{m}.sin({0})", "sin", [0.0], [np.nan]))[0] == {"grad"}
    assert outcome(gradient_verdict("{m}.std({0}, keepdims=True)", "std", [0.0, 1.0], [0.0, 1.0]))[0] == {"grad"}


@pytest.mark.parametrize("exclusion", [e.name for e in EXCLUSIONS])
def test_the_readme_lists_every_exclusion(exclusion: str) -> None:
    readme = (Path(__file__).resolve().parents[1] / "fuzz" / "README.md").read_text(encoding="utf-8")
    assert f"`{exclusion}`" in readme


def test_a_division_multiplied_back_is_excluded_only_where_numpy_overflows() -> None:
    """``(127 / x) * x`` is 127 after the softmax gradient's cancellation: inf in NumPy where 127 / x overflows
    (x = 1e-308), excluded; a wrong finite value elsewhere, or the quotient multiplied by another value, is not."""
    x = Input("x", "float64", (None,))
    nodes = (Node("q", "literal/", ("x",), "(127 / {0})"), Node("v", "binary*", ("q", "x"), "({0} * {1})"))
    case = Case("t", Graph((x,), nodes, ("v",)), ({"x": Value(np.array([1e-308, 2.0]))},))
    assert outcome(verdict_for(case, np.array([127.0, 127.0]))) == (set(), {"stabilized"})
    assert outcome(verdict_for(case, np.array([127.0, 126.0])))[0] == {"value"}
    other = (Node("q", "literal/", ("x",), "({0} / 127)"), Node("v", "binary*", ("q", "x"), "({0} * {1})"))
    flipped = Case("t", Graph((x,), other, ("v",)), ({"x": Value(np.array([1e200, 2.0]))},))
    assert outcome(verdict_for(flipped, np.array([1.0, 4.0 / 127])))[0] == {"value"}


def test_a_periodic_function_of_a_huge_argument_is_compared_within_the_arguments_rounding() -> None:
    """cos(x) for x near 7e307 moves arbitrarily with x's last bit: any value in [-1, 1] is right there, and a
    wrong value at an ordinary argument is still a finding."""
    huge = one_node("float64", [6.868e307, 1.0], "{m}.cos({0})", "cos")
    assert outcome(verdict_for(huge, np.array([0.93, np.cos(1.0)])))[0] == set()
    ordinary = one_node("float64", [100.0, 1.0], "{m}.cos({0})", "cos")
    assert outcome(verdict_for(ordinary, np.array([np.cos(100.0) + 1e-6, np.cos(1.0)])))[0] == {"value"}


def test_the_log_of_a_softmax_is_excluded_only_where_numpy_gives_an_infinity() -> None:
    x = Input("x", "int32", (None,))
    nodes = (Node("s", "softmax", ("x",), "ar.softmax({0}, axis=0)", "softmax({0}, axis=0)", ("softmax",)),
             Node("v", "log", ("s",), "{m}.log({0})"))
    case = Case("t", Graph((x,), nodes, ("v",)), ({"x": Value(np.array([0, 2**31 - 1], dtype=np.int32))},))
    assert outcome(verdict_for(case, np.array([-2147483647.0, 0.0])))[1] == {"stabilized"}
    assert outcome(verdict_for(case, np.array([-2147483647.0, 100.0])))[0] == {"value"}


def test_sums_with_an_infinite_term_accept_any_infinity_or_nan_but_not_a_wrong_finite_value() -> None:
    x = Input("x", "float64", (None, None))
    case = Case("t", Graph((x,), (Node("v", "dot", ("x", "x"), "{m}.dot({0}, {1})"),), ("v",)),
                ({"x": Value(np.array([[np.inf, 0.0], [0.0, 1.0]]))},))
    with np.errstate(invalid="ignore"):
        expected = np.dot(np.array([[np.inf, 0.0], [0.0, 1.0]]), np.array([[np.inf, 0.0], [0.0, 1.0]]))
    assert outcome(verdict_for(case, np.where(np.isfinite(expected), expected, np.nan)))[0] == set()
    assert outcome(verdict_for(case, np.where(np.isfinite(expected), expected + 1, np.nan)))[0] == {"value"}


def test_a_set_value_with_extra_axes_not_of_size_one_is_refused_even_when_empty() -> None:
    """NumPy's advanced indexing takes a (3, 1, 0) value into an empty (0, 0) region; basic indexing, and
    Arignote, refuse a value whose extra leading axes are not of size 1."""
    from arignote_fuzz.twin import set_subtensor

    with pytest.raises(ValueError):
        set_subtensor(np.zeros((3, 1, 0)), np.s_[np.array([], dtype=int), 2:1:-1, np.array([0])], np.zeros((3, 1, 0)))
    np.testing.assert_array_equal(set_subtensor(np.zeros(3), np.s_[1:], np.ones((1, 1, 2))), [0, 1, 1])


def test_a_reciprocal_of_a_value_that_is_zero_up_to_rounding_is_excluded() -> None:
    x = Input("x", "float64", (None,))
    nodes = (Node("s", "var", ("x",), "{m}.var({0})"), Node("v", "reciprocal", ("s",), "{m}.reciprocal({0})"))
    case = Case("t", Graph((x,), nodes, ("v",)), ({"x": Value(np.full(9, -0.7311111111111112))},))
    assert outcome(verdict_for(case, np.array(8.1e31))) == (set(), {"near_pole"})
    spread = Case("t", Graph((x,), nodes, ("v",)), ({"x": Value(np.array([0.0, 1.0]))},))
    assert outcome(verdict_for(spread, np.array(8.0)))[0] == {"value"}


def test_a_cumulative_product_after_a_factor_that_is_zero_up_to_rounding_is_order_dependent() -> None:
    x = Input("x", "float64", (None,))
    nodes = (Node("d", "binary-", ("x", "x"), "({0} - {0} * 1.0000000000000002)"),
             Node("v", "cumprod", ("d",), "{m}.cumprod({0} + 1e30)"))
    case = Case("t", Graph((x,), nodes, ("v",)), ({"x": Value(np.array([1.0, 2.0]))},))
    oracle_value = Oracle(case).calls[0].outputs[0]
    assert outcome(verdict_for(case, np.asarray(oracle_value) * 0))[0] == set()


def test_quotients_and_remainders_are_judged_on_what_their_rounding_allows() -> None:
    """A floor division whose quotient is an integer up to rounding may fall either side; a remainder of a
    large dividend moves with the divisor's last bit; a wrong remainder of ordinary numbers is a finding."""
    x = Input("x", "float32", (None,))
    nodes = (Node("d", "literal*", ("x",), "({0} * 3.0)"), Node("v", "binary//", ("d", "x"), "({0} // {1})"))
    floor = Case("t", Graph((x,), nodes, ("v",)), ({"x": Value(np.array([0.4], dtype=np.float32))},))
    assert outcome(verdict_for(floor, np.array([2.0], dtype=np.float32)))[0] == set()  # (x * 3) / x is 3 +- ulps
    remainder = Case("t", Graph((x,), (Node("v", "literal%", ("x",), "(300 % {0})"),), ("v",)),
                     ({"x": Value(np.array([-1.3], dtype=np.float32))},))
    near = np.asarray(Oracle(remainder).calls[0].outputs[0]) + np.float32(3e-5)
    assert outcome(verdict_for(remainder, near.astype(np.float32)))[0] == set()
    assert outcome(verdict_for(remainder, near.astype(np.float32) + np.float32(0.1)))[0] == {"value"}


def test_finite_differences_skip_a_sawtooth_finer_than_their_step() -> None:
    from arignote_fuzz.oracle import finite_differences

    x = Input("x", "float64", (None,))
    fine = Case("t", Graph((x,), (Node("v", "literal%", ("x",), "({0} % 1e-300)"),), ("v",)),
                ({"x": Value(np.array([0.0]))},), grad_output="v")
    assert np.isnan(finite_differences(fine).gradients["x"]).all()
    coarse = Case("t", Graph((x,), (Node("v", "literal%", ("x",), "({0} % 2.5)"),), ("v",)),
                  ({"x": Value(np.array([1.0]))},), grad_output="v")
    np.testing.assert_allclose(finite_differences(coarse).gradients["x"], np.cos([1.0]), rtol=1e-5)


def test_a_product_chain_that_overflows_in_another_order_may_be_infinite_but_not_wrong() -> None:
    y = Input("y", "float64", (None,))
    nodes = (Node("q", "binary/", ("y", "y"), "({0} / {1})"), Node("v", "binary*", ("y", "q"), "({0} * {1})"))
    case = Case("t", Graph((y,), nodes, ("v",)), ({"y": Value(np.array([1.8e307, 2.0]))},))
    assert outcome(verdict_for(case, np.array([np.inf, 2.0])))[0] == set()  # (y * y) / y overflows
    assert outcome(verdict_for(case, np.array([1.8e307, 3.0])))[0] == {"value"}


def test_a_product_whose_kind_depends_on_its_order_is_excluded_downstream_too() -> None:
    """prod of inf beside two subnormals is inf in NumPy's order and NaN where the subnormals meet first
    (fuzz case 31337:3702); prod of float32 values near the largest beside a 0 is 0 or NaN, and a softmax of it 1
    or NaN (case 31337:2308). A product that no order changes, and a wrong finite value, are findings."""
    tiny = 5e-324
    case = one_node("float64", [np.inf, 1.0, tiny, tiny], "{m}.prod({0})", "prod")
    assert outcome(verdict_for(case, np.array(np.nan))) == (set(), {"reduction_order"})
    big = np.float32(3.4e38)
    assert np.prod(np.array([0.0, big, big, 1.5], np.float32)) == 0  # NumPy's order: the 0 first
    softmax = chain("float32", [0.0, big, big, 1.5], ("prod", "{m}.prod({0})[None]"),
                    ("test", "{m}.exp({0} - {0}.max()) / {m}.exp({0} - {0}.max()).sum()"))
    assert outcome(verdict_for(softmax, np.array([np.nan], np.float32))) == (set(), {"reduction_order"})
    # a mean whose sum is -inf in NumPy's order and NaN where the two largest meet first: isnan of it is either
    # (fuzz case 120714:1595); of a mean that no order changes, a wrong truth value is a finding
    huge = [0.0, -np.inf, 0.0, 1.0, 1.7976931348623158e307, 1.7976931348623157e308]
    isnan = chain("float64", huge, ("mean", "{m}.mean({0})"), ("test", "{m}.isnan({0})"))
    assert outcome(verdict_for(isnan, np.array(True))) == (set(), {"reduction_order"})
    steady = chain("float64", [1.0, 2.0], ("mean", "{m}.mean({0})"), ("test", "{m}.isnan({0})"))
    assert outcome(verdict_for(steady, np.array(True)))[0] == {"value"}
    plain = one_node("float64", [np.inf, 1.0, 2.0], "{m}.prod({0})", "prod")
    assert outcome(verdict_for(plain, np.array(np.nan))) == ({"nan"}, set())
    assert outcome(verdict_for(case, np.array(2.0)))[0] == {"value"}


def test_a_product_of_a_stabilized_formula_is_judged_by_the_stable_terms() -> None:
    """log(softmax) of int32 logits of +-2**31 is -inf in NumPy (the softmax underflows) and about -4.3e9 where the
    rewrite computes log_softmax; a product of it by weights of 2e9 cancels terms of 1.7e19 down to 1.3e10, known
    to a few ulp of those terms, not of the plain twin's finite ones (fuzz case 120721:842). A product far from
    the stable one stays a finding."""
    from arignote_fuzz.twin import log_softmax

    logits = np.array([[2**31 - 1, 2**31 - 1], [-2**31, -2**31]], dtype=np.int32)
    weights = np.array([[2e9, 1.0], [3.0 - 2e9, 1.0]])
    x, w = Input("x", "int32", (None, None)), Input("w", "float64", (None, None))
    nodes = (Node("v", "log(softmax)", ("x",), "ar.log(ar.softmax({0}, axis=-2))",
                  numpy="np.log(softmax({0}, axis=-2))", helpers=("softmax", "log_softmax"),
                  stable="log_softmax({0}, axis=-2)"),
             Node("p", "dot", ("v", "w"), "{m}.dot({0}, {1})"))
    case = Case("t", Graph((x, w), nodes, ("p",)), ({"x": Value(logits), "w": Value(weights)},))
    stable = np.dot(log_softmax(logits, axis=-2), weights)
    assert np.isnan(Oracle(case).calls[0].outputs[0][1, 0])
    terms = np.abs(log_softmax(logits, axis=-2)) @ np.abs(weights)
    assert terms[1, 0] > 1e9 * abs(stable[1, 0])  # the cancellation
    rounded = stable + 1e-14 * terms
    assert outcome(verdict_for(case, rounded)) == (set(), {"stabilized"})
    assert outcome(verdict_for(case, stable + 1e-7 * terms))[0]  # beyond any rounding of those terms


def test_an_exponential_of_a_sum_scales_the_sums_rounding() -> None:
    """sinh of a float32 sum: terms of 5.6 summing to 28.4 are known to a few ulp of 5.6 (another order gives
    28.429947 for NumPy's 28.43), and sinh turns that absolute error into a relative one of 5e-5 (fuzz case
    120722:627). A result off by more than the terms' rounding stays a finding."""
    rng = np.random.default_rng(627)
    values = (rng.standard_normal(8192) * 1.5).astype(np.float32)
    values[0] += np.float32(28.43 - float(np.sum(values.astype(np.float64))))
    case = chain("float32", values, ("sum", "{m}.sum({0})"), ("sinh", "{m}.sinh({0})"))
    other_order = np.sinh(np.float32(np.sum(values) - np.float32(5e-5)))
    assert outcome(verdict_for(case, np.array(other_order)))[0] == set()
    assert outcome(verdict_for(case, np.array(np.float32(other_order * 1.01))))[0] == {"value"}
