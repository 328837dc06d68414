"""Derivatives of control flow: ``ifelse`` (an ifelse of the branches' derivatives, lazy as the forward) and
``OpFromGraph`` (its inner graph differentiated, or the user's overrides), checked against finite differences."""

import numpy as np
import pytest

import arignote_core as ac
import arignote_grad as ag
from arignote_core.control import IfElse
from arignote_core.mode import Mode
from arignote_core.plugins import entry_points_in

MODES = ["reference", pytest.param(Mode(options={"check": True}), id="checked"),
         pytest.param("c", marks=pytest.mark.skipif("c" not in {ep.name for ep in entry_points_in("arignote.modes")},
                                                      reason="codegen-c is not installed"))]


def _verify(fn, points, **kwargs):
    ag.verify_grad(fn, points, rng=0, **kwargs)
    ag.verify_rop(fn, points, rng=0, **kwargs)


# ---------------------------------------------------------------------------------------------------------
# ifelse


@pytest.mark.parametrize("condition", [1.0, -1.0])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_ifelse_derivatives_with_broadcasting_and_several_outputs(rng, condition, dtype):
    def fn(c, x, y):
        return ac.ifelse(c > 0, [ac.exp(x) * y, (x * x).sum()], [y ** 2 - x, ac.tanh(x).sum()])

    points = [np.array(condition, dtype), rng.normal(size=(3, 1)).astype(dtype),
              rng.normal(size=(1, 4)).astype(dtype)]
    _verify(fn, points, wrt=[1, 2])


@pytest.mark.parametrize("condition", [True, False])
def test_ifelse_derivatives_of_0d_and_of_inputs_only_one_branch_uses(rng, condition):
    def fn(c, x, y, s):
        return ac.ifelse(c, [x * s, s], [y, s * s])

    points = [np.array(condition), rng.normal(size=3), rng.normal(size=3), np.array(0.7)]
    _verify(fn, points, wrt=[1, 2, 3])


def test_ifelse_gradient_of_an_input_only_the_branch_not_taken_uses_is_zero():
    c, x, y = ac.bscalar("c"), ac.dvector("x"), ac.dvector("y")
    gx, gy = ag.grad(ac.ifelse(c, x.sum(), (y * 2).sum()), [x, y])
    f = ac.function([c, x, y], [gx, gy])
    for c_value, expected in ((1, ([1.0, 1.0], [0.0])), (0, ([0.0, 0.0], [2.0]))):
        for got, want in zip(f(np.int8(c_value), [1.0, 2.0], [3.0]), expected, strict=True):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("c, d", [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0)])
def test_nested_ifelse_derivatives(rng, c, d):
    def fn(c, d, x):
        inner = ac.ifelse(d > 0, ac.sin(x) * x, x ** 3)
        return ac.ifelse(c > 0, inner.sum() * x, ac.cos(x))

    _verify(fn, [np.array(c), np.array(d), rng.normal(size=4)], wrt=[2])


def test_ifelse_gradient_through_what_both_branches_share(rng):
    def fn(x):
        e = ac.exp(x)
        return ac.ifelse(e.sum() > 0, e * x, e / 2)

    _verify(fn, [rng.normal(size=3)])


@pytest.mark.parametrize("mode", MODES)
def test_ifelse_gradient_is_lazy(mode):
    c, a = ac.dscalar("c"), ac.dmatrix("a")
    cost = ac.ifelse(c > 0, ac.linalg.cholesky(a).sum(), (a * a).sum())
    ga = ag.grad(cost, a)
    assert isinstance(ga.owner.op, IfElse)
    f = ac.function([c, a], ga, mode=mode)
    indefinite = np.array([[1.0, 2.0], [2.0, 1.0]])
    np.testing.assert_allclose(f(-1.0, indefinite), 2 * indefinite)
    with pytest.raises(np.linalg.LinAlgError):
        f(1.0, indefinite)


def test_the_condition_gets_no_gradient():
    c, x = ac.dscalar("c"), ac.dvector("x")
    with pytest.raises(ag.DisconnectedInputError):
        ag.grad(ac.ifelse(c, x, x * 2).sum(), c)


def test_differentiating_the_same_node_twice_reuses_the_derived_op():
    c, x = ac.bscalar("c"), ac.dvector("x")
    cost = ac.ifelse(c, ac.exp(x), x).sum()
    assert ag.grad(cost, x).owner.op is ag.grad(cost, x).owner.op


