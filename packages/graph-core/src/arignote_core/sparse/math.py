"""Arithmetic on sparse matrices: products with dense and sparse matrices, elementwise ops that keep the
sparsity (they map zero to zero, so only the stored values are computed), and sums.

``structured_dot(x, d)`` is computed from ``x``'s parts (``StructuredDot`` reads ``data, indices, indptr,
shape`` and the dense operand), so that a backend can run it as a kernel over plain arrays; its gradient with
respect to ``x`` is structured (Theano's): it has ``x``'s sparsity pattern, the derivative with respect to the
stored values only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..graph import Apply, Op, Variable
from ..tensors.basic import as_tensor
from ..tensors.type import TensorType
from .basic import as_sparse_variable, csm_properties, is_sparse, same_format, transpose
from .type import FORMATS


def _dense_operand(d: Any, dtype: str, where: str, what: str) -> Variable:
    """A dense 1-d or 2-d tensor of ``dtype``, or a TypeError naming ``what``, the expected and the actual."""
    t = as_tensor(d)
    if t.type.ndim not in (1, 2):
        raise TypeError(f"{where}: {what} must be a 1-d or 2-d dense tensor, got {t} of type {t.type}")
    if t.type.dtype != dtype:
        raise TypeError(f"{where}: {what} must have dtype {dtype} (the sparse operand's), got {t.type.dtype}; "
                        "cast one of them")
    return t


@dataclass(frozen=True)
class StructuredDot(Op):
    """``x @ d`` for the sparse ``x`` given by its parts ``(data, indices, indptr, shape)`` in ``format`` and a
    dense ``d`` (a vector or a matrix); the result is dense."""

    format: str

    def make_node(self, data: Any, indices: Any, indptr: Any, shape: Any, d: Any) -> Apply:
        data, indices, indptr, shape = (as_tensor(v) for v in (data, indices, indptr, shape))
        d = _dense_operand(d, data.type.dtype, "structured_dot", "the dense operand")
        out = TensorType(data.type.dtype, (None,) * d.type.ndim)
        return Apply(self, [data, indices, indptr, shape, d], [out])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        data, indices, indptr, shape, d = inputs
        x = FORMATS[self.format]((data, indices, indptr), shape=tuple(int(s) for s in shape), copy=False)
        if x.shape[1] != d.shape[0]:
            raise ValueError(f"structured_dot: the sparse operand has shape {x.shape}, so the dense operand needs "
                             f"{x.shape[1]} rows; it has shape {d.shape}")
        return [np.asarray(x @ d, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        rows = as_tensor(node.inputs[3])[0]
        d_shape = input_shapes[4]
        return [(rows,) + tuple(d_shape[1:])]


def structured_dot(x: Any, d: Any) -> Variable:
    """``x @ d``: the sparse matrix ``x`` times the dense ``d`` (a matrix or a vector), a dense result. Its
    gradient with respect to ``x`` has ``x``'s sparsity pattern (Theano's ``structured_dot``)."""
    x = as_sparse_variable(x, "structured_dot")
    return StructuredDot(x.type.format)(*csm_properties(x), d)


@dataclass(frozen=True)
class SampledDot(Op):
    """``(gz @ d.T)`` at the stored positions of a matrix with parts ``(indices, indptr, shape)`` in
    ``format``: one value per stored entry, in storage order (the gradient of ``StructuredDot`` with respect to
    the data)."""

    format: str

    def make_node(self, indices: Any, indptr: Any, gz: Any, d: Any) -> Apply:
        indices, indptr, gz, d = (as_tensor(v) for v in (indices, indptr, gz, d))
        return Apply(self, [indices, indptr, gz, d], [TensorType(gz.type.dtype, (None,))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        indices, indptr, gz, d = inputs
        major = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        rows, cols = (major, indices) if self.format == "csr" else (indices, major)
        if gz.ndim == 1:
            values = gz[rows] * d[cols]
        else:
            values = np.einsum("ij,ij->i", gz[rows], d[cols])
        return [np.asarray(values, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


@dataclass(frozen=True)
class SparseDot(Op):
    """The product of two sparse matrices, a sparse matrix in the first one's format."""

    def make_node(self, x: Any, y: Any) -> Apply:
        x, y = as_sparse_variable(x, "dot"), as_sparse_variable(y, "dot")
        if x.type.dtype != y.type.dtype:
            raise TypeError(f"dot: the second operand must have dtype {x.type.dtype} (the first's), got "
                            f"{y.type.dtype}")
        return Apply(self, [x, y], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, y = inputs
        if x.shape[1] != y.shape[0]:
            raise ValueError(f"dot: shapes {x.shape} and {y.shape} are not aligned: the second operand needs "
                             f"{x.shape[1]} rows")
        return [FORMATS[x.format]((x @ y).asformat(x.format))]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [(input_shapes[0][0], input_shapes[1][1])]


def dot(a: Any, b: Any) -> Variable:
    """The matrix product with at least one sparse operand: sparse x dense and dense x sparse give a dense
    matrix (by ``structured_dot``), sparse x sparse a sparse one in ``a``'s format."""
    if is_sparse(a) and is_sparse(b):
        return SparseDot()(a, b)
    if is_sparse(a):
        return structured_dot(a, b)
    if is_sparse(b):
        d = as_tensor(a)
        return as_tensor(structured_dot(transpose(b), d.T)).T
    raise TypeError(f"sparse.dot: expected a sparse operand, got {a} and {b}")


#: stored-value maps that send zero to zero: name -> (NumPy function)
STRUCTURED: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "neg": np.negative, "sqr": np.square, "sqrt": np.sqrt, "abs": np.abs, "sign": np.sign,
    "double": lambda v: v + v,
}
#: maps applied to the stored values only, for derivatives (``0.5 / sqrt(v)`` is no map of the whole matrix)
STRUCTURED_ONLY: dict[str, Callable[[np.ndarray], np.ndarray]] = {"half_rsqrt": lambda v: 0.5 / np.sqrt(v)}


