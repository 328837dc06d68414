"""Reverse and forward rules of the tensor ops, each checked against finite differences (float64)."""

import numpy as np
import pytest

import arignote_core as ac
import arignote_grad as ag
from arignote_core.tensors.broadcast import broadcast_to, sum_to_shape
from arignote_core.tensors.subtensor_update import inc_subtensor, set_subtensor


def check(fn, points, static_shapes=False):
    ag.verify_grad(fn, points, static_shapes=static_shapes)
    ag.verify_rop(fn, points, static_shapes=static_shapes)


@pytest.mark.parametrize("static_shapes", [False, True])
def test_elemwise_broadcasting_sums_over_broadcast_axes(rng, static_shapes):
    check(lambda a, b, c: a * b + c, [rng.normal(size=(3, 1)), rng.normal(size=(4,)), rng.normal(size=(1, 1))],
          static_shapes)


def test_axes_of_size_one_only_at_run_time():
    x, y = ac.dmatrix("x"), ac.dmatrix("y")  # static shapes unknown: (?, ?)
    gx, gy = ag.grad((x * y).sum(), [x, y])
    f = ac.function([x, y], [gx, gy])
    for xs, ys in [((3, 4), (3, 4)), ((1, 4), (3, 4)), ((3, 1), (1, 4))]:
        xv, yv = np.full(xs, 2.0), np.arange(np.prod(ys), dtype=float).reshape(ys)
        got_x, got_y = f(xv, yv)
        assert got_x.shape == xs and got_y.shape == ys
        np.testing.assert_allclose(got_x, np.broadcast_to(yv, np.broadcast_shapes(xs, ys)).sum(
            axis=tuple(i for i in range(2) if xs[i] == 1), keepdims=True))


def test_composite_is_differentiated_through_its_scalar_graph(rng):
    from arignote_core.scalars import SCALAR_OPS, Composite, ScalarType

    a, b = ScalarType("float64")(), ScalarType("float64")()
    t = SCALAR_OPS["tanh"](SCALAR_OPS["multiply"](a, b))
    comp = Composite([a, b], [SCALAR_OPS["add"](t, SCALAR_OPS["exp"](a)), SCALAR_OPS["square"](t)])
    op = ac.Elemwise(comp)
    check(lambda x, y: op(x, y)[0] * 2 + op(x, y)[1], [rng.normal(size=(2, 3)), rng.normal(size=(3,))])
    x, y = ac.dmatrix(), ac.dvector()
    gx = ag.grad(op(x, y)[0].sum(), x)
    kernels = [n.op for n in ac.toposort([gx]) if isinstance(n.op, ac.Elemwise)]
    assert any(isinstance(k.scalar_op, Composite) for k in kernels)  # the gradient is one fused kernel again


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2)])
@pytest.mark.parametrize("reduction", ["sum", "prod", "max", "min", "mean"])
def test_reductions(rng, axis, reduction):
    check(lambda x: getattr(ac, reduction)(x, axis=axis), [rng.uniform(0.5, 1.5, size=(2, 3, 2))])


def test_prod_with_zeros_is_exact():
    x = ac.dmatrix("x")
    g = ag.grad(ac.prod(x, axis=1).sum(), x)
    got = ac.function([x], g)([[0.0, 2.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]])
    np.testing.assert_allclose(got, [[6.0, 0.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]])
    second = ag.grad(g.sum(), x)
    assert np.all(np.isfinite(ac.function([x], second)([[0.0, 2.0], [0.0, 0.0]])))


