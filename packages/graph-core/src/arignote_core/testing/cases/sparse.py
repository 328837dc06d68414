"""Conformance cases of ``arignote_core.sparse``: each builds sparse matrices from dense inputs
(``csr_from_dense``/``csc_from_dense``), applies the op, and compares the dense result with SciPy's.

Products with a sparse operand are differentiated with respect to the dense operand only: their gradient with
respect to the sparse one is structured (zero where the matrix stores nothing), which finite differences on the
dense input it was made from do not see. The CUDA backend runs every node that is not a kernel with its NumPy
``perform`` and makes each result an array, which a sparse matrix is not: it is declared unable to run them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from ... import sparse as S
from ..case import Case, Sample, sample

CUDA = {"cuda": "sparse matrices are not arrays: its host fallback makes every result an ndarray"}
SPARSE_DTYPES = ("float64", "float32")


def _sparse_like(rng: np.random.Generator, shape: Sequence[int], dtype: str, density: float = 0.4) -> np.ndarray:
    """A dense array with about ``density`` of its entries nonzero."""
    values = rng.normal(size=tuple(shape)) * (rng.random(size=tuple(shape)) < density)
    return values.astype(dtype)


def _to(fmt: str) -> Callable[[Any], Any]:
    return S.csr_from_dense if fmt == "csr" else S.csc_from_dense


def _scipy(fmt: str, a: np.ndarray) -> Any:
    return sp.csr_matrix(a) if fmt == "csr" else sp.csc_matrix(a)


def _case(name: str, build: Callable[..., Any], oracle: Callable[..., Any],
          samples: Callable[[np.random.Generator], list[Sample]], **options: Any) -> Case:
    return Case(name, name.split("[")[0], build, oracle, samples, unsupported_backends=CUDA, **options)


def _product_samples(rng: np.random.Generator) -> list[Sample]:
    out = [sample(_sparse_like(rng, (5, 4), d), rng.normal(size=(4, 3)).astype(d), label=d) for d in SPARSE_DTYPES]
    b = rng.normal(size=(4, 6))
    out += [sample(_sparse_like(rng, (5, 4), "float64"), rng.normal(size=4), label="vector"),
            sample(_sparse_like(rng, (5, 4), "float64"), b[:, ::2], tags=["view"], label="strided dense"),
            sample(_sparse_like(rng, (5, 4), "float64"), b.T[:4, :4].T, tags=["view"], label="transposed dense"),
            sample(np.zeros((0, 4)), rng.normal(size=(4, 3)), tags=["empty"], label="no rows"),
            sample(np.zeros((3, 4)), rng.normal(size=(4, 2)), tags=["edge"], label="nothing stored"),
            sample(_sparse_like(rng, (5, 4), "int64"), np.ones((4, 2), "int64"), label="int64 (scipy, no kernel)"),
            sample(_sparse_like(rng, (5, 4), "float64"), rng.normal(size=(3, 2)), tags=["error"],
                   label="sizes differ")]
    return out


def _dense_sparse_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(rng.normal(size=(3, 5)), _sparse_like(rng, (5, 4), "float64"), label="float64"),
            sample(rng.normal(size=(3, 5)).astype("float32"), _sparse_like(rng, (5, 4), "float32"), label="float32"),
            sample(rng.normal(size=(3, 5)), _sparse_like(rng, (4, 4), "float64"), tags=["error"],
                   label="sizes differ")]


def _matrix_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(_sparse_like(rng, (5, 4), d), label=d) for d in SPARSE_DTYPES] + [
        sample(np.zeros((0, 3)), tags=["empty"], label="empty"),
        sample(_sparse_like(rng, (4, 6), "float64")[:, ::2], tags=["view"], label="strided")]


def _pair_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(_sparse_like(rng, (4, 5), d), _sparse_like(rng, (4, 5), d), label=d) for d in SPARSE_DTYPES] + [
        sample(_sparse_like(rng, (4, 5), "float64"), _sparse_like(rng, (4, 3), "float64"), tags=["error"],
               label="shapes differ")]


def _mul_samples(rng: np.random.Generator) -> list[Sample]:
    return _pair_samples(rng) + [sample(_sparse_like(rng, (4, 5), "float64"), rng.normal(size=(1, 5)),
                                        label="broadcast row")]


def _sum_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for axis in (None, 0, 1):
        out += [sample(_sparse_like(rng, (5, 4), "float64"), axis=axis, label=f"axis {axis}"),
                sample(_sparse_like(rng, (5, 4), "float32"), axis=axis, label=f"float32, axis {axis}"),
                sample(np.zeros((0, 4)), axis=axis, tags=["empty"], label=f"empty, axis {axis}")]
    out.append(sample((_sparse_like(rng, (5, 4), "float64") * 4).astype("int32"), axis=1, label="int32 widens"))
    return out


def _rows_samples(rng: np.random.Generator) -> list[Sample]:
    a = _sparse_like(rng, (6, 4), "float64")
    return [sample(a, start=1, stop=4, label="1:4"), sample(a, start=None, stop=-2, label=":-2"),
            sample(a, start=5, stop=2, label="empty slice"),
            sample(_sparse_like(rng, (6, 4), "float32"), start=0, stop=6, label="float32")]


def _row_samples(rng: np.random.Generator) -> list[Sample]:
    a = _sparse_like(rng, (6, 4), "float64")
    return [sample(a, index=2, label="row 2"), sample(a, index=-1, label="last row"),
            sample(a, index=6, tags=["error"], label="out of bounds")]


def _dot_builder(fmt: str) -> Callable[..., Any]:
    return lambda a, b: S.structured_dot(_to(fmt)(a), b)


def _dot_oracle(fmt: str) -> Callable[..., Any]:
    return lambda a, b: np.asarray(_scipy(fmt, a) @ b)


D = S.dense_from_sparse

CASES = [
    _case("sparse.structured_dot[csr]", _dot_builder("csr"), _dot_oracle("csr"), _product_samples, grad_wrt=(1,)),
    _case("sparse.structured_dot[csc]", _dot_builder("csc"), _dot_oracle("csc"), _product_samples, grad_wrt=(1,)),
    _case("sparse.dot[dense x csc]", lambda a, b: S.dot(a, S.csc_from_dense(b)),
          lambda a, b: np.asarray(a @ sp.csc_matrix(b)), _dense_sparse_samples, grad_wrt=(0,)),
    _case("sparse.dot[csr x csr]", lambda a, b: D(S.dot(S.csr_from_dense(a), S.csr_from_dense(b))),
          lambda a, b: (sp.csr_matrix(a) @ sp.csr_matrix(b)).toarray(), _dense_sparse_samples),
    _case("sparse.csr_from_dense", lambda a: D(S.csr_from_dense(a)), lambda a: a.copy(), _matrix_samples),
    _case("sparse.csc_from_dense", lambda a: D(S.csc_from_dense(a)), lambda a: a.copy(), _matrix_samples),
    _case("sparse.transpose", lambda a: D(S.transpose(S.csr_from_dense(a))), lambda a: a.T.copy(),
          _matrix_samples),
    _case("sparse.neg", lambda a: D(S.neg(S.csc_from_dense(a))), lambda a: -a, _matrix_samples),
    _case("sparse.sqr", lambda a: D(S.sqr(S.csr_from_dense(a))), lambda a: a * a, _matrix_samples),
    _case("sparse.abs", lambda a: D(S.abs_(S.csr_from_dense(a))), np.abs, _matrix_samples,
          differentiable=False, why_not_differentiable="abs has a kink at the zeros every sparse matrix holds"),
    _case("sparse.sqrt", lambda a: D(S.sqrt(S.csr_from_dense(a * a))), lambda a: np.abs(a),
          _matrix_samples, differentiable=False,
          why_not_differentiable="sqrt of a square: a kink at the zeros every sparse matrix holds"),
    _case("sparse.mul", lambda a, b: D(S.mul(S.csr_from_dense(a), b)), lambda a, b: a * b, _mul_samples),
    _case("sparse.mul[sparse x sparse]", lambda a, b: D(S.mul(S.csc_from_dense(a), S.csc_from_dense(b))),
          lambda a, b: a * b, _pair_samples),
    _case("sparse.add", lambda a, b: D(S.add(S.csr_from_dense(a), S.csr_from_dense(b))), lambda a, b: a + b,
          _pair_samples),
    _case("sparse.sp_sum", lambda a, axis: S.sp_sum(S.csr_from_dense(a), axis),
          lambda a, axis: np.sum(a, axis=axis), _sum_samples),
    _case("sparse.get_rows[slice]", lambda a, start, stop: D(S.get_rows(S.csr_from_dense(a), slice(start, stop))),
          lambda a, start, stop: a[start:stop].copy(), _rows_samples),
    _case("sparse.get_rows[row]", lambda a, index: D(S.get_rows(S.csc_from_dense(a), index)),
          lambda a, index: a[index:index + 1 if index != -1 else None].copy()
          if -a.shape[0] <= index < a.shape[0] else a[index], _row_samples),
]
