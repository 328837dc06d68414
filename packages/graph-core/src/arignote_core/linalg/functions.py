"""``numpy.linalg``'s functions (and SciPy's solve_triangular, cho_solve, expm, block_diag) on symbolic tensors:
the decompositions and solvers are ops, the norms, ranks, powers and tensor forms are built from them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..dtypes import result_dtype
from ..tensors import math as tm
from ..tensors.basic import as_tensor, cast, constant, reshape
from ..tensors.contractions import kron as _kron
from ..tensors.creation import eye, zeros
from ..tensors.join import concatenate
from ..tensors.reduce import normalize_axes
from ..tensors.shape_inference import shape_tuple
from ..tensors.shaping import atleast_2d, broadcast_to, moveaxis
from ..tensors.variable import TensorVariable
from .ops import (
    QR,
    SVD,
    Cholesky,
    ChoSolve,
    Det,
    Eig,
    Eigh,
    Expm,
    Inv,
    LinAlgError,
    Lstsq,
    Pinv,
    SlogDet,
    Solve,
    SolveTriangular,
    check_matrix,
    linalg_dtype,
    real_dtype,
)


def cholesky(a: Any, /, *, upper: bool = False) -> TensorVariable:
    """``numpy.linalg.cholesky``."""
    return Cholesky(upper)(a)


def det(a: Any) -> TensorVariable:
    """``numpy.linalg.det``."""
    return Det()(a)


def slogdet(a: Any) -> tuple[TensorVariable, TensorVariable]:
    """``numpy.linalg.slogdet``: (sign, logabsdet)."""
    sign, logabsdet = SlogDet()(a)
    return sign, logabsdet


def eig(a: Any) -> tuple[TensorVariable, TensorVariable]:
    """``numpy.linalg.eig``: (eigenvalues, eigenvectors), always complex."""
    w, v = Eig()(a)
    return w, v


def eigvals(a: Any) -> TensorVariable:
    """``numpy.linalg.eigvals``, always complex."""
    return Eig(compute_v=False)(a)


def eigh(a: Any, UPLO: str = "L") -> tuple[TensorVariable, TensorVariable]:  # noqa: N803
    """``numpy.linalg.eigh``: (eigenvalues ascending, eigenvectors) of a Hermitian matrix."""
    w, v = Eigh(UPLO)(a)
    return w, v


def eigvalsh(a: Any, UPLO: str = "L") -> TensorVariable:  # noqa: N803
    """``numpy.linalg.eigvalsh``."""
    return Eigh(UPLO, compute_v=False)(a)


def inv(a: Any) -> TensorVariable:
    """``numpy.linalg.inv``."""
    return Inv()(a)


def pinv(a: Any, rcond: float | None = None, hermitian: bool = False, *, rtol: float | None = None
         ) -> TensorVariable:
    """``numpy.linalg.pinv`` (``rtol`` is the array-API name of ``rcond``)."""
    return Pinv(rcond if rcond is not None else rtol, hermitian)(a)


def solve(a: Any, b: Any) -> TensorVariable:
    """``numpy.linalg.solve`` (``b`` one vector when 1-d, else a stack of matrices)."""
    return Solve()(a, b)


def lstsq(a: Any, b: Any, rcond: float | None = None) -> tuple[TensorVariable, ...]:
    """``numpy.linalg.lstsq``: (solution, residuals, rank, singular values)."""
    return tuple(Lstsq(rcond)(a, b))


def qr(a: Any, mode: str = "reduced") -> Any:
    """``numpy.linalg.qr``: (Q, R), or R alone for ``mode='r'``."""
    out = QR(mode)(a)
    return tuple(out) if isinstance(out, list) else out


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False) -> Any:
    """``numpy.linalg.svd``: (U, S, Vh), or S alone when not ``compute_uv``."""
    out = SVD(full_matrices, compute_uv, hermitian)(a)
    return tuple(out) if isinstance(out, list) else out


def svdvals(x: Any, /) -> TensorVariable:
    """``numpy.linalg.svdvals``: the singular values, descending."""
    return SVD(compute_uv=False)(x)


def matrix_rank(A: Any, tol: Any = None, hermitian: bool = False, *, rtol: Any = None) -> TensorVariable:  # noqa: N803
    """``numpy.linalg.matrix_rank``: the number of singular values above the tolerance."""
    a = as_tensor(A)
    if a.ndim < 2:
        return cast(tm.logical_not(tm.all(tm.equal(a, 0))), "int64")
    s = SVD(compute_uv=False, hermitian=hermitian)(a)
    if tol is None:
        if rtol is None:
            rows, cols = shape_tuple(a)[-2:]
            rtol = tm.maximum(rows, cols) * float(np.finfo(s.dtype).eps)
        else:
            rtol = as_tensor(rtol)[..., None]
        threshold = tm.max(s, axis=-1, keepdims=True) * rtol
    else:
        threshold = as_tensor(tol)[..., None]
    return tm.sum(tm.greater(s, threshold), axis=-1, dtype="int64")


def matrix_power(a: Any, n: int) -> TensorVariable:
    """``numpy.linalg.matrix_power`` for an integer ``n`` (negative: powers of the inverse)."""
    x = as_tensor(a)
    check_matrix(x, "matrix_power", square=True)
    n = int(n)
    if n == 0:
        return broadcast_to(eye(shape_tuple(x)[-1], dtype=x.dtype), shape_tuple(x))
    if n < 0:
        x, n = inv(x), -n
    result: TensorVariable | None = None
    power: TensorVariable | None = None
    while n > 0:
        power = x if power is None else tm.matmul(power, power)
        n, bit = divmod(n, 2)
        if bit:
            result = power if result is None else tm.matmul(result, power)
    assert result is not None
    return result


def multi_dot(arrays: Sequence[Any]) -> TensorVariable:
    """``numpy.linalg.multi_dot``: the chained product (the first and last may be vectors)."""
    tensors = [as_tensor(a) for a in arrays]
    if len(tensors) < 2:
        raise ValueError("multi_dot: Expecting at least two arrays.")
    for i, t in enumerate(tensors):
        expected = (1, 2) if i in (0, len(tensors) - 1) else (2,)
        if t.ndim not in expected:
            raise ValueError(f"multi_dot: array {i} has {t.ndim} dimensions; expected {expected}")
    result = tensors[0]
    for t in tensors[1:]:
        result = tm.dot(result, t)
    return result


# -----------------------------------------------------------------------------------------------------------
# norms


def _as_inexact(x: TensorVariable) -> TensorVariable:
    return x if x.dtype[0] in "fc" else cast(x, "float64")


def _sq_abs(x: TensorVariable) -> TensorVariable:
    return tm.real(tm.multiply(tm.conjugate(x), x)) if x.dtype[0] == "c" else tm.multiply(x, x)


def _keep(result: TensorVariable, axes: tuple[int, ...], ndim: int) -> TensorVariable:
    shape = list(shape_tuple(result))
    for a in sorted(axes):
        shape.insert(a, 1)
    return reshape(result, tuple(shape)) if len(shape) == ndim else result


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> TensorVariable:  # noqa: A002
    """``numpy.linalg.norm``: vector norms over one axis, matrix norms over two."""
    x = _as_inexact(as_tensor(x))
    if axis is None and (ord is None or (ord in ("f", "fro") and x.ndim == 2) or (ord == 2 and x.ndim == 1)):
        flat = reshape(x, (-1,))
        if flat.dtype[0] == "c":
            sq = tm.dot(tm.real(flat), tm.real(flat)) + tm.dot(tm.imag(flat), tm.imag(flat))
        else:
            sq = tm.dot(flat, flat)
        result = tm.sqrt(sq)
        return reshape(result, (1,) * x.ndim) if keepdims else result
    axes = tuple(range(x.ndim)) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
    axes = tuple(normalize_axes(a, x.ndim, "norm")[0] for a in axes)
    if len(axes) == 1:
        return _vector_norm(x, axes[0], ord, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, axes, ord, keepdims)
    raise ValueError("norm: Improper number of dimensions to norm.")


def _vector_norm(x: TensorVariable, axis: int, ord: Any, keepdims: bool) -> TensorVariable:  # noqa: A002
    magnitude = tm.absolute(x)
    if ord == math.inf:
        return tm.max(magnitude, axis=axis, keepdims=keepdims)
    if ord == -math.inf:
        return tm.min(magnitude, axis=axis, keepdims=keepdims)
    if ord == 0:
        return tm.sum(cast(tm.not_equal(x, 0), real_dtype(x.dtype)), axis=axis, keepdims=keepdims)
    if ord == 1:
        return tm.sum(magnitude, axis=axis, keepdims=keepdims)
    if ord is None or ord == 2:
        return tm.sqrt(tm.sum(_sq_abs(x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"norm: Invalid norm order '{ord}' for vectors")
    total = tm.sum(tm.power(magnitude, constant(np.asarray(ord, magnitude.dtype))), axis=axis, keepdims=keepdims)
    return tm.power(total, constant(np.reciprocal(np.asarray(ord, total.dtype))))


def _matrix_norm(x: TensorVariable, axes: tuple[int, ...], ord: Any, keepdims: bool) -> TensorVariable:  # noqa: A002
    row, col = axes
    if row == col:
        raise ValueError("norm: Duplicate axes given.")
    if ord in (2, -2, "nuc"):
        s = SVD(compute_uv=False)(moveaxis(x, (row, col), (-2, -1)))
        reduce: Any = {2: tm.max, -2: tm.min, "nuc": tm.sum}[ord]
        result = reduce(s, axis=-1)
    elif ord in (1, -1):
        extreme = tm.max if ord == 1 else tm.min
        result = extreme(tm.sum(tm.absolute(x), axis=row), axis=col - 1 if col > row else col)
    elif ord in (math.inf, -math.inf):
        extreme = tm.max if ord == math.inf else tm.min
        result = extreme(tm.sum(tm.absolute(x), axis=col), axis=row - 1 if row > col else row)
    elif ord in (None, "fro", "f"):
        result = tm.sqrt(tm.sum(_sq_abs(x), axis=axes))
    else:
        raise ValueError("norm: Invalid norm order for matrices.")
    return _keep(result, tuple(sorted(axes)), x.ndim) if keepdims else result


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> TensorVariable:  # noqa: A002
    """``numpy.linalg.vector_norm``: a vector norm over ``axis`` (all axes flattened by default)."""
    x = as_tensor(x)
    if axis is None:
        result = norm(reshape(x, (-1,)), ord=ord, axis=0)
        return reshape(result, (1,) * x.ndim) if keepdims else result
    if isinstance(axis, tuple):
        axes = normalize_axes(axis, x.ndim, "vector_norm")
        rest = tuple(i for i in range(x.ndim) if i not in axes)
        dims = shape_tuple(x)
        merged = reshape(x.transpose(tuple(axis) + rest), (-1,) + tuple(dims[i] for i in rest))
        result = norm(merged, ord=ord, axis=0)
        return _keep(result, axes, x.ndim) if keepdims else result
    return norm(x, ord=ord, axis=axis, keepdims=keepdims)


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> TensorVariable:  # noqa: A002
    """``numpy.linalg.matrix_norm``: a matrix norm over the last two axes."""
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def cond(x: Any, p: Any = None) -> TensorVariable:
    """``numpy.linalg.cond``: the condition number (by singular values for p in None, 2, -2)."""
    x = as_tensor(x)
    check_matrix(x, "cond")
    if p is None or p == 2 or p == -2:
        s = svdvals(x)
        return s[..., -1] / s[..., 0] if p == -2 else s[..., 0] / s[..., -1]
    check_matrix(x, "cond", square=True)
    result = norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))
    return cast(result, real_dtype(linalg_dtype(x.dtype, what="cond")))


def tensorinv(a: Any, ind: int = 2) -> TensorVariable:
    """``numpy.linalg.tensorinv``: the inverse with respect to ``tensordot`` over ``ind`` axes."""
    x = as_tensor(a)
    if ind <= 0:
        raise ValueError("tensorinv: Invalid ind argument.")
    dims = shape_tuple(x)
    size = math.prod(dims[ind:]) if all(isinstance(d, int) for d in dims[ind:]) else \
        _symbolic_product(dims[ind:])
    inverse = inv(reshape(x, (size, -1)))
    return reshape(inverse, tuple(dims[ind:]) + tuple(dims[:ind]))


def _symbolic_product(dims: Sequence[Any]) -> Any:
    total: Any = 1
    for d in dims:
        total = total * d
    return total


def tensorsolve(a: Any, b: Any, axes: Any = None) -> TensorVariable:
    """``numpy.linalg.tensorsolve``: ``x`` with ``tensordot(a, x, x.ndim) = b``."""
    x, y = as_tensor(a), as_tensor(b)
    if axes is not None:
        order = [i for i in range(x.ndim) if i not in axes] + list(axes)
        x = x.transpose(order)
    dims = shape_tuple(x)
    old = dims[x.ndim - (x.ndim - y.ndim):] if x.ndim > y.ndim else ()
    size = _symbolic_product(old)
    if all(isinstance(d, int) for d in dims) and math.prod(dims) != size ** 2:
        raise LinAlgError("tensorsolve: Input arrays must satisfy the requirement "
                          "prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])")
    solution = solve(reshape(x, (size, size)), reshape(y, (-1,)))
    return reshape(solution, tuple(old))


# -----------------------------------------------------------------------------------------------------------
# SciPy's


def solve_triangular(a: Any, b: Any, trans: int | str = 0, lower: bool = False, unit_diagonal: bool = False
                     ) -> TensorVariable:
    """``scipy.linalg.solve_triangular``."""
    trans = {"N": 0, "T": 1, "C": 2}.get(trans, trans) if isinstance(trans, str) else int(trans)
    return SolveTriangular(int(trans), lower, unit_diagonal)(a, b)


def cho_solve(c_and_lower: tuple[Any, bool], b: Any) -> TensorVariable:
    """``scipy.linalg.cho_solve((c, lower), b)``."""
    c, lower = c_and_lower
    return ChoSolve(bool(lower))(c, b)


def cho_factor(a: Any, lower: bool = False) -> tuple[TensorVariable, bool]:
    """``scipy.linalg.cho_factor``, with zeros in the unused triangle: (c, lower) for ``cho_solve``."""
    return Cholesky(upper=not lower)(a), lower


def expm(A: Any) -> TensorVariable:  # noqa: N803
    """``scipy.linalg.expm``: the matrix exponential."""
    return Expm()(A)


def kron(a: Any, b: Any) -> TensorVariable:
    """The Kronecker product (``numpy.kron``)."""
    return _kron(a, b)


def block_diag(*arrs: Any) -> TensorVariable:
    """``scipy.linalg.block_diag``: the arrays on the diagonal of a matrix of zeros (1-d arrays are rows)."""
    blocks = [atleast_2d(as_tensor(a)) for a in arrs] if arrs else [atleast_2d(as_tensor(np.zeros(0)))]
    for i, block in enumerate(blocks):
        if block.ndim > 2:
            raise ValueError(f"block_diag: argument {i} has more than 2 dimensions")
    dtype = result_dtype(*(b.dtype for b in blocks))
    widths = [shape_tuple(b)[1] for b in blocks]
    rows = []
    for i, block in enumerate(blocks):
        height = shape_tuple(block)[0]
        parts = [zeros((height, w), dtype) if j != i else cast(block, dtype) for j, w in enumerate(widths)]
        rows.append(concatenate(parts, axis=1))
    return concatenate(rows, axis=0)


__all__ = ["LinAlgError", "block_diag", "cho_factor", "cho_solve", "cholesky", "cond", "det", "eig", "eigh",
           "eigvals", "eigvalsh", "expm", "inv", "kron", "lstsq", "matrix_norm", "matrix_power", "matrix_rank",
           "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals",
           "tensorinv", "tensorsolve", "vector_norm"]
