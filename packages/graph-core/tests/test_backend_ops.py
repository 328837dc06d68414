"""The ops graph-opt introduces and backends lower (Gemm, Gemv, FusedReduce), on the reference evaluator against
NumPy: they live in graph-core, below both, and graph-core alone must run them."""

import numpy as np

import arignote_core as ac
from arignote_core.scalars import SCALAR_OPS
from arignote_core.tensors.blas_ops import Gemm, Gemv
from arignote_core.tensors.fused_reduce import FusedReduce, max_with_identity


def test_gemm_and_gemv_compute_what_the_blas_does():
    rng = np.random.default_rng(0)
    c, a, b = rng.normal(size=(1, 4)), rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    cv, av, bv = ac.dmatrix("c"), ac.dmatrix("a"), ac.dmatrix("b")
    out = Gemm(trans_a=True, trans_b=False)(cv, 0.5, av, bv, 2.0)
    f = ac.function([cv, av, bv], [out, out.shape])
    got, shape = f(c, a, b)
    np.testing.assert_allclose(got, 2.0 * c + 0.5 * a.T @ b)
    assert tuple(shape) == (3, 4)
    x = rng.normal(size=3)
    yv, xv = ac.dvector("y"), ac.dvector("x")
    g = ac.function([yv, av, xv], Gemv(trans_a=False)(yv, 1.5, av, xv, 0.0))
    np.testing.assert_allclose(g(np.full(5, np.nan), a, x), 1.5 * a @ x)  # beta 0: y is not read


def test_fused_reduce_folds_its_expression_over_the_axes():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4))
    xv = ac.dmatrix("x")
    scalar = ac.ScalarType("float64")()
    square = ac.Composite([scalar], [SCALAR_OPS["multiply"](scalar, scalar)])
    f = ac.function([xv], FusedReduce(square, SCALAR_OPS["add"], (1,), "float64")(xv))
    np.testing.assert_allclose(f(x), (x * x).sum(axis=1))
    empty = ac.function([xv], max_with_identity(xv, (0,)))(np.zeros((0, 2)))
    np.testing.assert_array_equal(empty, [-np.inf, -np.inf])
