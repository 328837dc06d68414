"""Conformance cases of ``arignote_core.linalg``: decompositions and solvers on well-conditioned matrices,
stacks, run-time shapes, every dtype (integers compute in float64, float16 is refused), norms, ranks, powers,
tensor forms, and SciPy's solve_triangular, cho_solve, expm and block_diag.

Decompositions defined up to signs or phases (eig, eigh, svd, qr) are compared through what defines them
(reconstruction, orthogonality, the eigenvalue equation), so that every backend can pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.linalg

from ... import linalg as la
from ...tensors import math as tm
from ..case import Case, Sample, sample
from ..generators import fixed

LINALG_DTYPES = ("float64", "float32", "complex128", "complex64", "int64", "int8", "bool", "float16")
TOL = {"float32": (2e-4, 2e-5), "complex64": (2e-4, 2e-5), "float64": (1e-9, 1e-11), "complex128": (1e-9, 1e-11)}
INTEGER_OUTPUT = "integer output (a rank)"


def _matrix(rng: np.random.Generator, shape: Sequence[int], dtype: str, kind: str = "general") -> np.ndarray:
    """A well-conditioned matrix (stack) of ``kind``: general, spd (Hermitian positive definite), or lower."""
    n = shape[-1]
    a: np.ndarray = rng.normal(size=tuple(shape))
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.normal(size=tuple(shape))
    if kind == "spd":
        a = a @ np.conj(np.swapaxes(a, -1, -2)) + n * np.eye(n)
    elif kind == "lower":
        a = np.tril(a) + n * np.eye(n)
    elif shape[-2] == n:
        a = a + n * np.eye(n)
    if np.dtype(dtype).kind in "iub":
        a = np.round(a) if np.dtype(dtype).kind != "b" else np.eye(n, dtype=bool) | (a > 2)
    return np.asarray(a).astype(dtype)


def _square_samples(kind: str = "general", dtypes: Sequence[str] = LINALG_DTYPES) -> Callable[..., list[Sample]]:
    def make(rng: np.random.Generator) -> list[Sample]:
        out = [sample(_matrix(rng, (3, 3), d, kind), label=d) for d in dtypes]
        out += [sample(_matrix(rng, (2, 4, 4), "float64", kind), label="stack"),
                sample(_matrix(rng, (3, 3), "float64", kind), static=["none"], label="run-time shape"),
                sample(_matrix(rng, (3, 3), "float64", kind).T, tags=["view"], label="transposed view"),
                sample(np.ones((2, 3)), tags=["error", "build-error"], label="not square"),
                sample(np.ones((2, 3)), static=["none"], tags=["error"], label="not square at run time"),
                sample(np.ones(3), tags=["error", "build-error"], label="1-d")]
        return out

    return make


def _solve_samples(kind: str = "general") -> Callable[..., list[Sample]]:
    def make(rng: np.random.Generator) -> list[Sample]:
        out = []
        for dtype in ("float64", "float32", "complex128", "int64"):
            out.append(sample(_matrix(rng, (3, 3), dtype, kind), rng.normal(size=3).astype(dtype), label=dtype))
        a = _matrix(rng, (2, 3, 3), "float64", kind)
        out += [sample(a[0], rng.normal(size=(3, 2)), label="matrix right-hand side"),
                sample(a, rng.normal(size=(2, 3, 4)), label="stacks"),
                sample(a, rng.normal(size=(3, 1)), label="broadcast right-hand side"),
                sample(a[0], rng.normal(size=3), static=["none", "none"], label="run-time shapes"),
                sample(a[0], np.ones(4), tags=["error", "build-error"], label="sizes differ")]
        return out

    return make


def _assert_close(got: np.ndarray, want: np.ndarray, dtype: str, what: str) -> None:
    rtol, atol = TOL.get(dtype, (1e-9, 1e-11))
    np.testing.assert_allclose(got, want, rtol=rtol * 10, atol=atol * 100 + rtol, err_msg=what)


def _check_eig(expected: Sequence[np.ndarray], got: Sequence[np.ndarray], s: Sample) -> None:
    a = s.values[0].astype(got[1].dtype)
    w, v = got
    _assert_close(np.sort_complex(w.ravel()), np.sort_complex(expected[0].astype(w.dtype).ravel()), w.dtype.name,
                  "eigenvalues")
    _assert_close(a @ v, v * w[..., None, :], w.dtype.name, "a v = v w")


def _check_eigh(expected: Sequence[np.ndarray], got: Sequence[np.ndarray], s: Sample) -> None:
    w, v = got
    _assert_close(w, expected[0], w.dtype.name, "eigenvalues")
    a = s.values[0].astype(v.dtype)
    _assert_close(a @ v, v * w[..., None, :], v.dtype.name, "a v = v w")


def _check_svd(expected: Sequence[np.ndarray], got: Sequence[np.ndarray], s: Sample) -> None:
    u, sv, vh = got
    _assert_close(sv, expected[1], sv.dtype.name, "singular values")
    k = sv.shape[-1]
    rebuilt = (u[..., :, :k] * sv[..., None, :]) @ vh[..., :k, :]
    _assert_close(rebuilt, s.values[0].astype(u.dtype), u.dtype.name, "U S Vh = a")


def _check_qr(expected: Sequence[np.ndarray], got: Sequence[np.ndarray], s: Sample) -> None:
    q, r = got
    _assert_close(q @ r, s.values[0].astype(q.dtype), q.dtype.name, "Q R = a")
    _assert_close(np.abs(r), np.abs(expected[1]), r.dtype.name, "|R|")


def _eig_oracle(a: np.ndarray) -> list[np.ndarray]:
    w, v = np.linalg.eig(a)
    dtype = np.result_type(w.dtype, np.complex64)
    return [w.astype(dtype), v.astype(dtype)]


#: Why some samples of decompositions and norms are left out of gradient checks.
EXTRA_SINGULAR_VECTORS = ("full_matrices=True of a non-square matrix: the singular vectors beyond the smaller "
                          "size are any orthonormal basis of the complement, not a function of the input")
EXTRA_Q_COLUMNS = ("mode='complete' of a tall matrix: the columns of Q beyond its width are any orthonormal basis "
                   "of the complement, not a function of the input")
SINGULAR_NUCLEAR = "a singular matrix: the nuclear norm (a sum of |singular values|) has a kink at a zero one"


def _decomposition_samples(shapes: Sequence[tuple[tuple[int, ...], dict[str, Any], str]]) \
        -> Callable[..., list[Sample]]:
    """Fixed random matrices of ``shapes`` with keyword arguments and, where set, why there is no derivative."""
    def make(rng: np.random.Generator) -> list[Sample]:
        return [sample(np.random.default_rng(k).normal(size=shape), label="x".join(map(str, shape)),
                       not_differentiable=why, **kw) for k, (shape, kw, why) in enumerate(shapes)]

    return make


_svd_samples = _decomposition_samples([
    ((3, 4), {}, EXTRA_SINGULAR_VECTORS), ((4, 3), {"full_matrices": False}, ""), ((2, 3, 3), {}, ""),
    ((5, 2), {}, EXTRA_SINGULAR_VECTORS), ((3, 4), {"full_matrices": False}, ""),
    ((5, 2), {"full_matrices": False}, "")])
_qr_samples = _decomposition_samples([
    ((4, 3), {}, ""), ((3, 4), {}, ""), ((4, 3), {"mode": "complete"}, EXTRA_Q_COLUMNS), ((2, 3, 3), {}, ""),
    ((3, 3), {"mode": "complete"}, "")])


def _lstsq_samples(rng: np.random.Generator) -> list[Sample]:
    a = rng.normal(size=(5, 3))
    return [sample(a, rng.normal(size=5), label="overdetermined"), sample(a, rng.normal(size=(5, 2)), label="2-d b"),
            sample(a.T.copy(), rng.normal(size=3), label="underdetermined"),
            sample(a.astype("float32"), rng.normal(size=5).astype("float32"), label="float32")]


def _norm_samples(rng: np.random.Generator) -> list[Sample]:
    m, v = rng.normal(size=(3, 4)), rng.normal(size=5)
    out = [sample(m, label="matrix, default"), sample(v, label="vector, default")]
    out += [sample(v, ord=o, label=f"vector ord {o}") for o in (np.inf, -np.inf, 0, 1, 2, 3, -1.5)]
    out += [sample(m, ord=o, label=f"matrix ord {o}") for o in ("fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2)]
    out += [sample(rng.normal(size=(2, 3, 4)), axis=(2, 0), ord=1, keepdims=True, label="axes, keepdims"),
            sample(rng.normal(size=(2, 3, 4)), axis=1, ord=3, label="vector axis"),
            sample(np.arange(6).reshape(2, 3), label="int"), sample(m.astype("complex64") * 1j, label="complex64"),
            sample(m.astype("float32"), axis=1, label="float32"), sample(v, ord="fro", tags=["error"]),
            sample(m, keepdims=True, label="keepdims")]
    return out


def _power_samples(rng: np.random.Generator) -> list[Sample]:
    a = _matrix(rng, (3, 3), "float64") / 3
    return [sample(a, n=n, label=f"n={n}") for n in (0, 1, 2, 3, 5, -1, -2)] + [
        sample(np.array([[1, 1], [1, 0]]), n=6, label="int"), sample(_matrix(rng, (2, 3, 3), "float64") / 3, n=3,
                                                                    label="stack")]


def _rank_samples(rng: np.random.Generator) -> list[Sample]:
    low = rng.normal(size=(4, 2)) @ rng.normal(size=(2, 5))
    return [sample(low, label="rank 2"), sample(rng.normal(size=(3, 3)), label="full"),
            sample(np.stack([low[:3, :3], np.eye(3)]), label="stack"), sample(np.zeros(4), label="1-d zeros"),
            sample(low, tol=1e3, label="tol"), sample(np.array([0.0, 1.0]), label="1-d")]


def _multi_dot_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), label="matrices"),
            sample(rng.normal(size=3), rng.normal(size=(3, 4)), rng.normal(size=4), label="vector ends"),
            sample(rng.normal(size=3).astype("float32"), rng.normal(size=(3, 2)).astype("float32"),
                   rng.normal(size=(2, 2)).astype("float32"), label="float32")]


def _tensorinv_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(_matrix(rng, (6, 6), "float64").reshape(6, 2, 3), ind=1, label="ind 1"),
            sample(_matrix(rng, (6, 6), "float64").reshape(2, 3, 6), label="ind 2")]


def _tensorsolve_samples(rng: np.random.Generator) -> list[Sample]:
    a = _matrix(rng, (6, 6), "float64").reshape(2, 3, 6)
    return [sample(a, rng.normal(size=(2, 3)), label="plain"),
            sample(a.reshape(6, 2, 3).transpose(1, 2, 0).copy(), rng.normal(size=(2, 3)), axes=(0, 1),
                   label="axes")]


def _triangular_samples(rng: np.random.Generator) -> list[Sample]:
    low = _matrix(rng, (3, 3), "float64", "lower")
    return [sample(low, rng.normal(size=3), lower=True, label="lower"),
            sample(low.T.copy(), rng.normal(size=(3, 2)), label="upper, matrix b"),
            sample(low, rng.normal(size=3), lower=True, trans=1, label="transposed"),
            sample(low, rng.normal(size=3), lower=True, unit_diagonal=True, label="unit diagonal"),
            sample(low.astype("float32"), rng.normal(size=3).astype("float32"), lower=True, label="float32")]


def _cho_solve_samples(rng: np.random.Generator) -> list[Sample]:
    spd = _matrix(rng, (3, 3), "float64", "spd")
    c = np.linalg.cholesky(spd)
    return [sample(c, rng.normal(size=3), lower=True, label="lower"),
            sample(c.T.conj().copy(), rng.normal(size=(3, 2)), lower=False, label="upper")]


def _block_diag_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(rng.normal(size=(2, 2)), rng.normal(size=(1, 3)), label="two"),
            sample(rng.normal(size=3).astype("float32"), np.array(2, "int8"), rng.normal(size=(2, 1)),
                   label="vector, scalar, matrix"),
            sample(np.zeros((0, 2)), rng.normal(size=(2, 2)), label="empty block")]


CASES: list[Case] = [
    Case(name="linalg.cholesky", function="linalg.cholesky", build=la.cholesky, oracle=np.linalg.cholesky,
         samples=_square_samples("spd"), tolerances=TOL),
    Case(name="linalg.cholesky/upper", function="linalg.cholesky", build=lambda a: la.cholesky(a, upper=True),
         oracle=lambda a: np.linalg.cholesky(a, upper=True), samples=_square_samples("spd", ("float64",)),
         tolerances=TOL),
    Case(name="linalg.inv", function="linalg.inv", build=la.inv, oracle=np.linalg.inv, samples=_square_samples(),
         tolerances=TOL),
    Case(name="linalg.det", function="linalg.det", build=la.det, oracle=np.linalg.det, samples=_square_samples(),
         tolerances=TOL),
    Case(name="linalg.slogdet", function="linalg.slogdet", build=la.slogdet, oracle=np.linalg.slogdet,
         samples=_square_samples(), tolerances=TOL, grad_wrt=(0,)),
    Case(name="linalg.eig", function="linalg.eig", build=la.eig, oracle=_eig_oracle, compare=_check_eig,
         samples=_square_samples(dtypes=("float64", "float32", "complex128", "int64")), differentiable=False,
         why_not_differentiable="complex eigenvectors of a general matrix are defined up to a phase"),
    Case(name="linalg.eigh", function="linalg.eigh", build=la.eigh, oracle=np.linalg.eigh, compare=_check_eigh,
         samples=_square_samples("spd", ("float64", "float32", "complex128", "int64")), tolerances=TOL),
    Case(name="linalg.eigvalsh", function="linalg.eigvalsh", build=la.eigvalsh, oracle=np.linalg.eigvalsh,
         samples=_square_samples("spd"), tolerances=TOL),
    Case(name="linalg.eigvalsh/upper", function="linalg.eigvalsh", build=lambda a: la.eigvalsh(a, UPLO="U"),
         oracle=lambda a: np.linalg.eigvalsh(a, UPLO="U"), samples=_square_samples("spd", ("float64",)),
         tolerances=TOL),
    Case(name="linalg.svd", function="linalg.svd", build=la.svd, oracle=np.linalg.svd, compare=_check_svd,
         samples=_svd_samples, tolerances=TOL),
    Case(name="linalg.svdvals", function="linalg.svdvals", build=la.svdvals, oracle=np.linalg.svdvals,
         samples=_square_samples(), tolerances=TOL),
    Case(name="linalg.qr", function="linalg.qr", build=la.qr, oracle=np.linalg.qr, compare=_check_qr,
         samples=_qr_samples, tolerances=TOL),
    Case(name="linalg.qr/r", function="linalg.qr", build=lambda a: tm.absolute(la.qr(a, mode="r")),
         oracle=lambda a: np.abs(np.linalg.qr(a, mode="r")),
         samples=fixed(sample(np.random.default_rng(2).normal(size=(4, 3)))), tolerances=TOL,
         differentiable=False, why_not_differentiable="compared up to signs (absolute values)"),
    Case(name="linalg.pinv", function="linalg.pinv", build=la.pinv, oracle=np.linalg.pinv, tolerances=TOL,
         samples=fixed(sample(np.random.default_rng(4).normal(size=(3, 5))),
                       sample(np.random.default_rng(5).normal(size=(2, 4, 3))),
                       sample(np.random.default_rng(6).normal(size=(3, 3)), rcond=0.5))),
    Case(name="linalg.solve", function="linalg.solve", build=la.solve, oracle=np.linalg.solve,
         samples=_solve_samples(), tolerances=TOL),
    Case(name="linalg.lstsq", function="linalg.lstsq", build=la.lstsq, oracle=np.linalg.lstsq,
         samples=_lstsq_samples, tolerances=TOL, dynamic_shape=True, grad_wrt=(0, 1)),
    Case(name="linalg.matrix_rank", function="linalg.matrix_rank", build=la.matrix_rank,
         oracle=np.linalg.matrix_rank, samples=_rank_samples, differentiable=False,
         why_not_differentiable=INTEGER_OUTPUT),
    Case(name="linalg.matrix_power", function="linalg.matrix_power", build=la.matrix_power,
         oracle=np.linalg.matrix_power, samples=_power_samples, tolerances=TOL),
    Case(name="linalg.multi_dot", function="linalg.multi_dot", build=lambda *xs: la.multi_dot(list(xs)),
         oracle=lambda *xs: np.linalg.multi_dot(list(xs)), samples=_multi_dot_samples, tolerances=TOL),
    Case(name="linalg.norm", function="linalg.norm", build=la.norm, oracle=np.linalg.norm, samples=_norm_samples,
         tolerances=TOL),
    Case(name="linalg.vector_norm", function="linalg.vector_norm", build=lambda x, **kw: la.vector_norm(x, **kw),
         oracle=lambda x, **kw: np.linalg.vector_norm(x, **kw), tolerances=TOL,
         samples=fixed(sample(np.arange(12.0).reshape(3, 4) - 5), sample(np.arange(24.0).reshape(2, 3, 4), axis=(0, 2),
                                                                         keepdims=True),
                       sample(np.arange(5.0), ord=np.inf), sample(np.arange(6).reshape(2, 3), axis=1, ord=1),
                       sample(np.arange(6.0).reshape(2, 3), keepdims=True))),
    Case(name="linalg.matrix_norm", function="linalg.matrix_norm", build=lambda x, **kw: la.matrix_norm(x, **kw),
         oracle=lambda x, **kw: np.linalg.matrix_norm(x, **kw), tolerances=TOL,
         samples=fixed(sample(np.arange(12.0).reshape(3, 4) - 5), sample(np.arange(24.0).reshape(2, 3, 4), ord=1),
                       sample(np.arange(9.0).reshape(3, 3) + 2 * np.eye(3), ord="nuc", label="nuclear"),
                       sample(np.arange(9.0).reshape(3, 3), ord="nuc", keepdims=True, label="nuclear, singular",
                              not_differentiable=SINGULAR_NUCLEAR))),
    Case(name="linalg.cond", function="linalg.cond", build=la.cond, oracle=np.linalg.cond, tolerances=TOL,
         samples=fixed(*(sample(_matrix(np.random.default_rng(7), (3, 3), "float64"), **kw)
                         for kw in ({}, {"p": 2}, {"p": -2}, {"p": 1}, {"p": "fro"}, {"p": np.inf})),
                       sample(np.random.default_rng(8).normal(size=(2, 3, 3))))),
    Case(name="linalg.tensorinv", function="linalg.tensorinv", build=la.tensorinv, oracle=np.linalg.tensorinv,
         samples=_tensorinv_samples, tolerances=TOL),
    Case(name="linalg.tensorsolve", function="linalg.tensorsolve", build=la.tensorsolve,
         oracle=np.linalg.tensorsolve, samples=_tensorsolve_samples, tolerances=TOL),
    Case(name="linalg.solve_triangular", function="linalg.solve_triangular", build=la.solve_triangular,
         oracle=scipy.linalg.solve_triangular, samples=_triangular_samples, tolerances=TOL),
    Case(name="linalg.cho_solve", function="linalg.cho_solve", build=lambda c, b, lower: la.cho_solve((c, lower), b),
         oracle=lambda c, b, lower: scipy.linalg.cho_solve((c, lower), b), samples=_cho_solve_samples,
         tolerances=TOL),
    Case(name="linalg.expm", function="linalg.expm", build=la.expm, oracle=scipy.linalg.expm, tolerances=TOL,
         samples=fixed(sample(np.random.default_rng(9).normal(size=(3, 3))),
                       sample(np.random.default_rng(10).normal(size=(2, 2, 2)).astype("float32")),
                       sample(np.array([[0, 1], [-1, 0]])))),
    Case(name="linalg.block_diag", function="linalg.block_diag", build=la.block_diag,
         oracle=scipy.linalg.block_diag, samples=_block_diag_samples),
]


# -----------------------------------------------------------------------------------------------------------
# SciPy's LU and Schur factorizations, matrix square root and logarithm, Sylvester and Lyapunov equations


def _computing_dtype(values: Sequence[np.ndarray]) -> np.dtype[Any]:
    """The dtype the linalg ops compute in for these inputs: integers in float64, float32 and complex kept."""
    return np.result_type(*(v.dtype if v.dtype.kind in "fc" else np.float64 for v in values))


def _in_computing_dtype(oracle: Callable[..., Any], matrices: Sequence[int] = (0,)) -> Callable[..., Any]:
    """``oracle`` with its inexact results in the dtype Arignote computes in (SciPy's logm and discrete Lyapunov
    solver compute float32 in float64; pivots and permutation indices stay integers)."""
    def call(*values: np.ndarray, **kwargs: Any) -> Any:
        result = oracle(*values, **kwargs)
        dtype = _computing_dtype([values[k] for k in matrices])
        parts = list(result) if isinstance(result, tuple | list) else [result]
        arrays = [np.asarray(r) for r in parts]
        cast = [r.astype(np.result_type(dtype, np.complex64) if r.dtype.kind == "c" else dtype)
                if r.dtype.kind in "fc" else r for r in arrays]
        return tuple(cast) if isinstance(result, tuple | list) else cast[0]

    return call


def _stacked(oracle: Callable[..., Any]) -> Callable[..., Any]:
    """A SciPy function of one matrix (giving a tuple) over a stack of them."""
    def call(a: np.ndarray, **kwargs: Any) -> tuple[np.ndarray, ...]:
        if a.ndim <= 2:
            return tuple(np.asarray(r) for r in oracle(a, **kwargs))
        results = [oracle(m, **kwargs) for m in a.reshape((-1,) + a.shape[-2:])]
        return tuple(np.stack([r[k] for r in results]).reshape(a.shape[:-2] + np.shape(results[0][k]))
                     for k in range(len(results[0])))

    return call


NOT_SQUARE_LU = "a non-square LU: its derivative is implemented for square matrices only"


def _lu_samples(rng: np.random.Generator) -> list[Sample]:
    out = _square_samples(dtypes=("float64", "float32", "complex128", "int64"))(rng)[:-3]
    return out + [sample(rng.normal(size=(3, 5)), label="wide", not_differentiable=NOT_SQUARE_LU),
                  sample(rng.normal(size=(5, 3)), label="tall", not_differentiable=NOT_SQUARE_LU),
                  sample(np.zeros((0, 0)), tags=["empty"], label="0x0"), sample(np.array([[2.0]]), label="1x1"),
                  sample(np.ones(3), tags=["error", "build-error"], label="1-d")]


def _lu_factor_samples(rng: np.random.Generator) -> list[Sample]:
    """lu's samples but the 1-d one: SciPy's ``lu_factor`` takes a vector for a matrix, which Arignote refuses."""
    return [s for s in _lu_samples(rng) if s.label != "1-d"]


def _lu_p_indices(a: np.ndarray) -> tuple[np.ndarray, ...]:
    """SciPy's ``lu(a, p_indices=True)`` with int32 indices (SciPy gives int64 for a 1x1 matrix only)."""
    p, low, up = scipy.linalg.lu(a, p_indices=True)
    return p.astype(np.int32), low, up


