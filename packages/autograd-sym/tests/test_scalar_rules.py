"""Every scalar op with a float output: reverse and forward derivatives against finite differences (float64)."""

import itertools

import numpy as np
import pytest

import arignote_core as ac
import arignote_grad as ag
from arignote_core.scalars import SCALAR_OPS

# input ranges where each function is smooth
DOMAINS = {"arccosh": (1.5, 3.0), "arcsin": (-0.8, 0.8), "arccos": (-0.8, 0.8), "arctanh": (-0.8, 0.8),
           "log1mexp": (-3.0, -0.1), "erfinv": (-0.8, 0.8), "gamma": (0.5, 3.0)}
# functions whose first argument is an order/shape parameter without a derivative
ORDER_FIRST = {"polygamma": np.array([[1.0, 2.0, 1.0], [2.0, 1.0, 1.0]]), "jv": np.array([[0.0, 1.0, 2.5]] * 2),
               "gammainc": np.array([[0.7, 1.5, 3.0]] * 2), "gammaincc": np.array([[0.7, 1.5, 3.0]] * 2)}
NOT_FLOAT = {"switch", "clip", "identity"}


def float_ops():
    names = []
    for name, op in SCALAR_OPS.items():
        if name in NOT_FLOAT or not hasattr(ac, name):
            continue
        try:
            out = getattr(ac, name)(*[ac.dmatrix() for _ in range(op.nin)])
        except TypeError:
            continue  # integer-only ops (bitwise, gcd...)
        if out.dtype == "float64":
            names.append(name)
    return names


def _points(name, rng):
    lo, hi = DOMAINS.get(name, (0.3, 2.0))
    nin = SCALAR_OPS[name].nin
    return [rng.uniform(lo, hi, (2, 3)) for _ in range(nin)]


@pytest.mark.parametrize("name", float_ops())
def test_scalar_op_derivatives_match_finite_differences(name, rng):
    fn = getattr(ac, name)
    points = _points(name, rng)
    if name in ORDER_FIRST:
        order = ac.constant(ORDER_FIRST[name])
        ag.verify_grad(lambda x: fn(order, x), points[1:])
        ag.verify_rop(lambda x: fn(order, x), points[1:])
        return
    ag.verify_grad(fn, points)
    ag.verify_rop(fn, points)


@pytest.mark.parametrize("name", ["jv", "gammainc", "polygamma"])
def test_derivative_in_the_order_is_explicitly_undefined(name):
    v, x = ac.dvector("v"), ac.dvector("x")
    cost = getattr(ac, name)(v, x).sum()
    with pytest.raises(ag.UndefinedGradientError, match=name):
        ag.grad(cost, v)
    assert ag.grad(cost, x) is not None  # the undefined one costs nothing when not asked for


def test_float32_gradients_stay_float32_and_check(rng):
    x = ac.fvector("x")
    g = ag.grad((ac.sigmoid(x) * 2.5 + x ** 3).sum(), x)
    assert g.dtype == "float32"
    ag.verify_grad(lambda x: ac.tanh(x) * ac.exp(x) / 3.0, [rng.uniform(0, 1, 4).astype("float32")])


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "rint", "sign"])
def test_step_functions_have_zero_derivative(name):
    x = ac.dvector("x")
    g = ag.grad(getattr(ac, name)(x).sum() + x.sum(), x)
    np.testing.assert_array_equal(ac.function([x], g)([0.3, 1.7]), [1.0, 1.0])


def test_abs_at_zero_and_maximum_ties_split_evenly():
    x, y = ac.dvector("x"), ac.dvector("y")
    gx, gy = ag.grad((ac.abs(x) + ac.maximum(x, y)).sum(), [x, y])
    got = ac.function([x, y], [gx, gy])([0.0, 2.0], [0.0, 1.0])
    np.testing.assert_allclose(got[0], [0.5, 2.0])
    np.testing.assert_allclose(got[1], [0.5, 0.0])


def test_clip_splits_the_gradient_at_the_bounds_like_minimum_and_maximum():
    x, lo = ac.dvector("x"), ac.dscalar("lo")
    gx, glo = ag.grad(ac.clip(x, lo, 1.0).sum(), [x, lo])
    got = ac.function([x, lo], [gx, glo])([-1.0, 0.0, 0.5, 1.0, 2.0], 0.0)
    np.testing.assert_array_equal(got[0], [0, 0.5, 1, 0.5, 0])
    np.testing.assert_array_equal(got[1], 1.5)
    ag.verify_grad(lambda x: ac.clip(x, 0.0, 1.0), [np.array([-1.0, 0.0, 0.5, 1.0, 2.0])])


