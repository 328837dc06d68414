"""Stabilization: each rule keeps values where the naive form is accurate, and fixes a real failure of the
unrewritten graph (overflow to inf, log of an underflowed 0, cancellation), checked against exact values."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from opt_helpers import STRICT, assert_rule, check, evaluate, fired, rewrite, sample

import arignote_core as ac
from arignote_core.tensors.broadcast import broadcast_to
from arignote_core.tensors.special import log_softmax, logsumexp, softmax
from arignote_opt import Phase, RewriteOptions, Rewriter, standard_rewriter
from arignote_opt.tensor import FOLD, STABILIZE

RNG = np.random.default_rng(7)
NO_CANONICALIZE = Rewriter([Phase("stabilize", (FOLD, STABILIZE))], RewriteOptions(strict=True))


def before_and_after(output, inputs, values, rewriter=STRICT):
    original = evaluate(ac.FunctionGraph(inputs, [output]), values)[0]
    fgraph, report = rewrite([output], inputs, rewriter)
    return original, evaluate(fgraph, values)[0], report


def test_log1p_is_exact_for_tiny_x():
    x = ac.dvector("x")
    naive, rewritten, report = before_and_after(ac.log(1 + x), [x], [np.array([1e-20, 1e-10])])
    assert fired(report, "log1p") == 1
    assert naive[0] == 0.0
    np.testing.assert_array_equal(rewritten, np.log1p([1e-20, 1e-10]))
    assert rewritten[0] == 1e-20


@pytest.mark.parametrize("rewriter, rule", [(STRICT, "expm1"), (NO_CANONICALIZE, "expm1_of_difference")])
def test_expm1_keeps_the_digits_exp_minus_one_loses(rewriter, rule):
    x = ac.dvector("x")
    values = np.array([1e-10, -3e-12])
    naive, rewritten, report = before_and_after(ac.exp(x) - 1, [x], [values], rewriter)
    assert fired(report, rule) == 1
    assert abs(naive[0] - 1e-10) / 1e-10 > 1e-8
    np.testing.assert_array_equal(rewritten, np.expm1(values))


def test_log_softmax_is_finite_at_logits_of_1000():
    x = ac.dmatrix("x")
    logits = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    naive, rewritten, report = before_and_after(ac.log(softmax(x)), [x], [logits])
    assert fired(report, "log_of_softmax") == 1
    assert np.isinf(naive).any()
    np.testing.assert_allclose(rewritten, scipy.special.log_softmax(logits, axis=-1), rtol=1e-14)
    assert np.isfinite(rewritten).all()


def test_exp_over_sum_of_exp_becomes_a_softmax_that_does_not_overflow():
    x = ac.dmatrix("x")
    logits = np.array([[1000.0, 999.0, 0.0], [-5.0, 0.0, 5.0]])
    naive, rewritten, report = before_and_after(ac.exp(x) / ac.sum(ac.exp(x), axis=1, keepdims=True), [x],
                                                [logits])
    assert fired(report, "softmax_from_exp") == 1
    assert np.isnan(naive).any()
    np.testing.assert_allclose(rewritten, scipy.special.softmax(logits, axis=1), rtol=1e-14)


def cross_entropy_inputs():
    logits = np.array([[800.0, 0.0, -800.0], [0.5, 0.25, 3.0]])
    labels = np.array([2, 0])
    return logits, labels, np.eye(3)[labels]


def test_cross_entropy_with_one_hot_targets_is_finite_at_logits_of_800():
    x, y = ac.dmatrix("x"), ac.dmatrix("y")
    logits, _, one_hot = cross_entropy_inputs()
    loss = -ac.sum(y * ac.log(softmax(x)), axis=1)
    fgraph, report = rewrite([loss], [x, y])
    naive = evaluate(ac.FunctionGraph([x, y], [loss]), [logits, one_hot])[0]
    rewritten = evaluate(fgraph, [logits, one_hot])[0]
    assert fired(report, "log_of_softmax") == 1
    assert not np.isfinite(naive[0])
    expected = -np.sum(one_hot * scipy.special.log_softmax(logits, axis=1), axis=1)
    np.testing.assert_allclose(rewritten, expected, rtol=1e-14)
    assert rewritten[0] == 1600.0


def test_cross_entropy_with_integer_labels_is_finite_at_logits_of_800():
    x, labels = ac.dmatrix("x"), ac.lvector("labels")
    logits, label_values, _ = cross_entropy_inputs()
    picked = softmax(x)[ac.arange(x.shape[0]), labels]
    loss = -ac.log(picked)
    naive, rewritten, report = before_and_after(loss, [x, labels], [logits, label_values])
    assert fired(report, "log_of_softmax") == 1
    assert np.isinf(naive[0])
    expected = -scipy.special.log_softmax(logits, axis=1)[np.arange(2), label_values]
    np.testing.assert_allclose(rewritten, expected, rtol=1e-14)


def test_a_log_sum_of_exp_already_shifted_by_its_max_is_left_as_it_is():
    x = ac.dmatrix("x")
    logits = np.array([[1000.0, 999.0, 0.0], [-5.0, 0.0, 5.0]])
    shifted = x - ac.max(x, axis=1, keepdims=True)
    naive, rewritten, report = before_and_after(ac.log(ac.sum(ac.exp(shifted), axis=1)), [x], [logits])
    assert fired(report, "log_of_sum_of_exp") == 0
    np.testing.assert_allclose(rewritten, scipy.special.logsumexp(logits, axis=1) - logits.max(axis=1), atol=1e-14)
    np.testing.assert_array_equal(rewritten, naive)
    whole = ac.log(ac.sum(ac.exp(shifted)))  # every summed slice holds a row's max: still no overflow
    assert fired(before_and_after(whole, [x], [logits])[2], "log_of_sum_of_exp") == 0
    across = ac.log(ac.sum(ac.exp(x - ac.max(x, axis=0, keepdims=True)), axis=1))  # may underflow: stabilized
    assert fired(before_and_after(across, [x], [logits])[2], "log_of_sum_of_exp") == 1


def softmax_pullback(p, g):
    """What autograd makes of ``g`` reaching ``p = softmax(x)`` (over the last axis)."""
    return p * (g - ac.sum(g * p, axis=1, keepdims=True))


def test_the_gradient_of_log_softmax_through_softmax_is_finite_at_logits_of_800():
    x, g = ac.dmatrix("x"), ac.dmatrix("g")
    logits, _, one_hot = cross_entropy_inputs()
    p = softmax(x, axis=1)
    grad = softmax_pullback(p, g / p)  # the gradient of log(p) is g / p
    naive, rewritten, report = before_and_after(grad, [x, g], [logits, -one_hot])
    assert fired(report, "cancel_division_in_sum") == 1 and fired(report, "cancel_division") == 1
    assert np.isnan(naive).any()
    probabilities = scipy.special.softmax(logits, axis=1)
    np.testing.assert_allclose(rewritten, probabilities - one_hot, atol=1e-15)


def test_the_gradient_of_picked_log_probabilities_is_finite_at_logits_of_800():
    x, labels = ac.dmatrix("x"), ac.lvector("labels")
    logits, label_values, one_hot = cross_entropy_inputs()
    p = softmax(x, axis=1)
    rows = ac.arange(x.shape[0])
    picked = p[rows, labels]
    scattered = ac.inc_subtensor(broadcast_to(ac.constant(0.0), p.shape)[rows, labels], -1.0 / picked)
    naive, rewritten, report = before_and_after(softmax_pullback(p, scattered), [x, labels], [logits, label_values])
    assert fired(report, "cancel_division_in_sum") == 1 and fired(report, "cancel_division") == 1
    assert np.isnan(naive).any()
    np.testing.assert_allclose(rewritten, scipy.special.softmax(logits, axis=1) - one_hot, atol=1e-15)


@pytest.mark.parametrize("rule, fires, build", [
    ("cancel_division", True, lambda a, b, g: (lambda q: q * a + q)(g / a)),  # a shared quotient
    ("cancel_division", True, lambda a, b, g: (lambda q: [a * q, q])(g[:1] / a)),
    ("cancel_division", False, lambda a, b, g: (g / a) * b),
    ("cancel_division_in_sum", True, lambda a, b, g: a * (b - g / a)),
    ("cancel_division_in_sum", True, lambda a, b, g: (ac.exp(b) + g / a) * a),
    ("cancel_division_in_sum", False, lambda a, b, g: a * (b + g / b)),
    ("cancel_division_in_sum", False, lambda a, b, g: (lambda s: [a * s, s])(b + g / a)),
])
def test_cancelled_divisions_keep_values(rule, fires, build):
    a, b, g = ac.dmatrix("a"), ac.dmatrix("b"), ac.dmatrix("g")
    values = [sample("float64", (3, 4), RNG, 0.5, 2.0) for _ in range(3)]
    output = build(a, b, g)
    assert_rule(rule, fires, output if isinstance(output, list) else [output], [a, b, g], values)


@pytest.mark.parametrize("fast_math", [False, True])
@pytest.mark.parametrize("rules, build", [
    (("cancel_division", "cancel_division_fast_math"), lambda a, g: (lambda q: [a * q, q])(g / a)),
    (("cancel_division_in_sum", "cancel_division_in_sum_fast_math"), lambda a, g: [a * (g / a + 1)]),
])
def test_cancelled_divisions_stabilize_zeros_but_keep_nan_from_infinite_operands(rules, build, fast_math):
    """Where ``a`` underflowed to 0 the cancellation gives the finite answer; where ``a`` is inf or NaN the
    product was NaN and stays NaN, unless fast_math lets the rule assume finite values."""
    a, g = ac.dvector("a"), ac.dvector("g")
    values = [np.array([0.0, np.inf, np.nan, 2.0]), np.array([3.0, 3.0, 3.0, 3.0])]
    outputs = build(a, g)
    naive = evaluate(ac.FunctionGraph([a, g], outputs), values)[0]
    fgraph, report = rewrite(outputs, [a, g], standard_rewriter(strict=True, fast_math=fast_math))
    rewritten = evaluate(fgraph, values)[0]
    assert fired(report, rules[fast_math]) == 1
    assert np.isnan(naive[0]) and np.isfinite(rewritten[0])
    assert np.isnan(rewritten[1:3]).all() != fast_math
    np.testing.assert_allclose(rewritten[3], naive[3])


def test_logsumexp_of_two_thousands_is_exact():
    x = ac.dvector("x")
    naive, rewritten, report = before_and_after(ac.log(ac.sum(ac.exp(x))), [x], [np.array([1000.0, 1000.0])])
    assert fired(report, "log_of_sum_of_exp") == 1
    assert np.isinf(naive)
    assert rewritten == 1000.0 + np.log(2.0)


def test_logsumexp_with_keepdims_and_an_axis():
    x = ac.dmatrix("x")
    values = np.array([[1000.0, 1000.0, -np.inf], [-np.inf, -np.inf, -np.inf], [0.0, 1.0, 2.0]])
    expr = ac.log(ac.sum(ac.exp(x), axis=1, keepdims=True))
    _, rewritten, report = before_and_after(expr, [x], [values])
    assert fired(report, "log_of_sum_of_exp") == 1
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(rewritten, scipy.special.logsumexp(values, axis=1, keepdims=True), rtol=1e-14)


def test_softplus_replaces_log_of_one_plus_exp():
    x = ac.dvector("x")
    values = np.array([800.0, 1.0, -800.0])
    naive, rewritten, report = before_and_after(ac.log(1 + ac.exp(x)), [x], [values])
    assert fired(report, "softplus") == 1
    assert np.isinf(naive[0])
    np.testing.assert_allclose(rewritten, np.logaddexp(0, values), rtol=1e-14)


@pytest.mark.parametrize("rewriter, rule", [(STRICT, "log_one_minus_sigmoid"),
                                            (NO_CANONICALIZE, "log_of_difference_sigmoid")])
def test_log_of_sigmoid_and_of_its_complement_are_finite(rewriter, rule):
    x = ac.dvector("x")
    values = np.array([-800.0, 0.0, 800.0])
    naive, rewritten, report = before_and_after(ac.log(ac.sigmoid(x)), [x], [values], rewriter)
    assert fired(report, "log_sigmoid") == 1 and np.isinf(naive[0])
    np.testing.assert_allclose(rewritten, -np.logaddexp(0, -values), rtol=1e-14)
    naive, rewritten, report = before_and_after(ac.log(1 - ac.sigmoid(x)), [x], [values], rewriter)
    assert fired(report, rule) == 1 and np.isinf(naive[2])
    np.testing.assert_allclose(rewritten, -np.logaddexp(0, values), rtol=1e-14)


def test_log1p_of_minus_sigmoid_is_finite():
    x = ac.dvector("x")
    values = np.array([800.0, 0.0])
    naive, rewritten, report = before_and_after(ac.log1p(-ac.sigmoid(x)), [x], [values], NO_CANONICALIZE)
    assert fired(report, "log1p_of_minus_sigmoid") == 1 and np.isinf(naive[0])
    np.testing.assert_allclose(rewritten, -np.logaddexp(0, values), rtol=1e-14)


@pytest.mark.parametrize("square, rule", [(lambda x: x ** 2, "sqrt_of_square"), (lambda x: x * x, "sqrt_of_square"),
                                          (ac.sqr, "sqrt_of_sqr")])
def test_sqrt_of_a_square_is_abs_even_where_the_square_overflows(square, rule):
    x = ac.dvector("x")
    values = np.array([1e200, -3.0, 0.0])
    naive, rewritten, report = before_and_after(ac.sqrt(square(x)), [x], [values])
    assert fired(report, rule) == 1 and np.isinf(naive[0])
    np.testing.assert_array_equal(rewritten, np.abs(values))


M = ac.dmatrix


@pytest.mark.parametrize("rule, build", [
    ("log1p", lambda x: ac.log(2 + x)),
    ("expm1", lambda x: ac.exp(x) - 2),
    ("softplus", lambda x: ac.log1p(ac.exp(x) * 2)),
    ("log_sigmoid", lambda x: ac.log(ac.tanh(x) + 2)),
    ("sqrt_of_square", lambda x: ac.sqrt(ac.abs(x) ** 3)),
    ("log_of_softmax", lambda x: ac.log(ac.exp(x) + 1)),
    ("log_of_sum_of_exp", lambda x: ac.log(ac.sum(ac.abs(x) + 1, axis=0))),
    ("log_of_sum_of_exp", lambda x: ac.log(ac.max(ac.exp(x), axis=0))),
    ("softmax_from_exp", lambda x: ac.exp(x) / ac.sum(ac.exp(x), axis=0, keepdims=True).T[:, :1]),
    ("softmax_from_exp", lambda x: ac.exp(x) / ac.sum(ac.exp(2 * x), axis=1, keepdims=True)),
])
def test_stabilizations_do_not_fire_on_lookalikes(rule, build):
    x = M("x")
    assert_rule(rule, False, build(x), [x], [sample("float64", (3, 3), RNG)])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("build", [
    lambda x: ac.log(1 + x * x), lambda x: ac.exp(x) - 1, lambda x: ac.log(ac.sigmoid(x)),
    lambda x: log_softmax(x, axis=0), lambda x: logsumexp(x, axis=1), lambda x: ac.log(softmax(x, axis=None)),
])
def test_stabilized_graphs_match_numpy_in_the_accurate_range(dtype, build):
    x = ac.tensor(dtype, (None, None), "x")
    for shape in [(3, 4), (1, 5), (2, 0)]:
        values = sample(dtype, shape, RNG)
        fgraph, _ = rewrite([build(x)], [x])
        naive = evaluate(ac.FunctionGraph([x], [build(x)]), [values])[0]
        np.testing.assert_allclose(evaluate(fgraph, [values])[0], naive, rtol=1e-5 if dtype == "float32" else 1e-12,
                                   atol=1e-6)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64", "bool"])
def test_log_of_one_plus_an_integer_keeps_the_integer_sum(dtype):
    """``1 + x`` on integers wraps around before the logarithm (NumPy's answer); log1p would not."""
    x = ac.tensor(dtype, (None,), "x")
    top = True if dtype == "bool" else np.iinfo(dtype).max
    values = np.array([0, top, 1], dtype)
    fgraph, _ = assert_rule("log1p", False, ac.log(1 + x), [x], [values])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(evaluate(fgraph, [values])[0], np.log(1 + values))


def test_a_softmax_that_slicing_reached_first_is_still_stable():
    """``log(exp(v) / sum(exp(v)))[1]``: slicing goes inward before the softmax is recognized, so the element
    is ``v[1] - logsumexp(v)``."""
    v = ac.dvector("v")
    values = np.array([900.0, 0.0, 1.0])
    naive, rewritten, report = before_and_after(ac.log(ac.exp(v) / ac.sum(ac.exp(v)))[1], [v], [values])
    assert fired(report, "log_of_exp_ratio") == 1
    assert naive == -np.inf
    np.testing.assert_allclose(rewritten, scipy.special.log_softmax(values)[1], rtol=1e-14)
    for element in (0, 1):  # an infinite input gives what the naive form gives: inf - log(inf), 1 - log(inf)
        naive, rewritten, _ = before_and_after(ac.log(ac.exp(v) / ac.sum(ac.exp(v)))[element], [v],
                                               [np.array([np.inf, 1.0])])
        np.testing.assert_array_equal(rewritten, naive)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int64", "bool"])
def test_a_division_by_an_integer_is_not_cancelled(dtype):
    """An integer 0 is exact, not an underflow: (y / y) * y is NaN there, as NumPy computes it."""
    y = ac.tensor(dtype, (None,), "y")
    fgraph, _ = check((y / y) * y, [y], [np.array([0, 1, 0], dtype=dtype)], STRICT)
    assert np.isnan(evaluate(fgraph, [np.array([0, 1, 0], dtype=dtype)])[0][0])
