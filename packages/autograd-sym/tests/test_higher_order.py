"""jacobian, hessian and the Hessian-vector product against finite differences, on polynomials, an MLP loss
and a log-determinant."""

import numpy as np

import arignote_core as ac
import arignote_grad as ag
from arignote_grad.batch_loop import BatchLoop
from arignote_grad.batching import vectorize


def numeric_jacobian(f, x, eps=1e-6):
    """d f(x) / d x by central differences; shape f(x).shape + x.shape."""
    x = np.asarray(x, dtype=float)
    out = np.asarray(f(x))
    jac = np.zeros(out.shape + x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        jac[(...,) + index] = (np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps)
    return jac


def polynomial(x):
    return x ** 3 * 2.0 - x[0] * x ** 2 + 0.5 * x


def test_jacobian_of_a_polynomial(rng):
    x = ac.dvector("x")
    jac = ac.function([x], ag.jacobian(polynomial(x), x))
    point = rng.normal(size=4)
    np.testing.assert_allclose(jac(point), numeric_jacobian(lambda v: polynomial(v), point), rtol=1e-6, atol=1e-8)


def test_jacobian_of_a_matrix_output_with_respect_to_two_inputs(rng):
    a, b = ac.dmatrix("a"), ac.dvector("b")
    out = ac.tanh(ac.dot(a, b))[:, None] * a
    ja, jb = ac.function([a, b], ag.jacobian(out, [a, b]))(av := rng.normal(size=(2, 3)), bv := rng.normal(size=3))
    f = ac.function([a, b], out)
    np.testing.assert_allclose(ja, numeric_jacobian(lambda v: f(v, bv), av), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jb, numeric_jacobian(lambda v: f(av, v), bv), rtol=1e-6, atol=1e-8)


def test_vectorized_and_row_by_row_jacobians_agree(rng):
    x = ac.dvector("x", shape=(3,))
    out = ac.exp(x) * x.sum() + ac.sort(x) if hasattr(ac, "sort") else ac.exp(x) * x.sum()
    fast = ag.jacobian(out, x)
    slow = ag.jacobian(out, x, vectorize_rows=False)
    point = rng.normal(size=3)
    np.testing.assert_allclose(ac.function([x], fast)(point), ac.function([x], slow)(point), rtol=1e-12)


def test_jacobian_is_vectorized_not_unrolled():
    x = ac.dvector("x", shape=(50,))
    jac = ag.jacobian(ac.tanh(x) * x.sum(), x)
    assert len(ac.toposort([jac])) < 60  # one batched backward pass, not 50 of them


def test_jacobian_of_cumprod_with_zeros_is_vectorized_and_exact():
    x = ac.dvector("x", shape=(5,))
    jac = ag.jacobian(ac.cumprod(x), x)
    assert jac.owner is not None and len(ac.toposort([jac])) < 60  # one batched pass (CumOp has a batching rule)
    point = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    expected = np.array([[1, 0, 0, 0, 0], [0, 2, 0, 0, 0], [0, 6, 0, 0, 0], [0] * 5, [0] * 5], dtype=float)
    np.testing.assert_allclose(ac.function([x], jac)(point), expected)
    slow = ag.jacobian(ac.cumprod(x), x, vectorize_rows=False)
    np.testing.assert_allclose(ac.function([x], slow)(point), expected)


def test_an_op_without_a_batching_rule_runs_row_by_row():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Opaque(ac.Op):
        def make_node(self, x):
            x = ac.as_tensor(x)
            return ac.Apply(self, [x], [ac.TensorType(x.type.dtype, (None,) * x.type.ndim)])

        def perform(self, node, inputs):
            return [np.cumsum(inputs[0])]

    v, batch = ac.dvector("v"), ac.dmatrix("batch")
    (batched,) = vectorize([Opaque()(v * 2) + v], {v: batch})
    assert isinstance(batched.owner.inputs[0].owner.op, BatchLoop)
    value = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(ac.function([batch], batched)(value), np.cumsum(value * 2, axis=1) + value)
    np.testing.assert_array_equal(ac.function([batch], batched)(np.zeros((0, 3))).shape, (0, 3))


def test_hessian_of_a_polynomial(rng):
    x = ac.dvector("x")
    cost = (x ** 4).sum() + x[0] * x[1] * x[2]
    hess = ac.function([x], ag.hessian(cost, x))
    grad = ac.function([x], ag.grad(cost, x))
    point = rng.normal(size=3)
    np.testing.assert_allclose(hess(point), numeric_jacobian(grad, point), rtol=1e-6, atol=1e-7)


def mlp_loss(x, w1, b1, w2, b2, y):
    hidden = ac.tanh(ac.dot(x, w1) + b1)
    logits = ac.dot(hidden, w2) + b2
    log_probs = logits - ac.log(ac.exp(logits).sum(axis=1, keepdims=True))
    return -(log_probs * y).sum() / x.shape[0].astype("float64")


def test_mlp_loss_gradients_hessian_and_hvp(rng):
    x, y = ac.dmatrix("x"), ac.dmatrix("y")
    w1, b1, w2, b2 = ac.dmatrix("w1"), ac.dvector("b1"), ac.dmatrix("w2"), ac.dvector("b2")
    cost = mlp_loss(x, w1, b1, w2, b2, y)
    xv, yv = rng.normal(size=(5, 4)), np.eye(3)[rng.integers(0, 3, 5)]
    params = [rng.normal(size=(4, 6)) * 0.5, rng.normal(size=6) * 0.1, rng.normal(size=(6, 3)) * 0.5,
              rng.normal(size=3) * 0.1]
    for k in range(4):
        ag.verify_grad(lambda *p, k=k: mlp_loss(ac.constant(xv), *p, ac.constant(yv)), params)
    f_cost = ac.function([x, w1, b1, w2, b2, y], cost)
    # Hessian block of w2 and its product with a vector, against finite differences of the gradient
    g_w2 = ac.function([x, w1, b1, w2, b2, y], ag.grad(cost, w2))
    h_w2 = ac.function([x, w1, b1, w2, b2, y], ag.hessian(cost, w2))(xv, *params, yv)
    numeric = numeric_jacobian(lambda v: g_w2(xv, *params[:2], v, params[3], yv), params[2])
    np.testing.assert_allclose(h_w2, numeric, rtol=1e-5, atol=1e-7)
    v = ac.dmatrix("v")
    hvp = ac.function([x, w1, b1, w2, b2, y, v], ag.hessian_vector_product(cost, w2, v))
    direction = rng.normal(size=(6, 3))
    np.testing.assert_allclose(hvp(xv, *params, yv, direction), np.tensordot(h_w2, direction, 2), rtol=1e-8,
                               atol=1e-10)
    assert np.isfinite(f_cost(xv, *params, yv))


def test_hvp_over_several_variables_uses_the_full_hessian(rng):
    a, b = ac.dvector("a"), ac.dvector("b")
    cost = (a ** 2 * b).sum() + (ac.sin(a) * ac.cos(b)).sum()
    va, vb = ac.dvector("va"), ac.dvector("vb")
    hva, hvb = ag.hessian_vector_product(cost, [a, b], [va, vb])
    f = ac.function([a, b, va, vb], [hva, hvb])
    grads = ac.function([a, b], ag.grad(cost, [a, b]))
    point_a, point_b, dir_a, dir_b = (rng.normal(size=3) for _ in range(4))
    eps = 1e-6
    plus = grads(point_a + eps * dir_a, point_b + eps * dir_b)
    minus = grads(point_a - eps * dir_a, point_b - eps * dir_b)
    got = f(point_a, point_b, dir_a, dir_b)
    for g, p, m in zip(got, plus, minus, strict=True):
        np.testing.assert_allclose(g, (p - m) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_rop_of_a_polynomial_and_an_mlp(rng):
    ag.verify_rop(polynomial, [rng.normal(size=5)])
    xv, yv = rng.normal(size=(5, 4)), np.eye(3)[rng.integers(0, 3, 5)]
    ag.verify_rop(lambda w1, b1, w2, b2: mlp_loss(ac.constant(xv), w1, b1, w2, b2, ac.constant(yv)),
                  [rng.normal(size=(4, 6)), rng.normal(size=6), rng.normal(size=(6, 3)), rng.normal(size=3)])


def test_log_determinant(rng):
    from arignote_core.linalg import slogdet

    a = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    ag.verify_grad(lambda m: slogdet(m)[1], [a])
    ag.verify_rop(lambda m: slogdet(m)[1], [a])
    m = ac.dmatrix("m")
    hess = ac.function([m], ag.hessian(slogdet(m)[1], m))(a)
    inv = np.linalg.inv(a)
    np.testing.assert_allclose(hess, -np.einsum("jk,li->ijkl", inv, inv), rtol=1e-6, atol=1e-8)
