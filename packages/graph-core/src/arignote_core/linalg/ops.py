"""Linear-algebra ops on stacks of matrices (the last two axes), computed with NumPy and SciPy.

Dtypes follow ``numpy.linalg``: integers and booleans compute in float64, float32 and the complex types keep
theirs, float16 is refused. SciPy's linalg is imported inside the ops that use it: importing it costs 0.1 s,
which every compiled function's first call would otherwise pay.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dtypes import result_dtype
from ..graph import Apply, Op
from ..tensors import math as tm
from ..tensors.basic import as_tensor
from ..tensors.elemwise import broadcast_static_shapes
from ..tensors.shape_inference import broadcast_shapes
from ..tensors.type import TensorType, format_shape
from ..tensors.variable import TensorVariable

LinAlgError = np.linalg.LinAlgError
_REAL = {"complex64": "float32", "complex128": "float64"}


def linalg_dtype(*dtypes: str, what: str) -> str:
    """The dtype ``numpy.linalg`` computes in for inputs of ``dtypes``."""
    out = []
    for dtype in dtypes:
        if dtype == "float16":
            raise TypeError(f"{what}: array type float16 is unsupported in linalg")
        out.append(dtype if dtype[0] in "fc" else "float64")
    return result_dtype(*out)


def real_dtype(dtype: str) -> str:
    return _REAL.get(dtype, dtype)


def complex_dtype(dtype: str) -> str:
    return {"float32": "complex64", "float64": "complex128"}.get(dtype, dtype)


def check_matrix(x: TensorVariable, what: str, square: bool = False) -> None:
    """At least 2-d (and square where asked), as far as static shapes tell."""
    if x.ndim < 2:
        raise LinAlgError(f"{what}: {x.ndim}-dimensional array given. Array must be at least two-dimensional")
    rows, cols = x.type.shape[-2:]
    if square and rows is not None and cols is not None and rows != cols:
        raise LinAlgError(f"{what}: Last 2 dimensions of the array must be square, got {format_shape(x.type.shape)}")


class MatrixOp(Op):
    """An op computed by ``compute(*arrays)`` over stacks of matrices: subclasses give the output types and
    shapes (static and symbolic)."""

    #: the computation on NumPy arrays, one result per output (each subclass defines it)
    compute: Callable[..., Sequence[Any]]

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        results = self.compute(*inputs)
        return [np.asarray(r).astype(o.type.dtype, copy=False)
                for r, o in zip(results, node.outputs, strict=True)]

    def __str__(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in vars(self).items())
        return f"{type(self).__name__}{{{params}}}" if params else type(self).__name__


def _square(x: Any, what: str) -> TensorVariable:
    x = as_tensor(x)
    check_matrix(x, what, square=True)
    return x


@dataclass(frozen=True)
class Cholesky(MatrixOp):
    """The Cholesky factor: lower triangular ``L`` with ``L @ L^H = a`` (upper ``U`` when ``upper``)."""

    upper: bool = False

    def make_node(self, a: Any) -> Apply:
        a = _square(a, "cholesky")
        return Apply(self, [a], [TensorType(linalg_dtype(a.dtype, what="cholesky"), a.type.shape)])

    def compute(self, a: np.ndarray) -> Sequence[Any]:
        return [np.linalg.cholesky(a, upper=self.upper)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


@dataclass(frozen=True)
class Inv(MatrixOp):
    """The inverse (an error for a singular matrix)."""

    def make_node(self, a: Any) -> Apply:
        a = _square(a, "inv")
        return Apply(self, [a], [TensorType(linalg_dtype(a.dtype, what="inv"), a.type.shape)])

    def compute(self, a: np.ndarray) -> Sequence[Any]:
        return [np.linalg.inv(a)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


@dataclass(frozen=True)
class Pinv(MatrixOp):
    """The Moore-Penrose pseudo-inverse (singular values below ``rcond`` times the largest are dropped)."""

    rcond: float | None = None
    hermitian: bool = False

    def make_node(self, a: Any) -> Apply:
        a = as_tensor(a)
        check_matrix(a, "pinv")
        shape = a.type.shape[:-2] + (a.type.shape[-1], a.type.shape[-2])
        return Apply(self, [a], [TensorType(linalg_dtype(a.dtype, what="pinv"), shape)])

    def compute(self, a: np.ndarray) -> Sequence[Any]:
        if self.rcond is None:
            return [np.linalg.pinv(a, hermitian=self.hermitian)]
        return [np.linalg.pinv(a, rcond=self.rcond, hermitian=self.hermitian)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        shape = input_shapes[0]
        return [tuple(shape[:-2]) + (shape[-1], shape[-2])]


@dataclass(frozen=True)
class Det(MatrixOp):
    """The determinant."""

    def make_node(self, a: Any) -> Apply:
        a = _square(a, "det")
        return Apply(self, [a], [TensorType(linalg_dtype(a.dtype, what="det"), a.type.shape[:-2])])

    def compute(self, a: np.ndarray) -> Sequence[Any]:
        return [np.linalg.det(a)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [tuple(input_shapes[0][:-2])]


@dataclass(frozen=True)
class SlogDet(MatrixOp):
    """Sign and log of the absolute value of the determinant."""

    def make_node(self, a: Any) -> Apply:
        a = _square(a, "slogdet")
        dtype = linalg_dtype(a.dtype, what="slogdet")
        batch = a.type.shape[:-2]
        return Apply(self, [a], [TensorType(dtype, batch), TensorType(real_dtype(dtype), batch)])

    def compute(self, a: np.ndarray) -> Sequence[Any]:
        return list(np.linalg.slogdet(a))

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [tuple(input_shapes[0][:-2])] * 2


@dataclass(frozen=True)
class Eig(MatrixOp):
    """Eigenvalues and right eigenvectors of a general matrix, always complex (NumPy returns real arrays when
    every imaginary part is zero, a dtype a graph cannot know in advance)."""

    compute_v: bool = True

    def make_node(self, a: Any) -> Apply:
        a = _square(a, "eig")
        dtype = complex_dtype(linalg_dtype(a.dtype, what="eig"))
        outputs = [TensorType(dtype, a.type.shape[:-1])] + [TensorType(dtype, a.type.shape)] * self.compute_v
        return Apply(self, [a], outputs)

    def compute(self, a: np.ndarray) -> Sequence[Any]:
        if self.compute_v:
            return list(np.linalg.eig(a))
        return [np.linalg.eigvals(a)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        shape = tuple(input_shapes[0])
        return [shape[:-1]] + [shape] * self.compute_v


@dataclass(frozen=True)
class Eigh(MatrixOp):
    """Eigenvalues (ascending, real) and eigenvectors of a Hermitian matrix, read from its ``UPLO`` triangle."""

    UPLO: str = "L"
    compute_v: bool = True

    def make_node(self, a: Any) -> Apply:
        if self.UPLO not in ("L", "U"):
            raise ValueError("eigh: UPLO argument must be 'L' or 'U'")
        a = _square(a, "eigh")
        dtype = linalg_dtype(a.dtype, what="eigh")
        outputs = [TensorType(real_dtype(dtype), a.type.shape[:-1])] + [TensorType(dtype, a.type.shape)] * \
            self.compute_v
        return Apply(self, [a], outputs)

    def compute(self, a: np.ndarray) -> Sequence[Any]:
        if self.compute_v:
            return list(np.linalg.eigh(a, UPLO=self.UPLO))  # type: ignore[call-overload]
        return [np.linalg.eigvalsh(a, UPLO=self.UPLO)]  # type: ignore[call-overload]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        shape = tuple(input_shapes[0])
        return [shape[:-1]] + [shape] * self.compute_v


@dataclass(frozen=True)
class SVD(MatrixOp):
    """Singular value decomposition ``a = U @ diag(S) @ Vh``; only ``S`` when not ``compute_uv``."""

    full_matrices: bool = True
    compute_uv: bool = True
    hermitian: bool = False

    def make_node(self, a: Any) -> Apply:
        a = as_tensor(a)
        check_matrix(a, "svd")
        dtype = linalg_dtype(a.dtype, what="svd")
        batch, (m, n) = a.type.shape[:-2], a.type.shape[-2:]
        k = None if m is None or n is None else min(m, n)
        s = TensorType(real_dtype(dtype), batch + (k,))
        if not self.compute_uv:
            return Apply(self, [a], [s])
        u = TensorType(dtype, batch + (m, m if self.full_matrices else k))
        vh = TensorType(dtype, batch + (n if self.full_matrices else k, n))
        return Apply(self, [a], [u, s, vh])

    def compute(self, a: np.ndarray) -> Sequence[Any]:
        if not self.compute_uv:
            return [np.linalg.svd(a, compute_uv=False, hermitian=self.hermitian)]
        return list(np.linalg.svd(a, full_matrices=self.full_matrices, hermitian=self.hermitian))

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        shape = tuple(input_shapes[0])
        batch, m, n = shape[:-2], shape[-2], shape[-1]
        k = min(m, n) if isinstance(m, int) and isinstance(n, int) else tm.minimum(m, n)
        if not self.compute_uv:
            return [batch + (k,)]
        return [batch + (m, m if self.full_matrices else k), batch + (k,),
                batch + (n if self.full_matrices else k, n)]


@dataclass(frozen=True)
class QR(MatrixOp):
    """QR decomposition: ``mode`` is ``reduced`` (Q, R), ``complete`` (Q, R) or ``r`` (R only)."""

    mode: str = "reduced"

    def make_node(self, a: Any) -> Apply:
        if self.mode not in ("reduced", "complete", "r"):
            raise ValueError(f"qr: unrecognized mode {self.mode!r} (reduced, complete and r are supported)")
        a = as_tensor(a)
        check_matrix(a, "qr")
        dtype = linalg_dtype(a.dtype, what="qr")
        batch, (m, n) = a.type.shape[:-2], a.type.shape[-2:]
        k = m if self.mode == "complete" else (None if m is None or n is None else min(m, n))
        r = TensorType(dtype, batch + (k, n))
        if self.mode == "r":
            return Apply(self, [a], [r])
        return Apply(self, [a], [TensorType(dtype, batch + (m, k)), r])

    def compute(self, a: np.ndarray) -> Sequence[Any]:
        result = np.linalg.qr(a, mode=self.mode)  # type: ignore[call-overload]
        return [result] if self.mode == "r" else list(result)

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        shape = tuple(input_shapes[0])
        batch, m, n = shape[:-2], shape[-2], shape[-1]
        if self.mode == "complete":
            k = m
        else:
            k = min(m, n) if isinstance(m, int) and isinstance(n, int) else tm.minimum(m, n)
        r = batch + (k, n)
        return [r] if self.mode == "r" else [batch + (m, k), r]


def _solve_shapes(a_shape: tuple[Any, ...], b_shape: tuple[Any, ...], broadcast: Callable[..., Any]
                  ) -> tuple[Any, ...]:
    """NumPy 2's ``solve``: ``b`` is one vector when 1-d, else a stack of matrices."""
    if len(b_shape) == 1:
        return tuple(broadcast([tuple(a_shape[:-2])])) + (b_shape[0],)
    return tuple(broadcast([tuple(a_shape[:-2]), tuple(b_shape[:-2])])) + tuple(b_shape[-2:])