def test_cumprod_gradient_of_the_issue_has_no_nan():
    x = ac.dvector("x")
    g = ac.function([x], ag.grad(ac.cumprod(x).sum(), x))
    np.testing.assert_allclose(g([0.0, 2.0, 3.0]), [9.0, 0.0, 0.0])
    np.testing.assert_allclose(g([2.0, 0.0, 3.0, 0.0, 5.0]), [1.0, 8.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("axis", [0, 1, None])
@pytest.mark.parametrize("zeros", [[], [(0, 0)], [(1, 1), (2, 1)], [(0, 2), (1, 2), (2, 2)], [(0, 0), (2, 3)]],
                         ids=["none", "one", "two in a column", "three in a column", "scattered"])
@pytest.mark.parametrize("reduction", ["cumprod", "nancumprod"])
def test_cumprod_with_any_number_of_zeros_along_any_axis_is_exact(rng, axis, zeros, reduction):
    point = rng.uniform(0.5, 1.5, size=(3, 4))
    for position in zeros:
        point[position] = 0.0
    check(lambda x: getattr(ac, reduction)(x, axis=axis), [point])
    x = ac.dmatrix("x")
    second = ag.grad(ag.grad(getattr(ac, reduction)(x, axis=axis).sum(), x).sum(), x)
    assert np.all(np.isfinite(ac.function([x], second)(point)))  # as prod's: finite, exact only without zeros


def test_max_ties_share_the_gradient_equally():
    x = ac.dmatrix("x")
    g = ag.grad(ac.max(x, axis=1).sum(), x)
    np.testing.assert_allclose(ac.function([x], g)([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]]),
                               [[0, 0.5, 0.5], [1, 0, 0]])


def test_argmax_is_explicitly_not_differentiable():
    x = ac.dvector("x")
    with pytest.raises(ag.UndefinedGradientError, match="argmax"):
        ag.grad(ac.cast(ac.argmax(x), "float64") * x.sum(), x)
    g = ag.grad(x[ac.argmax(x)], x)  # the index is disconnected: the gradient goes through the read
    np.testing.assert_array_equal(ac.function([x], g)([1.0, 5.0, 2.0]), [0, 1, 0])


def test_shape_ops(rng):
    check(lambda x: x.dimshuffle(1, "x", 0) * 3.0, [rng.normal(size=(2, 3))])
    check(lambda x: x.T.reshape((3, 2)) ** 2, [rng.normal(size=(2, 3))])
    check(lambda x: x.reshape((-1,)), [rng.normal(size=(2, 3))])
    check(lambda x: ac.alloc(x, 2, 3, 4), [rng.normal(size=(3, 1))])
    check(lambda x: broadcast_to(x, (2, 3, 4)) * 1.5, [rng.normal(size=(4,))])
    check(lambda x: sum_to_shape(x, (1, 4)), [rng.normal(size=(2, 3, 4))])
    check(lambda a, b: ac.stack([a.sum(), b.max(), a[0] * b[1]]), [rng.normal(size=3), rng.normal(size=3)])
    check(lambda x: ac.arange(0.0, 3.0, 1.0) * x, [rng.normal(size=3)])


def test_arange_start_and_step(rng):
    start, step = ac.dscalar("start"), ac.dscalar("step")
    out = ac.arange(start, 5.0, step)
    ag_start, ag_step = ag.grad((out ** 2).sum(), [start, step], disconnected_inputs="ignore")
    got = ac.function([start, step], [ag_start, ag_step])(1.0, 1.0)
    values = np.arange(1.0, 5.0, 1.0)
    np.testing.assert_allclose(got, [2 * values.sum(), 2 * (values * np.arange(4)).sum()])


def test_shape_is_disconnected():
    x = ac.dvector("x")
    with pytest.raises(ag.DisconnectedInputError):
        ag.grad(ac.cast(x.shape[0], "float64"), x)


def test_basic_indexing(rng):
    check(lambda x: x[1:, ::2] * 2 + x[0, 0], [rng.normal(size=(3, 4))])
    check(lambda x: x[None, -1], [rng.normal(size=(3, 4))])


def test_advanced_indexing_scatter_adds_repeated_indices(rng):
    idx = np.array([0, 2, 0, 0])
    check(lambda x: x[idx] ** 2, [rng.normal(size=(3, 2))])
    check(lambda x: x[:, [1, 1, 0]], [rng.normal(size=(2, 3))])
    check(lambda x: x[x > 0.2] * 3, [rng.normal(size=(3, 3))])
    x = ac.dvector("x")
    g = ag.grad(x[[1, 1, 1, 0]].sum(), x)
    np.testing.assert_array_equal(ac.function([x], g)([5.0, 6.0, 7.0]), [1, 3, 0])


def test_symbolic_index_is_disconnected(rng):
    x, i = ac.dvector("x"), ac.lscalar("i")
    g = ag.grad(x[i] * 2, x)
    np.testing.assert_array_equal(ac.function([x, i], g)([1.0, 2.0], 1), [0, 2])


def test_set_and_inc_subtensor(rng):
    check(lambda x, v: set_subtensor(x[1:, 0], v), [rng.normal(size=(3, 2)), rng.normal(size=(2,))])
    check(lambda x, v: inc_subtensor(x[:, 1], v) ** 2, [rng.normal(size=(3, 2)), rng.normal(size=(1,))])
    idx = np.array([0, 0, 2])
    check(lambda x, v: inc_subtensor(x[idx], v) ** 2, [rng.normal(size=(3, 2)), rng.normal(size=(3, 2))])
    check(lambda x, v: set_subtensor(x[[2, 0]], v) * 2, [rng.normal(size=(3, 2)), rng.normal(size=(2,))])


@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(2, 3), (3,)], [(3,), (3, 2)], [(2, 3), (3, 4)], [(), (3,)],
                                    [(2,), ()], [(2, 2, 3), (3,)], [(2, 3), (4, 3, 2)], [(2, 2, 3), (2, 3, 2)]])
def test_dot(rng, shapes):
    check(ac.dot, [rng.normal(size=s) for s in shapes])


@pytest.mark.parametrize("shapes", [[(2, 3), (3, 4)], [(3,), (3, 4)], [(2, 3), (3,)], [(3,), (3,)],
                                    [(5, 2, 3), (3, 4)], [(2, 3), (5, 3, 4)], [(5, 1, 2, 3), (4, 3, 2)],
                                    [(1, 2, 3), (4, 3, 2)]])
def test_matmul(rng, shapes):
    check(ac.matmul, [rng.normal(size=s) for s in shapes])
