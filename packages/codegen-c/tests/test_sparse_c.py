"""Sparse matrices on the C backend: ``structured_dot`` as the csr/csc x dense kernel (float32 and float64,
int32 and int64 indices, vectors, strided operands, empty matrices, several threads) against SciPy, the checks
that keep a bad matrix from being read out of bounds, and the other sparse ops as Python steps."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import arignote_core as ac
from arignote_c import CBackend
from arignote_core import sparse as S
from arignote_core.mode import Mode

FORMATS = ["csr", "csc"]


def random_sparse(fmt: str, shape: tuple[int, int], dtype: str = "float64", seed: int = 0) -> Any:
    return sp.random(*shape, density=0.3, format=fmt, dtype=dtype, random_state=seed)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_kernel_agrees_with_scipy(c_mode: Mode, fmt: str, dtype: str) -> None:
    x, d, v = S.matrix(fmt, "x", dtype), ac.matrix("d", dtype=dtype), ac.vector("v", dtype=dtype)
    f = ac.function([x, d, v], [S.structured_dot(x, d), S.structured_dot(x, v)], mode=c_mode)
    assert "user" in f.report() and "StructuredDot" not in f.report().split("Python perform")[-1]
    rng = np.random.default_rng(0)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for shape in [(7, 5), (0, 5), (7, 0), (1, 1), (40, 30)]:
        m = random_sparse(fmt, shape, dtype)
        b = rng.normal(size=(shape[1], 6)).astype(dtype)
        for dense in (b, b[:, ::2], np.asfortranarray(b)):  # contiguous, strided columns, column-major
            got, vec = f(m, dense, dense[:, 0] if dense.shape[1] else np.zeros(shape[1], dtype))
            assert got.dtype == dtype and got.shape == (shape[0], dense.shape[1])
            np.testing.assert_allclose(got, m @ dense, rtol=tol, atol=tol)
            np.testing.assert_allclose(vec, m @ (dense[:, 0] if dense.shape[1] else np.zeros(shape[1])),
                                       rtol=tol, atol=tol)


@pytest.mark.parametrize("fmt", FORMATS)
def test_int64_indices_and_duplicates(c_mode: Mode, fmt: str) -> None:
    data, indices, indptr = ac.dvector("data"), ac.lvector("indices"), ac.lvector("indptr")
    d = ac.dmatrix("d")
    out = S.structured_dot(S.CSM(fmt)(data, indices, indptr, np.array([3, 3])), d)
    f = ac.function([data, indices, indptr, d], out, mode=c_mode)
    values, idx, ptr = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 2, 2, 1]), np.array([0, 2, 2, 4])
    b = np.arange(6.0).reshape(3, 2)
    m = (sp.csr_matrix if fmt == "csr" else sp.csc_matrix)((values, idx, ptr), shape=(3, 3))  # a duplicate entry
    np.testing.assert_allclose(f(values, idx, ptr, b), m @ b)


@pytest.mark.parametrize(("indices", "indptr", "message"), [
    ([0, 5], [0, 1, 2, 2], r"indices\[1\] = 5 is outside \[0, 3\)"),
    ([0, -1], [0, 1, 2, 2], r"indices\[1\] = -1 is outside"),
    ([0, 1], [0, 2, 1, 2], r"indptr\[2\] = 1 is out of order"),
    ([0, 1], [0, 1, 2, 9], r"indptr\[3\] = 9 is out of order or outside the 2 stored values"),
    ([0, 1], [0, 1, 2], "indptr has 3 entries, 4 expected"),
])
def test_a_bad_matrix_is_an_error_not_a_wild_read(c_mode: Mode, indices: Any, indptr: Any, message: str) -> None:
    data, idx, ptr = ac.dvector("data"), ac.ivector("indices"), ac.ivector("indptr")
    out = S.StructuredDot("csr")(data, idx, ptr, np.array([3, 3]), ac.dmatrix("d"))
    f = ac.function([data, idx, ptr, out.owner.inputs[4]], out, mode=c_mode)
    with pytest.raises(ValueError, match=message):
        f(np.ones(2), np.array(indices, "int32"), np.array(indptr, "int32"), np.ones((3, 2)))


def test_sizes_are_checked_before_the_kernel_runs(c_mode: Mode) -> None:
    x, d = S.csr_matrix("x"), ac.dmatrix("d")
    f = ac.function([x, d], S.structured_dot(x, d), mode=c_mode)
    with pytest.raises(ValueError, match=r"has shape \(4, 3\), so the dense operand needs 3 rows; it has shape "
                                         r"\(2, 2\)"):
        f(random_sparse("csr", (4, 3)), np.ones((2, 2)))


@pytest.mark.parametrize("fmt", FORMATS)
def test_several_threads_give_the_same_result(cache_dir: Any, fmt: str) -> None:
    mode = Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "threads": 3})
    x, d = S.matrix(fmt, "x"), ac.dmatrix("d")
    f = ac.function([x, d], S.structured_dot(x, d), mode=mode)
    m = random_sparse(fmt, (900, 700), seed=1)
    b = np.random.default_rng(1).normal(size=(700, 16))
    np.testing.assert_allclose(f(m, b), m @ b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode_name", ["c_mode", "fast_mode"])
def test_other_sparse_ops_run_as_python_steps_and_keep_sparse_values(request: Any, mode_name: str) -> None:
    mode = request.getfixturevalue(mode_name)
    x, y, d, r = S.csr_matrix("x"), S.csr_matrix("y"), ac.dmatrix("d"), ac.dvector("r")
    outs = [S.sqr(x) + y, S.dot(d, x), S.sp_sum(x, 0), x[1:3], S.mul(x, r).toarray()]
    f = ac.function([x, y, d, r], outs, mode=mode)
    a, b = random_sparse("csr", (4, 5)), random_sparse("csr", (4, 5), seed=2)
    e = np.random.default_rng(3).normal(size=(3, 4))
    row = np.arange(5.0)
    added, dense_sparse, sums, rows, product = f(a, b, e, row)
    assert isinstance(added, sp.csr_matrix) and isinstance(rows, sp.csr_matrix)
    np.testing.assert_allclose(added.toarray(), a.toarray() ** 2 + b.toarray())
    np.testing.assert_allclose(dense_sparse, e @ a.toarray())
    np.testing.assert_allclose(sums, a.toarray().sum(0))
    np.testing.assert_allclose(rows.toarray(), a.toarray()[1:3])
    np.testing.assert_allclose(product, a.toarray() * row)


def test_gradients_on_the_c_backend(c_mode: Mode) -> None:
    grad_module = pytest.importorskip("arignote_grad")
    m = random_sparse("csr", (6, 4))
    make = lambda data: S.CSM("csr")(data, m.indices, m.indptr, np.array(m.shape))  # noqa: E731
    d = np.random.default_rng(4).normal(size=(4, 3))
    grad_module.verify_grad(lambda data, b: S.structured_dot(make(data), b), [m.data.copy(), d], rng=0,
                            mode=c_mode)