def test_hessian_through_ifelse(rng):
    c, x = ac.bscalar("c"), ac.dvector("x")
    h = ag.hessian(ac.ifelse(c, (x ** 3).sum(), (x ** 2).sum()), x)
    f = ac.function([c, x], h)
    xv = rng.normal(size=3)
    np.testing.assert_allclose(f(np.int8(1), xv), np.diag(6 * xv))
    np.testing.assert_allclose(f(np.int8(0), xv), 2 * np.eye(3))


# ---------------------------------------------------------------------------------------------------------
# OpFromGraph


def _op(**kwargs):
    a, b = ac.dmatrix("a"), ac.dmatrix("b")
    return ac.OpFromGraph([a, b], [a * b + ac.sin(a), (a - b) ** 2], **kwargs)


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4))], ids=str)
def test_opfromgraph_derivatives(rng, shapes):
    op = _op()
    _verify(lambda x, y: op(x, y), [rng.normal(size=s) for s in shapes])
    _verify(lambda x, y: op(x, y)[1], [rng.normal(size=s) for s in shapes])  # one output carries a gradient


def test_opfromgraph_derivatives_of_0d_float32_and_nested(rng):
    a = ac.fscalar("a")
    square = ac.OpFromGraph([a], a * a)
    p = ac.fvector("p")
    norm = ac.OpFromGraph([p], ac.sqrt(square(p.sum()) + 1))
    _verify(lambda x: norm(x) * square(x[0]), [rng.normal(size=3).astype("float32")])


def test_opfromgraph_and_ifelse_inside_each_other(rng):
    a, s = ac.dvector("a"), ac.dscalar("s")
    op = ac.OpFromGraph([s, a], ac.ifelse(s > 0, ac.exp(a) * s, a ** 2))
    for sign in (1.0, -1.0):
        _verify(lambda c, x: ac.ifelse(c < 0, op(c, x) * 2, x), [np.array(sign), rng.normal(size=3)], wrt=[1])
        _verify(lambda c, x: op(c, x), [np.array(sign), rng.normal(size=3)])


def test_gradient_of_a_shared_variable_used_inside(rng):
    w = ac.shared(rng.normal(size=3), name="w")
    a = ac.dvector("a")
    op = ac.OpFromGraph([a], (a * w).sum())
    x = ac.dvector("x")
    gx, gw = ag.grad(op(x), [x, w])
    xv = rng.normal(size=3)
    got_x, got_w = ac.function([x], [gx, gw])(xv)
    np.testing.assert_allclose(got_x, w.get_value())
    np.testing.assert_allclose(got_w, xv)


def test_the_derived_gradient_is_an_opfromgraph_with_the_same_inline():
    x, y = ac.dmatrix("x"), ac.dmatrix("y")
    op = _op(inline=True, name="f")
    gx = ag.grad(op(x, y)[0].sum(), x)
    grad_op = gx.owner.op
    assert isinstance(grad_op, ac.OpFromGraph) and grad_op.inline
    assert str(grad_op) == "OpFromGraph{pullback of f, inline}"
    assert ag.grad(op(x, y)[0].sum(), x).owner.op is grad_op


def test_hessian_through_opfromgraph(rng):
    a = ac.dvector("a")
    op = ac.OpFromGraph([a], (ac.exp(a) * a).sum())
    x = ac.dvector("x")
    xv = rng.normal(size=3)
    got = ac.function([x], ag.hessian(op(x), x))(xv)
    np.testing.assert_allclose(got, np.diag(np.exp(xv) * (xv + 2)))


def test_integer_inputs_and_disconnected_inputs():
    a, i, b = ac.dvector("a"), ac.lscalar("i"), ac.dvector("b")
    op = ac.OpFromGraph([a, i, b], a[i] * 2)
    x, k, y = ac.dvector("x"), ac.lscalar("k"), ac.dvector("y")
    gx = ag.grad(op(x, k, y), x)
    np.testing.assert_array_equal(ac.function([x, k], gx)([1.0, 2.0, 3.0], 1), [0.0, 2.0, 0.0])
    with pytest.raises(ag.DisconnectedInputError):
        ag.grad(op(x, k, y), y)


def test_an_undefined_gradient_inside_is_reported():
    a = ac.dvector("a")
    op = ac.OpFromGraph([a], ac.sort(a)[ac.argmax(a)])
    x = ac.dvector("x")
    ag.grad(op(x), x)  # an index carries no gradient: that is not undefined
    b = ac.dvector("b")
    rounded = ac.OpFromGraph([b], ac.cast(ac.argmax(b), "float64") * b)
    with pytest.raises(ag.UndefinedGradientError, match="argmax|ArgReduce"):
        ag.grad(rounded(x).sum(), x)


# ---------------------------------------------------------------------------------------------------------
# overrides


