"""Derivatives of SciPy's lu, lu_factor/lu_solve, sqrtm, logm, solve_sylvester and the Lyapunov solvers against
finite differences (reverse and forward, float64), the explicit errors of schur and of a non-square LU, and svd's
derivative with full_matrices=True (defined for square matrices only)."""

import numpy as np
import pytest

import arignote_core as ac
import arignote_grad as ag

la = ac.linalg


def check(fn, points, static_shapes=False):
    ag.verify_grad(fn, points, static_shapes=static_shapes, rng=0)
    ag.verify_rop(fn, points, static_shapes=static_shapes, rng=0)


def well_conditioned(rng, shape):
    return rng.normal(size=shape) + shape[-1] * np.eye(shape[-1])


def spd(rng, shape):
    a = rng.normal(size=shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


@pytest.mark.parametrize("kwargs", [{}, {"permute_l": True}, {"p_indices": True}], ids=str)
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)], ids=str)
def test_lu(rng, kwargs, shape):
    check(lambda a: list(la.lu(a, **kwargs))[-2:], [well_conditioned(rng, shape)])


def test_lu_factor(rng):
    check(lambda a: la.lu_factor(a)[0], [well_conditioned(rng, (4, 4))], static_shapes=True)


@pytest.mark.parametrize("trans", [0, 1, 2])
def test_lu_solve_through_the_factorization(rng, trans):
    a, b = well_conditioned(rng, (3, 3)), rng.normal(size=(3, 2))
    check(lambda x, y: la.lu_solve(la.lu_factor(x), y, trans=trans), [a, b])


def test_lu_solve_in_the_factors_with_a_vector_and_stacks(rng):
    a = well_conditioned(rng, (2, 3, 3))
    factors, piv = la.lu_factor(ac.tensor("float64", (None, None, None)))
    values = ac.function([factors.owner.inputs[0]], [factors, piv])(a)
    build = lambda f, b, p=values[1]: la.lu_solve((f, ac.constant(p)), b, trans=1)  # noqa: E731
    check(build, [values[0], rng.normal(size=3)])
    check(build, [values[0], rng.normal(size=(2, 3, 2))])


def test_sqrtm(rng):
    check(la.sqrtm, [spd(rng, (3, 3))])
    check(la.sqrtm, [spd(rng, (2, 2, 2))])


def test_logm_through_its_frechet_derivative(rng):
    check(la.logm, [spd(rng, (3, 3))])
    check(la.logm, [well_conditioned(rng, (1, 2, 2))])  # not symmetric, a stack (SciPy's logm is slow: small)


def test_logm_of_expm_has_the_identity_for_derivative(rng):
    a, w = 0.3 * rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    x = ac.dmatrix("x")
    g = ag.grad((la.logm(la.expm(x)) * ac.constant(w)).sum(), x)
    np.testing.assert_allclose(ac.function([x], g)(a), w, rtol=1e-7, atol=1e-9)


def test_sylvester(rng):
    check(la.solve_sylvester, [well_conditioned(rng, (3, 3)), well_conditioned(rng, (2, 2)),
                               rng.normal(size=(3, 2))])
    check(la.solve_sylvester, [well_conditioned(rng, (2, 3, 3)), well_conditioned(rng, (3, 3)),
                               rng.normal(size=(3, 3))])  # b and q broadcast over a's stack


def test_continuous_lyapunov(rng):
    check(la.solve_continuous_lyapunov, [well_conditioned(rng, (3, 3)), rng.normal(size=(3, 3))])
    check(la.solve_continuous_lyapunov, [well_conditioned(rng, (2, 3, 3)), rng.normal(size=(3, 3))])


@pytest.mark.parametrize("method", ["direct", "bilinear"])
def test_discrete_lyapunov(rng, method):
    a = 0.1 * well_conditioned(rng, (3, 3))
    check(lambda x, q: la.solve_discrete_lyapunov(x, q, method=method), [a, rng.normal(size=(3, 3))])


def test_schur_has_no_derivative():
    a = ac.dmatrix("a")
    with pytest.raises(ag.UndefinedGradientError, match="schur is not differentiable: the Schur vectors are not "
                                                         "unique"):
        ag.grad(la.schur(a)[0].sum(), a)


def test_lu_of_a_non_square_matrix_says_its_derivative_is_not_implemented():
    a = ac.tensor("float64", (3, 5), "a")
    with pytest.raises(ag.UndefinedGradientError, match="implemented for square matrices only"):
        ag.grad(la.lu(a)[2].sum(), a)


def test_svd_with_full_matrices_of_a_square_matrix(rng):
    check(lambda a: list(la.svd(a, full_matrices=True)), [rng.normal(size=(3, 3))], static_shapes=True)
    check(lambda a: list(la.svd(a, full_matrices=True)), [rng.normal(size=(2, 3, 3))], static_shapes=True)


@pytest.mark.parametrize("shape", [(3, 4), (None, None)], ids=str)
def test_svd_with_full_matrices_of_a_possibly_non_square_matrix_is_an_error(shape):
    a = ac.tensor("float64", shape, "a")
    u, _, _ = la.svd(a, full_matrices=True)
    with pytest.raises(ag.UndefinedGradientError, match="full_matrices=True of a \\(possibly\\) non-square matrix"):
        ag.grad(u.sum(), a)
