"""SciPy's LU and Schur factorizations: ``lu``, ``lu_factor`` with ``lu_solve``, and ``schur``, on stacks of
matrices (the last two axes; a vector right-hand side of ``lu_solve`` is one vector for every matrix).

Dtypes follow the other linalg ops: integers and booleans compute in float64, float32 and the complex types keep
theirs (SciPy's dtypes for these), float16 is refused. Pivots are int32, as LAPACK gives them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import Apply
from ..tensors import math as tm
from ..tensors.basic import as_tensor
from ..tensors.shape_inference import broadcast_shapes
from ..tensors.type import TensorType, format_shape
from ..tensors.variable import TensorVariable
from .ops import LinAlgError, MatrixOp, _solve_shapes, _static_solve_shape, complex_dtype, linalg_dtype
from .stacks import check_square_value, matrix_input, over_stack


def _smaller(m: Any, n: Any) -> Any:
    """min(m, n) of two sizes, static (int or None) or symbolic."""
    if isinstance(m, int) and isinstance(n, int):
        return min(m, n)
    if m is None or n is None:
        return None
    return tm.minimum(m, n)


@dataclass(frozen=True)
class LU(MatrixOp):
    """``scipy.linalg.lu``: ``a = P @ L @ U`` with ``P`` a permutation, ``L`` unit lower trapezoidal (m, k),
    ``U`` upper trapezoidal (k, n), k = min(m, n). ``permute_l`` gives (P @ L, U); ``p_indices`` gives ``P`` as
    int32 row indices ``p`` with ``a = L[p] @ U`` (``P[arange(m), p] = 1``)."""

    permute_l: bool = False
    p_indices: bool = False

    def make_node(self, a: Any) -> Apply:
        a = matrix_input(a, "lu", "a")
        dtype = linalg_dtype(a.dtype, what="lu")
        batch, (m, n) = a.type.shape[:-2], a.type.shape[-2:]
        k = _smaller(m, n)
        lower, upper = TensorType(dtype, batch + (m, k)), TensorType(dtype, batch + (k, n))
        if self.permute_l:
            return Apply(self, [a], [lower, upper])
        p = TensorType("int32", batch + (m,)) if self.p_indices else TensorType(dtype, batch + (m, m))
        return Apply(self, [a], [p, lower, upper])

    def compute(self, a: np.ndarray) -> Sequence[Any]:
        import scipy.linalg  # noqa: PLC0415  (lazily: importing SciPy's linalg costs 0.1 s)

        return over_stack(lambda x: scipy.linalg.lu(x, permute_l=self.permute_l, p_indices=self.p_indices),
                          [a], [2])

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        shape = tuple(input_shapes[0])
        batch, m, n = shape[:-2], shape[-2], shape[-1]
        k = _smaller(m, n)
        factors = [batch + (m, k), batch + (k, n)]
        if self.permute_l:
            return factors
        return [batch + ((m,) if self.p_indices else (m, m))] + factors


@dataclass(frozen=True)
class LUFactor(MatrixOp):
    """``scipy.linalg.lu_factor``: ``L`` (below the diagonal, unit diagonal implied) and ``U`` in one matrix,
    and LAPACK's int32 pivots (row ``i`` was swapped with row ``piv[i]``), for ``LUSolve``."""

    def make_node(self, a: Any) -> Apply:
        a = matrix_input(a, "lu_factor", "a")
        dtype = linalg_dtype(a.dtype, what="lu_factor")
        batch, (m, n) = a.type.shape[:-2], a.type.shape[-2:]
        return Apply(self, [a], [TensorType(dtype, a.type.shape), TensorType("int32", batch + (_smaller(m, n),))])

    def compute(self, a: np.ndarray) -> Sequence[Any]:
        import scipy.linalg  # noqa: PLC0415  (lazily: importing SciPy's linalg costs 0.1 s)

        return over_stack(scipy.linalg.lu_factor, [a], [2])

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        shape = tuple(input_shapes[0])
        return [shape, shape[:-2] + (_smaller(shape[-2], shape[-1]),)]