def _straight_through(**kwargs):
    a = ac.dvector("a")
    return ac.OpFromGraph([a], ac.round(a) * 2, **kwargs)


def test_grad_overrides_a_function():
    op = _straight_through(grad_overrides=lambda inputs, grads: [grads[0] * 2])
    x = ac.dvector("x")
    g = ag.grad(op(x).sum(), x)
    np.testing.assert_array_equal(ac.function([x], g)([0.3, 1.7]), [2.0, 2.0])


def test_grad_overrides_an_opfromgraph():
    a, g = ac.dvector("a"), ac.dvector("g")
    gradient = ac.OpFromGraph([a, g], g * 3)
    op = _straight_through(grad_overrides=gradient)
    x = ac.dvector("x")
    np.testing.assert_array_equal(ac.function([x], ag.grad(op(x).sum(), x))([0.3, 1.7]), [3.0, 3.0])


def test_lop_overrides_get_the_outputs(rng):
    a = ac.dvector("a")
    seen = []

    def lop(inputs, outputs, grads):
        seen.append(len(outputs))
        return [outputs[0] * grads[0]]

    op = ac.OpFromGraph([a], ac.exp(a), lop_overrides=lop)
    _verify(lambda x: op(x), [rng.normal(size=3)])
    assert seen and seen[0] == 1


def test_rop_overrides(rng):
    a = ac.dvector("a")
    op = ac.OpFromGraph([a], ac.exp(a), rop_overrides=lambda inputs, points: [ac.exp(inputs[0]) * points[0]])
    ag.verify_rop(lambda x: op(x), [rng.normal(size=3)], rng=0)
    t = ac.dvector("t")
    tangent_op = ac.OpFromGraph([a, t], ac.exp(a) * t)
    by_op = ac.OpFromGraph([a], ac.exp(a), rop_overrides=tangent_op)
    ag.verify_rop(lambda x: by_op(x), [rng.normal(size=3)], rng=0)


def test_an_override_returning_the_wrong_number_of_gradients_is_named():
    a, b = ac.dvector("a"), ac.dvector("b")
    op = ac.OpFromGraph([a, b], a + b, grad_overrides=lambda inputs, grads: [grads[0]], name="add")
    x = ac.dvector("x")
    with pytest.raises(ag.GradientRuleError, match=r"override of OpFromGraph\{add\} returned 1 gradients for its 2"):
        ag.grad(op(x, x).sum(), x)


def test_overrides_are_used_for_a_shared_input_when_given_and_leave_it_without_otherwise():
    w = ac.shared(np.array([2.0, 3.0]), name="w")
    a = ac.dvector("a")
    explicit_only = ac.OpFromGraph([a], a * w, grad_overrides=lambda inputs, grads: [grads[0]])
    x = ac.dvector("x")
    np.testing.assert_array_equal(ac.function([x], ag.grad(explicit_only(x).sum(), x))([1.0, 1.0]), [1.0, 1.0])
    with pytest.raises(ag.DisconnectedInputError):
        ag.grad(explicit_only(x).sum(), w)
    both = ac.OpFromGraph([a], a * w, grad_overrides=lambda inputs, grads: [grads[0], grads[0] * 10])
    np.testing.assert_array_equal(ac.function([x], ag.grad(both(x).sum(), w))([1.0, 1.0]), [10.0, 10.0])


@pytest.mark.parametrize("take_then", [True, False])
def test_ifelse_gradient_when_one_branch_knows_more_sizes_than_the_other(take_then):
    """The branches' gradients are taken for the node's outputs, whose type knows only the sizes both branches
    agree on: a then branch of shape (1, n) against an else branch of shape (m, n) (fuzz case 71:139: taking the
    gradient raised a TypeError, the pullback's branches taking inputs of different types)."""
    y, v = ac.dmatrix("y"), ac.dmatrix("v")
    mean = ac.mean(v, axis=0, keepdims=True)
    out = ac.ifelse(ac.any(mean), mean, y)
    grads = ag.grad(ac.sum(ac.sin(out)), [y, v])
    f = ac.function([y, v], grads)
    yv, vv = np.full((1, 3), 0.25), np.full((2, 3), 1.0 if take_then else 0.0)
    gy, gv = f(yv, vv)
    if take_then:
        np.testing.assert_allclose(gy, 0.0)
        np.testing.assert_allclose(gv, np.cos(vv.mean(axis=0, keepdims=True)) / 2 * np.ones((2, 3)))
    else:
        np.testing.assert_allclose(gy, np.cos(yv))
        np.testing.assert_allclose(gv, 0.0)