def _lu_solve_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for dtype, trans in (("float64", 0), ("float64", 1), ("float32", 0), ("complex128", 2)):
        factors, piv = scipy.linalg.lu_factor(_matrix(rng, (3, 3), dtype))
        out.append(sample(factors, piv, rng.normal(size=(3, 2)).astype(dtype), trans=trans,
                          label=f"{dtype}, trans {trans}"))
    factors, piv = scipy.linalg.lu_factor(_matrix(rng, (4, 4), "float64"))
    stack = _stacked(scipy.linalg.lu_factor)(_matrix(rng, (2, 3, 3), "float64"))
    return out + [sample(factors, piv, rng.normal(size=4), label="vector b"),
                  sample(*stack, rng.normal(size=(2, 3, 2)), trans=1, label="stacks"),
                  sample(factors.T, piv, rng.normal(size=(4, 6))[:, ::2], label="views"),
                  sample(factors, piv, rng.normal(size=4), static=["none", "none", "none"], label="run-time shapes"),
                  sample(factors, piv, np.ones(3), tags=["error", "build-error"], label="sizes differ")]


def _lu_solve_oracle(factors: np.ndarray, piv: np.ndarray, b: np.ndarray, trans: int = 0) -> np.ndarray:
    if factors.ndim == 2:
        return np.asarray(scipy.linalg.lu_solve((factors, piv), b, trans=trans))
    return np.stack([scipy.linalg.lu_solve((f, p), y, trans=trans) for f, p, y in zip(factors, piv, b, strict=True)])


