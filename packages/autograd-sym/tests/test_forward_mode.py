"""Rop: forward-mode rules of their own, checked against finite differences and against reverse mode."""

import numpy as np
import pytest

import arignote_core as ac
import arignote_grad as ag
from arignote_grad.forward import propagate_tangents


def test_rop_uses_pushforward_rules_not_double_reverse():
    x = ac.dvector("x")
    v = ac.dvector("v")
    t = ag.Rop(ac.exp(x) * 2.0, x, v)
    # forward mode builds no scatter or transpose: the tangent is a product of the same shape
    names = {type(n.op).__name__ for n in ac.toposort([t])}
    assert "SumToShape" not in names and "IncSubtensor" not in names
    np.testing.assert_allclose(ac.function([x, v], t)([0.0, 1.0], [1.0, 2.0]), [2.0, 4.0 * np.e])


def test_rop_is_the_transpose_of_lop(rng):
    """<v, J u> == <J^T v, u> for a graph mixing broadcasting, reductions, products and indexing."""
    x, w = ac.dmatrix("x"), ac.dmatrix("w")

    def f(x, w):
        h = ac.tanh(ac.dot(x, w) + w.sum(axis=0))
        return ac.concatenate([h[:, :2], h.max(axis=1, keepdims=True)], axis=1) if hasattr(ac, "concatenate") \
            else h[:, :2] * h.max(axis=1, keepdims=True)

    y = f(x, w)
    ux, uw = ac.dmatrix("ux"), ac.dmatrix("uw")
    v = ac.dmatrix("v")
    jvp = ag.Rop(y, [x, w], [ux, uw])
    vjp_x, vjp_w = ag.Lop(y, [x, w], v)
    fn = ac.function([x, w, ux, uw, v], [(v * jvp).sum(), (vjp_x * ux).sum() + (vjp_w * uw).sum()])
    shapes = [(2, 3), (3, 3), (2, 3), (3, 3)]
    args = [rng.normal(size=s) for s in shapes]
    out_shape = ac.function([x, w], y)(*args[:2]).shape
    lhs, rhs = fn(*args, rng.normal(size=out_shape))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


def test_rop_of_several_outputs_and_wrt(rng):
    x, y = ac.dvector("x"), ac.dvector("y")
    outs = ag.Rop([x * y, (x + y).sum()], [x, y], [ac.constant(np.ones(2)), ac.constant(np.zeros(2))])
    got = ac.function([x, y], outs)([1.0, 2.0], [3.0, 4.0])
    np.testing.assert_allclose(got[0], [3.0, 4.0])
    np.testing.assert_allclose(got[1], 2.0)


def test_disconnected_outputs():
    x, y = ac.dvector("x"), ac.dvector("y")
    with pytest.raises(ag.DisconnectedOutputError, match="disconnected_outputs='ignore'"):
        ag.Rop(y * 2, x, x)
    t = ag.Rop(y * 2, x, x, disconnected_outputs="ignore")
    np.testing.assert_array_equal(ac.function([y], t)([1.0, 2.0]), [0.0, 0.0])


def test_undefined_derivatives_agree_between_modes():
    x = ac.dvector("x")
    through_argmax = ac.cast(ac.argmax(x) * 2, "float64") * x
    with pytest.raises(ag.UndefinedGradientError, match="argmax"):
        ag.Rop(through_argmax, x, x)
    with pytest.raises(ag.UndefinedGradientError, match="argmax"):
        ag.grad(through_argmax.sum(), x)
    # an index read through argmax, a comparison used as a condition, a shape: no derivative, in both modes
    for out in (x[ac.argmax(x)] * x, ac.where(x > 0, x, -x), x * ac.cast(x.shape[0], "float64"),
                ac.cast(ac.cast(x, "int64"), "float64") * x):
        values = [1.0, 3.0, 2.0]
        forward = ac.function([x], ag.Rop(out, x, ac.constant(np.ones(3))))(values)
        reverse = ac.function([x], ag.Lop(out, x, ac.constant(np.ones(3))))(values)
        np.testing.assert_allclose(forward.sum(), reverse.sum())


def test_tangents_stop_at_integer_outputs_with_a_marker():
    x = ac.dvector("x")
    i = ac.argmax(x)
    tangents, reach = propagate_tangents([x], [x], [i])
    assert isinstance(tangents[i], ag.UndefinedGrad) and i in reach


def test_eval_points_are_checked():
    x = ac.dvector("x")
    with pytest.raises(TypeError, match="eval_points"):
        ag.Rop(x * 2, x, ac.dmatrix())
    with pytest.raises(ValueError, match="eval_points"):
        ag.Rop(x * 2, [x], [x, x])