def test_clip_with_tensor_bounds_is_the_gradient_of_minimum_of_maximum():
    x, lo, hi = ac.dscalar("x"), ac.dscalar("lo"), ac.dscalar("hi")
    partials = ac.function([x, lo, hi], ag.grad(ac.clip(x, lo, hi), [x, lo, hi]))
    np.testing.assert_array_equal(partials(1.5, 3.0, 0.0), [0.0, 0.0, 1.0])  # lo > hi: the result is hi
    for point in itertools.product([0.0, 1.0, 2.0], repeat=3):  # every order and tie of the three
        assert sum(partials(*point)) == 1.0, point
    assert ac.function([x], ag.grad(ac.clip(x, x, x), x), on_unused_input="ignore")(2.0) == 1.0
    v = ac.dvector("v")
    np.testing.assert_array_equal(ac.function([v], ag.grad(ac.clip(v, v, 0.0).sum(), v))([-1.5, 1.5]), [1.0, 0.0])


def test_clip_between_one_bound_twice_is_that_bound_even_at_the_tie():
    """clip(v, b, b) is b for every v: d/db is 1 and d/dv 0 where v == b too (no kink to split)."""
    v, b = ac.dvector("v"), ac.dvector("b")
    partials = ac.function([v, b], ag.grad(ac.sin(ac.clip(v, b, b)).sum(), [v, b]))
    got_v, got_b = partials(np.array([1.0, 3.0, 0.0]), np.array([1.0, 1.0, 2.0]))
    np.testing.assert_array_equal(got_v, [0.0, 0.0, 0.0])
    np.testing.assert_allclose(got_b, np.cos([1.0, 1.0, 2.0]))
    ag.verify_grad(lambda v, b: ac.clip(v, b, b), [np.array([1.0, 3.0]), np.array([1.0, 1.0])])


def test_clip_with_tensor_bounds_matches_finite_differences(rng):
    points = [rng.normal(size=(4, 5)) for _ in range(3)]  # lo > hi in about half the elements
    ag.verify_grad(ac.clip, points)
    ag.verify_rop(ac.clip, points)
    ag.verify_grad(lambda v: ac.clip(v, v, 0.0), [np.array([-1.5, 1.5])])


def test_where_gradient_goes_to_the_chosen_branch(rng):
    ag.verify_grad(lambda c, a, b: ac.where(c > 0, a * 2, b ** 2),
                   [rng.integers(-1, 2, size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(4,))])
    ag.verify_rop(lambda a, b: ac.where(a > 0, a * 2, b ** 2), [rng.normal(size=(3, 4)), rng.normal(size=(4,))])


def test_power_with_zero_base_has_finite_gradients():
    x, y = ac.dvector("x"), ac.dvector("y")
    gx, gy = ag.grad((x ** y).sum(), [x, y])
    got = ac.function([x, y], [gx, gy])([0.0, 2.0], [2.0, 3.0])
    np.testing.assert_allclose(got[0], [0.0, 12.0])
    np.testing.assert_allclose(got[1], [0.0, 8.0 * np.log(2.0)])


@pytest.mark.parametrize("exponent", [lambda y: 0, lambda y: 0.0, lambda y: y, lambda y: ac.cast(y, "int64")],
                         ids=["int constant", "float constant", "float tensor", "int tensor"])
def test_power_zero_has_zero_derivative_at_zero(exponent):
    x, y = ac.dvector("x"), ac.dvector("y")
    g = ag.grad((x ** exponent(y)).sum(), x, disconnected_inputs="ignore")
    got = ac.function([x, y], g, on_unused_input="ignore")([0.0, -2.0, 3.0], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(got, [0.0, 0.0, 0.0])


def test_power_rule_as_jax_defines_it():
    x, y = ac.dvector("x"), ac.dvector("y")
    gx, gy = ac.function([x, y], ag.grad((x ** y).sum(), [x, y]))([0.0, 0.0, 0.0, 0.0, -2.0, -2.0],
                                                                 [0.0, 1.0, 2.0, 0.5, 3.0, -2.0])
    np.testing.assert_allclose(gx, [0.0, 1.0, 0.0, np.inf, 12.0, 0.25])
    np.testing.assert_allclose(gy[:3], [0.0, 0.0, 0.0])  # log(0) read as 0 where 0 ** y is finite
    assert np.isnan(gy[4:]).all()  # a negative base has no real power around an integer exponent


@pytest.mark.parametrize("exponent", [3, -2, np.array([1, 2, 3], "int64")], ids=["3", "-2", "int array"])
def test_power_with_integer_exponents_and_negative_bases_matches_finite_differences(rng, exponent):
    base = -rng.uniform(0.5, 2.0, size=(2, 3))
    ag.verify_grad(lambda b: b ** ac.constant(exponent), [base])
    ag.verify_rop(lambda b: b ** ac.constant(exponent), [base])


def test_cast_between_floats_passes_the_gradient(rng):
    ag.verify_grad(lambda x: ac.cast(x, "float32") * 2.0, [rng.normal(size=3)], abs_tol=1e-5, rel_tol=1e-5)


def test_comparison_used_as_condition_only_is_disconnected():
    x = ac.dvector("x")
    with pytest.raises(ag.DisconnectedInputError, match="disconnected_inputs='ignore'"):
        ag.grad(ac.where(x > 0, 1.0, 2.0).sum(), x)