@dataclass(frozen=True)
class StructuredMap(Op):
    """A function applied to the stored values only (``neg``, ``sqr``, ``sqrt``, ``abs``, ``sign``,
    ``double``); each maps zero to zero, so the result is the dense function's on the whole matrix
    (``half_rsqrt``, ``0.5 / sqrt``, a derivative, is of the stored values only)."""

    name: str

    def __post_init__(self) -> None:
        if self.name not in STRUCTURED and self.name not in STRUCTURED_ONLY:
            raise ValueError(f"StructuredMap: unknown function {self.name!r}; one of {sorted(STRUCTURED)}")

    def make_node(self, x: Any) -> Apply:
        x = as_sparse_variable(x, self.name)
        if x.type.dtype[0] not in "fc" and self.name == "sqrt":
            raise TypeError(f"sqrt: the sparse operand must be floating point, got {x.type.dtype}")
        return Apply(self, [x], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        (x,) = inputs
        fn = STRUCTURED.get(self.name) or STRUCTURED_ONLY[self.name]
        values = fn(x.data).astype(node.outputs[0].type.dtype, copy=False)
        return [FORMATS[x.format]((values, x.indices.copy(), x.indptr.copy()), shape=x.shape)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


def neg(x: Any) -> Variable:
    """``-x`` of a sparse matrix."""
    return StructuredMap("neg")(x)


def sqr(x: Any) -> Variable:
    """``x ** 2`` of the stored values."""
    return StructuredMap("sqr")(x)


def sqrt(x: Any) -> Variable:
    """The square root of the stored values (zeros stay zero)."""
    return StructuredMap("sqrt")(x)


def abs_(x: Any) -> Variable:
    """The absolute value of the stored values."""
    return StructuredMap("abs")(x)


def sign(x: Any) -> Variable:
    """The sign of the stored values."""
    return StructuredMap("sign")(x)


@dataclass(frozen=True)
class MulSD(Op):
    """Elementwise ``x * d`` of a sparse ``x`` and a dense ``d`` broadcast to ``x``'s shape: sparse, with at
    most ``x``'s stored entries."""

    def make_node(self, x: Any, d: Any) -> Apply:
        x = as_sparse_variable(x, "mul")
        d = as_tensor(d)
        if d.type.ndim > 2:
            raise TypeError(f"mul: the dense operand must have at most 2 dimensions, got {d.type}")
        if d.type.dtype != x.type.dtype:
            raise TypeError(f"mul: the dense operand must have dtype {x.type.dtype} (the sparse operand's), got "
                            f"{d.type.dtype}")
        return Apply(self, [x, d], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, d = inputs
        try:
            fits = np.broadcast_shapes(np.shape(d), x.shape) == x.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"mul: the dense operand of shape {np.shape(d)} does not broadcast to the sparse "
                             f"operand's shape {x.shape}")
        product = sp.csr_matrix(x.multiply(d)) if np.ndim(d) else sp.csr_matrix(x * d[()])
        return [product.asformat(x.format).astype(x.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


@dataclass(frozen=True)
class MulSS(Op):
    """Elementwise product of two sparse matrices of one format and dtype."""

    def make_node(self, x: Any, y: Any) -> Apply:
        x, y = as_sparse_variable(x, "mul"), as_sparse_variable(y, "mul")
        same_format(x, y, "mul")
        return Apply(self, [x, y], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, y = inputs
        _same_shape("mul", x, y)
        return [FORMATS[x.format](x.multiply(y)).asformat(x.format)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


def _same_shape(where: str, x: Any, y: Any) -> None:
    if x.shape != y.shape:
        raise ValueError(f"{where}: the second operand must have the first's shape {x.shape}, got {y.shape}")


def mul(x: Any, y: Any) -> Variable:
    """Elementwise ``x * y`` with ``x`` or ``y`` sparse: sparse * dense and sparse * sparse give a sparse
    matrix (the stored entries of the sparse operand, or of both)."""
    if is_sparse(x) and is_sparse(y):
        return MulSS()(x, y)
    if is_sparse(x):
        return MulSD()(x, y)
    if is_sparse(y):
        return MulSD()(y, x)
    raise TypeError(f"sparse.mul: expected a sparse operand, got {x} and {y}")


@dataclass(frozen=True)
class AddSS(Op):
    """The sum of two sparse matrices of one format and dtype (their stored entries' union)."""

    def make_node(self, x: Any, y: Any) -> Apply:
        x, y = as_sparse_variable(x, "add"), as_sparse_variable(y, "add")
        same_format(x, y, "add")
        return Apply(self, [x, y], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, y = inputs
        _same_shape("add", x, y)
        return [FORMATS[x.format](x + y)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


def add(x: Any, y: Any) -> Variable:
    """``x + y`` of two sparse matrices of one format and dtype: a sparse matrix."""
    return AddSS()(x, y)


def sum_dtype(dtype: str) -> str:
    """NumPy's dtype for a sum of ``dtype`` values (small integers and booleans widen)."""
    return np.sum(np.zeros(1, dtype)).dtype.name


@dataclass(frozen=True)
class SpSum(Op):
    """The sum of a sparse matrix's entries: all (``axis`` None, a scalar), over rows (0) or columns (1); a
    dense result. ``sparse_grad`` makes the gradient structured (``x``'s pattern) instead of dense."""

    axis: int | None
    sparse_grad: bool = False

    def make_node(self, x: Any) -> Apply:
        x = as_sparse_variable(x, "sp_sum")
        if self.axis not in (None, 0, 1, -1, -2):
            raise ValueError(f"sp_sum: axis must be None, 0 or 1 for a matrix, got {self.axis}")
        shape: tuple[None, ...] = () if self.axis is None else (None,)
        return Apply(self, [x], [TensorType(sum_dtype(x.type.dtype), shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        (x,) = inputs
        dtype = node.outputs[0].type.dtype
        if self.axis is None:
            return [np.asarray(x.data.sum(dtype=dtype), dtype=dtype)]
        return [np.asarray(x.sum(axis=self.axis, dtype=dtype)).ravel().astype(dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if self.axis is None:
            return [()]
        rows, cols = input_shapes[0]
        return [(cols,) if self.axis % 2 == 0 else (rows,)]


def sp_sum(x: Any, axis: int | None = None, sparse_grad: bool = False) -> Variable:
    """The sum of the sparse matrix ``x`` over ``axis`` (None: every entry), as a dense tensor. With
    ``sparse_grad`` the gradient has ``x``'s sparsity pattern (Theano's); without, it is the full one, stored
    sparse."""
    return SpSum(axis, sparse_grad)(x)