def _check_schur(expected: Sequence[np.ndarray], got: Sequence[np.ndarray], s: Sample) -> None:
    t, z = got
    a = s.values[0].astype(t.dtype)
    eye = np.eye(a.shape[-1])
    z_h = np.conj(np.swapaxes(z, -1, -2))
    _assert_close(z @ t @ z_h, a, t.dtype.name, "Z T Z^H = a")
    _assert_close(z_h @ z, np.broadcast_to(eye, z.shape), t.dtype.name, "Z unitary")
    below = -2 if t.dtype.kind == "f" else -1  # real Schur forms have 2x2 blocks on the diagonal
    _assert_close(np.tril(t, below), np.zeros_like(t), t.dtype.name, "T (quasi) upper triangular")
    _assert_close(np.sort_complex(np.linalg.eigvals(t).ravel()), np.sort_complex(np.linalg.eigvals(a).ravel()),
                  t.dtype.name, "the eigenvalues of T are a's")


def _spd_samples(rng: np.random.Generator) -> list[Sample]:
    out = _square_samples("spd", ("float64", "float32", "complex128", "int64"))(rng)
    return out + [sample(np.array([[4.0]]), label="1x1"),
                  sample(np.array([[2.0, 1.0], [0.0, 3.0]]), label="triangular")]