@dataclass(frozen=True)
class LUSolve(MatrixOp):
    """``scipy.linalg.lu_solve((lu, piv), b, trans)``: the solution of ``a @ x = b`` (``trans`` 0), ``a^T @ x = b``
    (1) or ``a^H @ x = b`` (2) given ``lu_factor(a)``; ``b`` one vector (1-d) or a stack of matrices."""

    trans: int = 0

    def make_node(self, lu: Any, piv: Any, b: Any) -> Apply:
        if self.trans not in (0, 1, 2):
            raise ValueError(f"lu_solve: trans must be 0, 1 or 2 (or 'N', 'T', 'C'), got {self.trans!r}")
        lu, piv, b = matrix_input(lu, "lu_solve", "lu", square=True), as_tensor(piv), as_tensor(b)
        if piv.dtype[0] not in "iu" or piv.ndim != lu.ndim - 1:
            raise TypeError(f"lu_solve: input piv must be an integer tensor with {lu.ndim - 1} axes (lu_factor's "
                            f"pivots), got {piv.type}")
        if b.ndim == 0:
            raise LinAlgError("lu_solve: input b must be a vector or a stack of matrices (at least 1-d), got a "
                              "0-d tensor")
        n, k = lu.type.shape[-1], b.type.shape[0] if b.ndim == 1 else b.type.shape[-2]
        if n is not None and k is not None and n != k:
            raise LinAlgError(f"lu_solve: input b must have {n} rows to match lu of shape "
                              f"{format_shape(lu.type.shape)}, got shape {format_shape(b.type.shape)}")
        dtype = linalg_dtype(lu.dtype, b.dtype, what="lu_solve")
        return Apply(self, [lu, piv, b], [TensorType(dtype, _static_solve_shape(lu, b))])

    def compute(self, lu: np.ndarray, piv: np.ndarray, b: np.ndarray) -> Sequence[Any]:
        import scipy.linalg  # noqa: PLC0415  (lazily: importing SciPy's linalg costs 0.1 s)

        check_square_value(lu, "lu_solve", "lu")
        return over_stack(lambda f, p, y: [scipy.linalg.lu_solve((f, p), y, trans=self.trans)], [lu, piv, b],
                          [2, 1, 1 if b.ndim == 1 else 2])

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [_solve_shapes(input_shapes[0], input_shapes[2], broadcast_shapes)]


@dataclass(frozen=True)
class PivotMatrix(MatrixOp):
    """The permutation matrix ``P`` (of ``dtype``) that LAPACK's pivots stand for: ``a = P @ L @ U``. The
    derivative rules of ``lu_solve`` write it with this and triangular solves; it is not a user function."""

    dtype: str = "float64"

    def make_node(self, piv: Any) -> Apply:
        piv = as_tensor(piv)
        if piv.dtype[0] not in "iu" or piv.ndim < 1:
            raise TypeError(f"PivotMatrix: input piv must be an integer tensor of pivots, got {piv.type}")
        n = piv.type.shape[-1]
        return Apply(self, [piv], [TensorType(self.dtype, piv.type.shape[:-1] + (n, n))])

    def compute(self, piv: np.ndarray) -> Sequence[Any]:
        def matrix(p: np.ndarray) -> list[np.ndarray]:
            order = np.arange(len(p))
            for i, j in enumerate(p):
                order[[i, j]] = order[[j, i]]
            perm = np.zeros((len(p), len(p)), self.dtype)
            perm[order, np.arange(len(p))] = 1
            return [perm]

        return over_stack(matrix, [piv], [1])

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        shape = tuple(input_shapes[0])
        return [shape + (shape[-1],)]


@dataclass(frozen=True)
class Schur(MatrixOp):
    """``scipy.linalg.schur``: ``a = Z @ T @ Z^H`` with ``Z`` unitary and ``T`` quasi upper triangular (2x2 blocks
    for complex pairs) when ``output`` is ``real``, upper triangular and complex when it is ``complex``."""

    output: str = "real"

    def make_node(self, a: Any) -> Apply:
        if self.output not in ("real", "complex", "r", "c"):
            raise ValueError(f"schur: output must be 'real' or 'complex', got {self.output!r}")
        a = matrix_input(a, "schur", "a", square=True)
        dtype = linalg_dtype(a.dtype, what="schur")
        if self.output in ("complex", "c"):
            dtype = complex_dtype(dtype)
        return Apply(self, [a], [TensorType(dtype, a.type.shape)] * 2)

    def compute(self, a: np.ndarray) -> Sequence[Any]:
        import scipy.linalg  # noqa: PLC0415  (lazily: importing SciPy's linalg costs 0.1 s)

        check_square_value(a, "schur", "a")
        return over_stack(lambda x: scipy.linalg.schur(x, output=self.output), [a], [2])

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]] * 2


def lu(a: Any, permute_l: bool = False, p_indices: bool = False) -> tuple[TensorVariable, ...]:
    """``scipy.linalg.lu``: (P, L, U), (P @ L, U) with ``permute_l``, or (p, L, U) with ``p_indices``."""
    return tuple(LU(bool(permute_l), bool(p_indices))(a))


def lu_factor(a: Any) -> tuple[TensorVariable, TensorVariable]:
    """``scipy.linalg.lu_factor``: (lu, piv) for ``lu_solve``."""
    factors, piv = LUFactor()(a)
    return factors, piv


def lu_solve(lu_and_piv: tuple[Any, Any], b: Any, trans: int | str = 0) -> TensorVariable:
    """``scipy.linalg.lu_solve((lu, piv), b, trans)``: ``trans`` 0 or 'N' solves ``a x = b``, 1 or 'T'
    ``a^T x = b``, 2 or 'C' ``a^H x = b``."""
    factors, piv = lu_and_piv
    code = {"N": 0, "T": 1, "C": 2}.get(trans, trans) if isinstance(trans, str) else int(trans)
    return LUSolve(int(code))(factors, piv, b)


def schur(a: Any, output: str = "real") -> tuple[TensorVariable, TensorVariable]:
    """``scipy.linalg.schur``: (T, Z) with ``a = Z T Z^H``; not differentiable (the factors are not unique)."""
    t, z = Schur(output)(a)
    return t, z


__all__ = ["LU", "LUFactor", "LUSolve", "PivotMatrix", "Schur", "lu", "lu_factor", "lu_solve", "schur"]