def _static_solve_shape(a: TensorVariable, b: TensorVariable) -> tuple[int | None, ...]:
    def broadcast(shapes: list[tuple[int | None, ...]]) -> tuple[int | None, ...]:
        ndim = max(len(x) for x in shapes)
        return broadcast_static_shapes([(1,) * (ndim - len(x)) + x for x in shapes], "solve")

    return _solve_shapes(a.type.shape, b.type.shape, broadcast)


@dataclass(frozen=True)
class Solve(MatrixOp):
    """The solution ``x`` of ``a @ x = b``: ``b`` a vector (1-d) or a stack of matrices, broadcast with ``a``.
    ``assume`` picks SciPy's specialised solvers (``gen``, ``sym``, ``pos``, ``lower``, ``upper``...)."""

    assume: str = "gen"

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor(a), as_tensor(b)
        check_matrix(a, "solve", square=True)
        if b.ndim == 0:
            raise ValueError("solve: b must be at least 1-d")
        n, k = a.type.shape[-1], b.type.shape[0] if b.ndim == 1 else b.type.shape[-2]
        if n is not None and k is not None and n != k:
            raise ValueError(f"solve: a of shape {format_shape(a.type.shape)} and b of shape "
                             f"{format_shape(b.type.shape)} do not match (size {n} != {k})")
        shape = _static_solve_shape(a, b)
        return Apply(self, [a, b], [TensorType(linalg_dtype(a.dtype, b.dtype, what="solve"), shape)])

    def compute(self, a: np.ndarray, b: np.ndarray) -> Sequence[Any]:
        if self.assume == "gen":
            return [np.linalg.solve(a, b)]
        import scipy.linalg  # noqa: PLC0415  (lazily: see the module docstring)

        return [scipy.linalg.solve(a, b, assume_a=self.assume)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [_solve_shapes(input_shapes[0], input_shapes[1], broadcast_shapes)]


@dataclass(frozen=True)
class SolveTriangular(MatrixOp):
    """SciPy's ``solve_triangular``: ``a @ x = b`` for triangular ``a`` (``trans`` 0, 1 or 2 for a, a^T, a^H)."""

    trans: int = 0
    lower: bool = False
    unit_diagonal: bool = False

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor(a), as_tensor(b)
        check_matrix(a, "solve_triangular", square=True)
        n, k = a.type.shape[-1], b.type.shape[0] if b.ndim == 1 else b.type.shape[-2]
        if b.ndim == 0 or n is not None and k is not None and n != k:
            raise ValueError(f"solve_triangular: shapes of a {format_shape(a.type.shape)} and b "
                             f"{format_shape(b.type.shape)} are incompatible")
        dtype = linalg_dtype(a.dtype, b.dtype, what="solve_triangular")
        return Apply(self, [a, b], [TensorType(dtype, _static_solve_shape(a, b))])

    def compute(self, a: np.ndarray, b: np.ndarray) -> Sequence[Any]:
        import scipy.linalg  # noqa: PLC0415  (lazily: see the module docstring)

        return [scipy.linalg.solve_triangular(a, b, trans=self.trans, lower=self.lower,
                                              unit_diagonal=self.unit_diagonal)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [_solve_shapes(input_shapes[0], input_shapes[1], broadcast_shapes)]


@dataclass(frozen=True)
class ChoSolve(MatrixOp):
    """SciPy's ``cho_solve``: ``a @ x = b`` given the Cholesky factor ``c`` of ``a`` (``lower`` or upper)."""

    lower: bool = False

    def make_node(self, c: Any, b: Any) -> Apply:
        c, b = as_tensor(c), as_tensor(b)
        check_matrix(c, "cho_solve", square=True)
        dtype = linalg_dtype(c.dtype, b.dtype, what="cho_solve")
        return Apply(self, [c, b], [TensorType(dtype, _static_solve_shape(c, b))])

    def compute(self, c: np.ndarray, b: np.ndarray) -> Sequence[Any]:
        import scipy.linalg  # noqa: PLC0415  (lazily: see the module docstring)

        return [scipy.linalg.cho_solve((c, self.lower), b)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [_solve_shapes(input_shapes[0], input_shapes[1], broadcast_shapes)]


@dataclass(frozen=True)
class Expm(MatrixOp):
    """SciPy's ``expm``: the matrix exponential."""

    def make_node(self, a: Any) -> Apply:
        a = _square(a, "expm")
        dtype = "float64" if a.dtype[0] in "biu" else a.dtype
        if dtype == "float16":
            raise TypeError("expm: array type float16 is unsupported")
        return Apply(self, [a], [TensorType(dtype, a.type.shape)])

    def compute(self, a: np.ndarray) -> Sequence[Any]:
        import scipy.linalg  # noqa: PLC0415  (lazily: see the module docstring)

        return [scipy.linalg.expm(a)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


@dataclass(frozen=True)
class Lstsq(MatrixOp):
    """NumPy's ``lstsq``: solution, residuals (a size that depends on the rank), rank (int32), singular
    values."""

    rcond: float | None = None

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor(a), as_tensor(b)
        if a.ndim != 2 or b.ndim not in (1, 2):
            raise LinAlgError(f"lstsq: a must be 2-d and b 1- or 2-d, got {a.type} and {b.type}")
        m, n = a.type.shape
        if m is not None and b.type.shape[0] is not None and m != b.type.shape[0]:
            raise LinAlgError("lstsq: Incompatible dimensions")
        dtype = linalg_dtype(a.dtype, b.dtype, what="lstsq")
        k = None if m is None or n is None else min(m, n)
        x = TensorType(dtype, (n,) + b.type.shape[1:])
        residuals = TensorType(real_dtype(dtype), (None,))
        return Apply(self, [a, b], [x, residuals, TensorType("int32", ()), TensorType(real_dtype(dtype), (k,))])

    def compute(self, a: np.ndarray, b: np.ndarray) -> Sequence[Any]:
        return list(np.linalg.lstsq(a, b, rcond=self.rcond))


__all__ = ["ChoSolve", "Cholesky", "Det", "Eig", "Eigh", "Expm", "Inv", "LinAlgError", "Lstsq", "MatrixOp", "Pinv",
           "QR", "SVD", "SlogDet", "Solve", "SolveTriangular", "check_matrix", "complex_dtype", "linalg_dtype",
           "real_dtype"]