def _sylvester_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for dtype in ("float64", "float32", "complex128"):
        out.append(sample(_matrix(rng, (3, 3), dtype), _matrix(rng, (2, 2), dtype),
                          rng.normal(size=(3, 2)).astype(dtype), label=dtype))
    a, b = _matrix(rng, (2, 3, 3), "float64"), _matrix(rng, (3, 3), "float64")
    return out + [sample(a, b, rng.normal(size=(2, 3, 3)), label="stack, broadcast b"),
                  sample(a[0].T, b.T, rng.normal(size=(3, 6))[:, ::2], label="views"),
                  sample(a[0], b, rng.normal(size=(3, 3)), static=["none", "none", "none"], label="run-time shapes"),
                  sample(np.array([[2.0]]), np.array([[1.0]]), np.array([[3.0]]), label="1x1"),
                  sample(a[0], np.ones((3, 2)), np.ones((3, 2)), tags=["error", "build-error"], label="b not square"),
                  sample(a[0], b, np.ones((2, 3)), tags=["error", "build-error"], label="q does not fit")]


def _lyapunov_samples(scale: float) -> Callable[..., list[Sample]]:
    def make(rng: np.random.Generator) -> list[Sample]:
        out = [sample(_matrix(rng, (3, 3), d) * scale, rng.normal(size=(3, 3)).astype(d), label=d)
               for d in ("float64", "float32", "complex128")]
        a = _matrix(rng, (2, 3, 3), "float64") * scale
        return out + [sample(a, rng.normal(size=(3, 3)), label="stack, broadcast q"),
                      sample(a[0].T, rng.normal(size=(3, 3)).T, label="views"),
                      sample(a[0], rng.normal(size=(3, 3)), static=["none", "none"], label="run-time shapes"),
                      sample(np.array([[0.5 * scale]]), np.array([[1.0]]), label="1x1"),
                      sample(np.ones((2, 3)), np.ones((2, 2)), tags=["error", "build-error"], label="a not square")]

    return make


