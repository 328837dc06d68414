"""grad, jacobian, hessian, Rop and Hessian-vector products agree with JAX (when JAX is installed)."""

import numpy as np
import pytest

import arignote_core as ac
import arignote_grad as ag

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jax.config.update("jax_enable_x64", True)


def poly(np_, x):
    return x ** 3 - 2.0 * x[0] * x ** 2 + np_.sin(x) * x.sum()


def mlp(np_, params, x, y):
    w1, b1, w2, b2 = params
    hidden = np_.tanh(x @ w1 + b1)
    logits = hidden @ w2 + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np_.log(np_.exp(shifted).sum(axis=1, keepdims=True))
    return -(log_probs * y).sum() / x.shape[0]


@pytest.fixture
def data(rng):
    params = [rng.normal(size=(4, 5)) * 0.5, rng.normal(size=5) * 0.1, rng.normal(size=(5, 3)) * 0.5,
              rng.normal(size=3) * 0.1]
    return params, rng.normal(size=(6, 4)), np.eye(3)[rng.integers(0, 3, 6)]


def test_jacobian_and_hessian_of_a_polynomial(rng):
    point = rng.normal(size=4)
    x = ac.dvector("x")
    jac, hess = ac.function([x], [ag.jacobian(poly(ac, x), x), ag.hessian(poly(ac, x).sum(), x)])(point)
    np.testing.assert_allclose(jac, jax.jacobian(lambda v: poly(jnp, v))(point), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hess, jax.hessian(lambda v: poly(jnp, v).sum())(point), rtol=1e-12, atol=1e-12)


def test_mlp_gradient_hessian_and_hvp(data, rng):
    params, xv, yv = data
    symbols = [ac.dmatrix("w1"), ac.dvector("b1"), ac.dmatrix("w2"), ac.dvector("b2")]
    cost = mlp(ac, symbols, ac.constant(xv), ac.constant(yv))
    grads = ac.function(symbols, ag.grad(cost, symbols))(*params)
    expected = jax.grad(lambda p: mlp(jnp, p, xv, yv))(params)
    for got, want in zip(grads, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    hess_w2 = ac.function(symbols, ag.hessian(cost, symbols[2]))(*params)
    want_hess = jax.hessian(lambda w2: mlp(jnp, [params[0], params[1], w2, params[3]], xv, yv))(params[2])
    np.testing.assert_allclose(hess_w2, want_hess, rtol=1e-10, atol=1e-12)
    vectors = [rng.normal(size=p.shape) for p in params]
    tangents = [s.type() for s in symbols]
    hvp = ac.function(symbols + tangents, ag.hessian_vector_product(cost, symbols, tangents))(*params, *vectors)
    _, want_hvp = jax.jvp(jax.grad(lambda p: mlp(jnp, p, xv, yv)), (params,), (vectors,))
    for got, want in zip(hvp, want_hvp, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_rop_matches_jvp(data, rng):
    params, xv, yv = data
    symbols = [ac.dmatrix("w1"), ac.dvector("b1"), ac.dmatrix("w2"), ac.dvector("b2")]
    x = ac.constant(xv)
    hidden = ac.tanh(ac.dot(x, symbols[0]) + symbols[1])
    out = ac.dot(hidden, symbols[2]) + symbols[3]
    tangents = [s.type() for s in symbols]
    vectors = [rng.normal(size=p.shape) for p in params]
    got = ac.function(symbols + tangents, ag.Rop(out, symbols, tangents))(*params, *vectors)

    def forward(p):
        return jnp.tanh(xv @ p[0] + p[1]) @ p[2] + p[3]

    _, want = jax.jvp(forward, (params,), (vectors,))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["max", "min"])
def test_reduction_ties_split_like_jax(name):
    point = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    x = ac.dmatrix("x")
    got = ac.function([x], ag.grad(getattr(ac, name)(x, axis=1).sum(), x))(point)
    want = jax.grad(lambda v: getattr(jnp, name)(v, axis=1).sum())(point)
    np.testing.assert_allclose(got, want)


def test_special_functions_match_jax(rng):
    point = rng.uniform(0.5, 2.0, size=5)
    x = ac.dvector("x")
    names = ["erf", "gammaln", "psi", "softplus", "sigmoid", "log1p", "expm1", "arctan"]
    jax_fns = {"gammaln": jax.scipy.special.gammaln, "psi": jax.scipy.special.digamma,
               "softplus": jax.nn.softplus, "sigmoid": jax.nn.sigmoid, "erf": jax.scipy.special.erf}
    for name in names:
        got = ac.function([x], ag.grad(getattr(ac, name)(x).sum(), x))(point)
        fn = jax_fns.get(name, getattr(jnp, name, None))
        want = jax.grad(lambda v, fn=fn: fn(v).sum())(point)
        np.testing.assert_allclose(got, want, rtol=1e-10, err_msg=name)
