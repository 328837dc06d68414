"""grad and Lop: the API, disconnected and undefined gradients, consider_constant, known_grads."""

import warnings

import numpy as np
import pytest

import arignote_core as ac
import arignote_grad as ag


def run(inputs, outputs, *values):
    return ac.function(inputs, outputs)(*values)


def test_grad_of_a_list_and_of_one_variable():
    x, y = ac.dvector("x"), ac.dscalar("y")
    cost = (x ** 2).sum() * y
    gx, gy = ag.grad(cost, [x, y])
    got = run([x, y], [gx, gy], [1.0, 2.0], 3.0)
    np.testing.assert_allclose(got[0], [6.0, 12.0])
    np.testing.assert_allclose(got[1], 5.0)
    assert isinstance(ag.grad(cost, x), ac.Variable)


def test_gradient_types_match_the_inputs():
    x = ac.tensor("float32", (3, None), name="x")
    g = ag.grad((x * 2.0).sum(), x)
    assert g.type == x.type


def test_disconnected_input_raises_naming_it_and_how_to_allow_it():
    x, unused = ac.dvector("x"), ac.dvector("unused")
    cost = x.sum()
    with pytest.raises(ag.DisconnectedInputError, match=r"unused \(wrt\[1\]\).*disconnected_inputs='ignore'"):
        ag.grad(cost, [x, unused])
    gx, gu = ag.grad(cost, [x, unused], disconnected_inputs="ignore")
    np.testing.assert_array_equal(run([unused], gu, [1.0, 2.0]), [0.0, 0.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ag.grad(cost, [x, unused], disconnected_inputs="warn")
    assert any("unused" in str(w.message) for w in caught)
    assert ag.grad(cost, unused, disconnected_inputs="ignore", return_disconnected="none") is None


def test_bad_arguments_get_clear_errors():
    x = ac.dvector("x")
    with pytest.raises(TypeError, match="scalar"):
        ag.grad(x * 2, x)
    with pytest.raises(TypeError, match="integer"):
        ag.grad(ac.lvector("i").sum(), x)
    with pytest.raises(ValueError, match="disconnected_inputs"):
        ag.grad(x.sum(), x, disconnected_inputs="maybe")
    with pytest.raises(TypeError, match=r"wrt\[1\]"):
        ag.grad(x.sum(), [x, 3.0])


def test_consider_constant_stops_the_gradient():
    x = ac.dvector("x")
    h = x ** 2
    g = ag.grad((h * x).sum(), x, consider_constant=[h])
    np.testing.assert_allclose(run([x], g, [2.0, 3.0]), [4.0, 9.0])


def test_known_grads_start_from_given_gradients():
    x = ac.dvector("x")
    h = ac.exp(x)
    upstream = ac.dvector("upstream")
    g = ag.grad(None, x, known_grads={h: upstream})
    np.testing.assert_allclose(run([x, upstream], g, [0.0, 1.0], [2.0, 3.0]), [2.0, 3.0 * np.e])
    both = ag.grad(x.sum(), x, known_grads={h: upstream})  # added to the cost's gradient
    np.testing.assert_allclose(run([x, upstream], both, [0.0, 1.0], [2.0, 3.0]), [3.0, 1 + 3.0 * np.e])


def test_grad_with_respect_to_an_intermediate():
    x = ac.dvector("x")
    h = x * 3.0
    g = ag.grad((h ** 2).sum(), h)
    np.testing.assert_allclose(run([x], g, [1.0, 2.0]), [6.0, 12.0])


def test_integers_made_by_step_functions_pass_no_gradient():
    """A cast to an integer, a comparison or a count is a step function: derivative zero, as in JAX."""
    x = ac.dvector("x")
    through_int = ac.cast(ac.cast(x, "int64"), "float64")
    counted = ac.cast((x > 0).sum(), "float64")
    g = ag.grad((through_int * x).sum() + counted * x.sum(), x)
    np.testing.assert_allclose(run([x], g, [1.5, -2.5]), [1.0 + 1.0, -2.0 + 1.0])


def test_undefined_gradient_through_argmax_names_the_op_and_input():
    x = ac.dvector("x")
    position = ac.argmax(x) + 1  # integer arithmetic in between
    cost = (ac.cast(position, "float64") * x).sum()
    with pytest.raises(ag.UndefinedGradientError, match=r"input 0 of argmax\{axis=None\}.*indices"):
        ag.grad(cost, x)
    cut = (ac.cast(ag.disconnected_grad(position), "float64") * x).sum()
    np.testing.assert_allclose(run([x], ag.grad(cut, x), [1.5, 2.5]), [2.0, 2.0])


def test_undefined_gradient_costs_nothing_when_not_asked_for():
    x, y = ac.dvector("x"), ac.dvector("y")
    cost = (ac.cast(ac.argmax(x), "float64") * y).sum()
    gy = ag.grad(cost, y)
    np.testing.assert_allclose(run([x, y], gy, [1.0, 5.0, 2.0], [1.0, 1.0, 1.0]), [1.0, 1.0, 1.0])
    with pytest.raises(ag.UndefinedGradientError):
        ag.grad(cost, [x, y])


def test_gradient_with_respect_to_an_integer_input_is_undefined():
    i = ac.lvector("i")
    with pytest.raises(ag.UndefinedGradientError, match="integer"):
        ag.grad((i * 2.0).sum(), i)


def test_lop_is_the_vector_jacobian_product(rng):
    x = ac.dvector("x")
    y = ac.dmatrix("y")
    out = ac.tanh(y * x)
    v = ac.dmatrix("v")
    gx, gy = ag.Lop(out, [x, y], v)
    xv, yv, vv = rng.normal(size=3), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    got_x, got_y = run([x, y, v], [gx, gy], xv, yv, vv)
    d = 1 - np.tanh(yv * xv) ** 2
    np.testing.assert_allclose(got_x, (vv * d * yv).sum(0))
    np.testing.assert_allclose(got_y, vv * d * xv)


def test_lop_of_several_outputs():
    x = ac.dvector("x")
    g = ag.Lop([x * 2, x ** 2], x, [ac.constant(np.ones(2)), ac.constant(np.full(2, 3.0))])
    np.testing.assert_allclose(run([x], g, [1.0, 2.0]), [2 + 6.0, 2 + 12.0])


def test_missing_rule_names_the_op_and_how_to_add_one():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Mystery(ac.Op):
        def make_node(self, x):
            x = ac.as_tensor(x)
            return ac.Apply(self, [x], [x.type])

        def perform(self, node, inputs):
            return [inputs[0] * 2]

    x = ac.dvector("x")
    with pytest.raises(ag.MissingRuleError, match=r"Mystery.*register_pullback\(Mystery\).*pullback"):
        ag.grad(Mystery()(x).sum(), x)


def test_random_draws_are_explicitly_not_differentiable():
    stream = ac.RandomStream(0)
    loc = ac.dscalar("loc")
    with pytest.raises(ag.UndefinedGradientError, match="reparameterized"):
        ag.grad(stream.normal(loc, 1.0, size=(3,)).sum(), loc)
    reparameterized = loc + stream.normal(0.0, 1.0, size=(3,))
    assert ac.function([loc], ag.grad(reparameterized.sum(), loc), on_unused_input="ignore")(0.5) == 3.0