SCHUR_NOT_UNIQUE = "the Schur vectors are not unique (unitary changes within blocks, signs, phases)"

CASES += [
    Case(name="linalg.lu", function="linalg.lu", build=la.lu, oracle=_in_computing_dtype(scipy.linalg.lu),
         samples=_lu_samples, tolerances=TOL),
    Case(name="linalg.lu/permute_l", function="linalg.lu", build=lambda a: la.lu(a, permute_l=True),
         oracle=_in_computing_dtype(lambda a: scipy.linalg.lu(a, permute_l=True)), samples=_lu_samples,
         tolerances=TOL),
    Case(name="linalg.lu/p_indices", function="linalg.lu", build=lambda a: la.lu(a, p_indices=True),
         oracle=_in_computing_dtype(_lu_p_indices), samples=_lu_samples,
         tolerances=TOL),
    Case(name="linalg.lu_factor", function="linalg.lu_factor", build=la.lu_factor,
         oracle=_in_computing_dtype(_stacked(scipy.linalg.lu_factor)), samples=_lu_factor_samples, tolerances=TOL),
    Case(name="linalg.lu_solve", function="linalg.lu_solve",
         build=lambda factors, piv, b, trans=0: la.lu_solve((factors, piv), b, trans=trans),
         oracle=_in_computing_dtype(_lu_solve_oracle, (0, 2)), samples=_lu_solve_samples, tolerances=TOL),
    Case(name="linalg.schur", function="linalg.schur", build=la.schur, compare=_check_schur,
         oracle=_in_computing_dtype(_stacked(scipy.linalg.schur)), tolerances=TOL, differentiable=False,
         why_not_differentiable=SCHUR_NOT_UNIQUE,
         samples=_square_samples(dtypes=("float64", "float32", "complex128", "int64"))),
    Case(name="linalg.schur/complex", function="linalg.schur", build=lambda a: la.schur(a, output="complex"),
         oracle=_in_computing_dtype(_stacked(lambda a: scipy.linalg.schur(a, output="complex"))),
         compare=_check_schur, tolerances=TOL, differentiable=False, why_not_differentiable=SCHUR_NOT_UNIQUE,
         samples=_square_samples(dtypes=("float64", "float32"))),
    Case(name="linalg.sqrtm", function="linalg.sqrtm", build=la.sqrtm,
         oracle=_in_computing_dtype(scipy.linalg.sqrtm), samples=_spd_samples, tolerances=TOL),
    Case(name="linalg.logm", function="linalg.logm", build=la.logm, oracle=_in_computing_dtype(scipy.linalg.logm),
         samples=_spd_samples, tolerances=TOL),
    Case(name="linalg.solve_sylvester", function="linalg.solve_sylvester", build=la.solve_sylvester,
         oracle=_in_computing_dtype(scipy.linalg.solve_sylvester, (0, 1, 2)), samples=_sylvester_samples,
         tolerances=TOL),
    Case(name="linalg.solve_continuous_lyapunov", function="linalg.solve_continuous_lyapunov",
         build=la.solve_continuous_lyapunov,
         oracle=_in_computing_dtype(scipy.linalg.solve_continuous_lyapunov, (0, 1)), samples=_lyapunov_samples(1.0),
         tolerances=TOL),
    Case(name="linalg.solve_discrete_lyapunov", function="linalg.solve_discrete_lyapunov",
         build=la.solve_discrete_lyapunov,
         oracle=_in_computing_dtype(scipy.linalg.solve_discrete_lyapunov, (0, 1)), samples=_lyapunov_samples(0.1),
         tolerances=TOL),
    Case(name="linalg.solve_discrete_lyapunov/bilinear", function="linalg.solve_discrete_lyapunov",
         build=lambda a, q: la.solve_discrete_lyapunov(a, q, method="bilinear"),
         oracle=_in_computing_dtype(lambda a, q: scipy.linalg.solve_discrete_lyapunov(a, q, method="bilinear"),
                                    (0, 1)), samples=_lyapunov_samples(0.1), tolerances=TOL),
]
