"""Derivatives of arignote_core.sparse: ``verify_grad``/``verify_rop`` with finite differences on the stored
values (the matrix built by ``CSM`` from its data) and on the dense operands, and the structured gradient with
respect to a sparse variable: a sparse matrix with the variable's own pattern."""

import numpy as np
import pytest
import scipy.sparse as sp

import arignote_core as ac
import arignote_grad as ag
from arignote_core import sparse as S
from arignote_core.plugins import entry_points_in
from arignote_grad import grad, verify_grad, verify_rop

FORMATS = ["csr", "csc"]
#: the reference evaluator, and the C backend's rewritten mode where codegen-c is installed (this package's tests
#: also run with graph-core alone)
MODES = ["reference", *(["fast_run"] if "fast_run" in {ep.name for ep in entry_points_in("arignote.modes")} else [])]


def random_sparse(fmt, shape=(5, 4), seed=0):
    return sp.random(*shape, density=0.5, format=fmt, random_state=seed)


def from_values(fmt, like):
    """fn(data) -> the sparse matrix with ``like``'s pattern holding ``data``."""
    indices, indptr, shape = like.indices, like.indptr, np.array(like.shape)
    return lambda data: S.CSM(fmt)(data, indices, indptr, shape)


def check(fn, *points):
    verify_grad(fn, list(points), rng=0)
    verify_rop(fn, list(points), rng=0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_structured_dot_with_respect_to_the_stored_values_and_the_dense_operand(fmt):
    m = random_sparse(fmt)
    make = from_values(fmt, m)
    d = np.random.default_rng(1).normal(size=(4, 3))
    check(lambda data, b: S.structured_dot(make(data), b), m.data.copy(), d)
    check(lambda data, v: S.structured_dot(make(data), v), m.data.copy(), d[:, 0])
    check(lambda data, b: S.dot(b.T, make(data).T), m.data.copy(), d)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("build", [
    lambda x, b: S.sqr(x).toarray(),
    lambda x, b: S.sqrt(S.sqr(x) + S.sqr(x)).toarray(),
    lambda x, b: (-x).toarray(),
    lambda x, b: abs(x).toarray(),
    lambda x, b: S.mul(x, b[:, :1].T).toarray(),
    lambda x, b: S.mul(x, x).toarray(),
    lambda x, b: x.T.toarray(),
    lambda x, b: x[1:4].toarray(),
    lambda x, b: x[2].toarray(),
    lambda x, b: S.dot(x, S.csr_from_dense(b)).toarray(),
    lambda x, b: S.sp_sum(x),
    lambda x, b: S.sp_sum(x, 0, sparse_grad=True),
    lambda x, b: S.sp_sum(x, 1),
    lambda x, b: S.as_format(x, "csr").toarray(),
], ids=["sqr", "sqrt", "neg", "abs", "mul dense", "mul sparse", "transpose", "rows", "row", "sparse dot", "sum",
        "sum 0 structured", "sum 1", "to csr"])
def test_elementwise_sums_and_rows(fmt, build):
    m = random_sparse(fmt)
    m.data += np.sign(m.data) * 0.5  # away from abs's kink
    make = from_values(fmt, m)
    check(lambda data, b: build(make(data), b), m.data.copy(), np.random.default_rng(2).normal(size=(4, 3)))


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_gradient_of_a_sparse_variable_is_structured(fmt):
    m = random_sparse(fmt)
    d = np.random.default_rng(3).normal(size=(4, 2))
    x, b = S.matrix(fmt, "x"), ac.dmatrix("b")
    gx, gb = grad(ac.sum(S.structured_dot(x, b) ** 2), [x, b])
    assert gx.type == x.type
    for mode in MODES:
        got_x, got_b = ac.function([x, b], [gx, gb], mode=mode)(m, d)
        full = 2 * (m @ d) @ d.T  # the dense gradient, of which the structured one keeps x's stored entries
        assert got_x.format == fmt and np.array_equal(got_x.indices, m.indices)
        np.testing.assert_allclose(got_x.data, full[m.nonzero()] if fmt == "csr" else got_x.data)
        np.testing.assert_allclose(got_x.toarray(), np.where(m.toarray() != 0, full, 0))
        np.testing.assert_allclose(got_b, 2 * m.T @ (m @ d))


def test_sp_sum_gradients_full_and_structured():
    m = random_sparse("csr")
    x = S.csr_matrix("x")
    full, structured = grad(ac.sum(S.sp_sum(x, 1)), x), grad(ac.sum(S.sp_sum(x, 1, sparse_grad=True)), x)
    got_full, got_structured = ac.function([x], [full, structured])(m)
    assert np.array_equal(got_full.toarray(), np.ones(m.shape))
    assert np.array_equal(got_structured.toarray(), (m.toarray() != 0).astype(float))


def test_gradients_through_a_shared_sparse_matrix():
    w = ac.shared(random_sparse("csr"), name="w")
    d = ac.dmatrix("d")
    cost = ac.sum(S.structured_dot(w, d))
    step = ac.function([d], cost, updates=[(w, w + S.mul(grad(cost, w), ac.as_tensor(-0.1)))])
    before = w.get_value()
    step(np.ones((4, 2)))
    after = w.get_value()
    np.testing.assert_allclose(after.toarray(), before.toarray() - 0.1 * 2 * (before.toarray() != 0))


def test_jacobian_through_sparse_ops_against_the_dense_computation():
    a = random_sparse("csr").toarray()
    d, e = ac.dmatrix("d"), ac.dmatrix("e")
    x = S.csr_from_dense(d)
    out = ac.sum(S.structured_dot(S.sqr(x) + x, e), axis=1) + S.sp_sum(x[1:3].T, 0).sum()
    jd, je = ag.jacobian(out, [d, e])
    b = np.random.default_rng(5).normal(size=(4, 2))
    got_d, got_e = ac.function([d, e], [jd, je])(a, b)
    dd, ee = ac.dmatrix("dd"), ac.dmatrix("ee")
    product, rows = ac.sum((dd ** 2 + dd) @ ee, axis=1), ac.sum(dd[1:3]) + ac.zeros(5)
    want_product, want_e = ac.function([dd, ee], ag.jacobian(product, [dd, ee]))(a, b)
    want_rows = ac.function([dd], ag.jacobian(rows, dd))(a)
    np.testing.assert_allclose(got_e, want_e)
    # structured_dot's derivative is structured (only where the matrix stores a value); the rows' sum is full
    np.testing.assert_allclose(got_d, np.where(a != 0, want_product, 0) + want_rows)
