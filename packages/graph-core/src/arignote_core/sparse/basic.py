"""Building and taking apart sparse matrices: the compressed parts (``CSM``, ``csm_properties``), conversion
from and to dense arrays and between formats, the transpose, and rows by static index or slice.

``csm_properties(x)`` gives ``(data, indices, indptr, shape)`` as scipy stores them: for ``csr`` the column index
of each stored value and where each row starts, for ``csc`` the row index and where each column starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..graph import Apply, Constant, Op, Variable
from ..tensors.basic import as_tensor, cast
from ..tensors.type import TensorType
from .type import FORMATS, SparseType, describe_sparse


def is_sparse(x: Any) -> bool:
    """Whether ``x`` is a symbolic sparse variable."""
    return isinstance(x, Variable) and isinstance(x.type, SparseType)


def as_sparse_variable(x: Any, what: str = "x") -> Variable:
    """``x`` as a symbolic sparse matrix: sparse variables pass, scipy.sparse values become constants; anything
    else is a TypeError naming ``what``."""
    if is_sparse(x):
        return x
    if sp.issparse(x) and x.format in FORMATS:
        return SparseType(x.format, x.dtype).constant_class(SparseType(x.format, x.dtype), x)
    got = f"{x} of type {x.type}" if isinstance(x, Variable) else describe_sparse(x)
    raise TypeError(f"{what}: expected a csr or csc sparse matrix, got {got}")


def same_format(x: Variable, y: Variable, where: str, what: str = "y") -> None:
    """TypeError unless ``x`` and ``y`` have one format and dtype, naming ``what`` (the second)."""
    if x.type != y.type:
        raise TypeError(f"{where}: {what} must be {x.type.expected()} like the first operand, got {y.type}")


def matrix_input(x: Any, where: str, what: str) -> Variable:
    """A dense 2-d tensor, or a TypeError naming ``what``."""
    t = as_tensor(x)
    if t.type.ndim != 2:
        raise TypeError(f"{where}: {what} must be a 2-d tensor, got {t} of type {t.type}")
    return t


@dataclass(frozen=True)
class CSM(Op):
    """A sparse matrix of ``format`` from its parts ``(data, indices, indptr, shape)`` (Theano's CSM); the
    result shares the parts' memory."""

    format: str

    view_map = {0: [0]}  # noqa: RUF012  (Op's class-level declaration)

    def make_node(self, data: Any, indices: Any, indptr: Any, shape: Any) -> Apply:
        data = as_tensor(data)
        indices, indptr, shape = as_tensor(indices), as_tensor(indptr), cast(as_tensor(shape), "int64")
        if data.type.ndim != 1:
            raise TypeError(f"CSM: data must be a vector, got {data.type}")
        for name, part in (("indices", indices), ("indptr", indptr)):
            if part.type.ndim != 1 or part.type.dtype not in ("int32", "int64"):
                raise TypeError(f"CSM: {name} must be an int32 or int64 vector, got {part.type}")
        if shape.type.ndim != 1 or shape.type.shape[0] not in (None, 2):
            raise TypeError(f"CSM: shape must be a vector of 2 sizes, got {shape.type}")
        return Apply(self, [data, indices, indptr, shape], [SparseType(self.format, data.type.dtype)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        data, indices, indptr, shape = inputs
        rows, cols = (int(s) for s in shape)
        major = rows if self.format == "csr" else cols
        if len(indptr) != major + 1 or len(data) != len(indices) or (major >= 0 and indptr[-1] != len(data)):
            raise ValueError(f"CSM: inconsistent {self.format} parts: {len(data)} values, {len(indices)} indices, "
                             f"{len(indptr)} pointers for shape {(rows, cols)}")
        return [FORMATS[self.format]((data, indices, indptr), shape=(rows, cols), copy=False)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        shape = as_tensor(node.inputs[3])
        return [(shape[0], shape[1])]


@dataclass(frozen=True)
class CSMProperties(Op):
    """The parts ``(data, indices, indptr, shape)`` of a sparse matrix (views of its arrays)."""

    view_map = {0: [0], 1: [0], 2: [0]}  # noqa: RUF012  (Op's class-level declaration)

    def make_node(self, x: Any) -> Apply:
        x = as_sparse_variable(x, "csm_properties")
        return Apply(self, [x], [TensorType(x.type.dtype, (None,)), TensorType("int32", (None,)),
                                 TensorType("int32", (None,)), TensorType("int64", (2,))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        (x,) = inputs
        return [x.data, _int32(x.indices, "indices"), _int32(x.indptr, "indptr"), np.array(x.shape, np.int64)]


def _int32(index: np.ndarray, what: str) -> np.ndarray:
    """scipy's index array as int32 (the type says int32); an index too large for it is an error."""
    if index.dtype == np.int32:
        return index
    if index.size and index.max() > np.iinfo(np.int32).max:
        raise OverflowError(f"csm_properties: {what} exceed int32 (a matrix with over 2**31 stored values)")
    return index.astype(np.int32)


def csm_properties(x: Any) -> tuple[Variable, Variable, Variable, Variable]:
    """``(data, indices, indptr, shape)`` of the sparse matrix ``x``; of a matrix built by ``CSM``, the parts
    it was built from."""
    x = as_sparse_variable(x, "csm_properties")
    if x.owner is not None and isinstance(x.owner.op, CSM):
        data, indices, indptr, shape = x.owner.inputs
        return data, indices, indptr, shape
    data, indices, indptr, shape = CSMProperties()(x)
    return data, indices, indptr, shape


def csm_data(x: Any) -> Variable:
    """The stored values of ``x`` (a vector)."""
    return csm_properties(x)[0]


def csm_indices(x: Any) -> Variable:
    """The column (csr) or row (csc) index of each stored value."""
    return csm_properties(x)[1]


def csm_indptr(x: Any) -> Variable:
    """Where each row (csr) or column (csc) starts in ``data``."""
    return csm_properties(x)[2]


def csm_shape(x: Any) -> Variable:
    """The shape of ``x`` as an int64 vector."""
    return csm_properties(x)[3]


def csr_from_parts(data: Any, indices: Any, indptr: Any, shape: Any) -> Variable:
    """A csr matrix from its parts (``CSM("csr")``)."""
    return CSM("csr")(data, indices, indptr, shape)


def csc_from_parts(data: Any, indices: Any, indptr: Any, shape: Any) -> Variable:
    """A csc matrix from its parts (``CSM("csc")``)."""
    return CSM("csc")(data, indices, indptr, shape)


@dataclass(frozen=True)
class CSMGrad(Op):
    """The values of the sparse gradient ``gz`` at the stored positions of a matrix with parts ``(indices,
    indptr)`` of ``format``: the gradient of ``CSM`` with respect to its data, whatever ``gz`` stores."""

    format: str

    def make_node(self, indices: Any, indptr: Any, gz: Any) -> Apply:
        gz = as_sparse_variable(gz, "CSMGrad")
        return Apply(self, [as_tensor(indices), as_tensor(indptr), gz], [TensorType(gz.type.dtype, (None,))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        indices, indptr, gz = inputs
        major = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        rows, cols = (major, indices) if self.format == "csr" else (indices, major)
        values = np.asarray(gz.tocsr()[rows, cols]).ravel() if len(indices) else np.zeros(0)
        return [values.astype(node.outputs[0].type.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


@dataclass(frozen=True)
class DenseFromSparse(Op):
    """The dense array of a sparse matrix (``x.toarray()``)."""

    def make_node(self, x: Any) -> Apply:
        x = as_sparse_variable(x, "dense_from_sparse")
        return Apply(self, [x], [TensorType(x.type.dtype, (None, None))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return [inputs[0].toarray()]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


def dense_from_sparse(x: Any) -> Variable:
    """``x.toarray()``: the dense array of the sparse matrix ``x``."""
    return DenseFromSparse()(x)


@dataclass(frozen=True)
class SparseFromDense(Op):
    """A sparse matrix of ``format`` storing the nonzero entries of a dense matrix."""

    format: str

    def make_node(self, x: Any) -> Apply:
        x = matrix_input(x, f"{self.format}_from_dense", "x")
        return Apply(self, [x], [SparseType(self.format, x.type.dtype)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return [FORMATS[self.format](inputs[0])]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


def sparse_from_dense(x: Any, format: str = "csr") -> Variable:  # noqa: A002  (Theano's argument name)
    """The nonzero entries of the dense matrix ``x`` as a sparse matrix of ``format``."""
    return SparseFromDense(format)(x)


def csr_from_dense(x: Any) -> Variable:
    """The nonzero entries of the dense matrix ``x`` as a csr matrix."""
    return SparseFromDense("csr")(x)


def csc_from_dense(x: Any) -> Variable:
    """The nonzero entries of the dense matrix ``x`` as a csc matrix."""
    return SparseFromDense("csc")(x)


@dataclass(frozen=True)
class ToFormat(Op):
    """The same matrix in ``format`` (csr to csc or back)."""

    format: str

    def make_node(self, x: Any) -> Apply:
        x = as_sparse_variable(x, "as_format")
        return Apply(self, [x], [SparseType(self.format, x.type.dtype)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return [inputs[0].asformat(self.format, copy=True)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


def as_format(x: Any, format: str) -> Variable:  # noqa: A002  (scipy's argument name)
    """``x`` in ``format``: itself when it has it already, else converted."""
    x = as_sparse_variable(x, "as_format")
    return x if x.type.format == format else ToFormat(format)(x)


@dataclass(frozen=True)
class Transpose(Op):
    """The transpose; a csr matrix's is csc and a csc matrix's csr, sharing the parts (no copy)."""

    view_map = {0: [0]}  # noqa: RUF012  (Op's class-level declaration)

    def make_node(self, x: Any) -> Apply:
        x = as_sparse_variable(x, "transpose")
        flipped = "csc" if x.type.format == "csr" else "csr"
        return Apply(self, [x], [SparseType(flipped, x.type.dtype)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return [inputs[0].transpose()]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        rows, cols = input_shapes[0]
        return [(cols, rows)]


def transpose(x: Any) -> Variable:
    """The transpose of the sparse matrix ``x`` (csr becomes csc, csc becomes csr)."""
    return Transpose()(x)


RowKey = int | tuple[int | None, int | None, int | None]


def _row_key(key: Any) -> RowKey:
    """A static row index or slice as hashable data; symbolic indices are refused."""
    if isinstance(key, int | np.integer):
        return int(key)
    if isinstance(key, Constant) and np.ndim(key.data) == 0 and np.asarray(key.data).dtype.kind in "iu":
        return int(key.data)
    if isinstance(key, slice):
        parts = (key.start, key.stop, key.step)
        if all(p is None or isinstance(p, int | np.integer) for p in parts):
            return tuple(None if p is None else int(p) for p in parts)  # type: ignore[return-value]
    raise TypeError(f"sparse get-item: rows are selected by a Python int or a slice of ints, got {key!r}")


def row_selector(key: RowKey) -> int | slice:
    """The index or slice that ``key`` stands for."""
    return key if isinstance(key, int) else slice(*key)


@dataclass(frozen=True)
class GetRows(Op):
    """Rows of a sparse matrix by a static index (one row, kept 2-d as scipy does) or slice."""

    key: RowKey

    def make_node(self, x: Any) -> Apply:
        x = as_sparse_variable(x, "get-item")
        return Apply(self, [x], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        (x,) = inputs
        selector = row_selector(self.key)
        if isinstance(selector, int) and not -x.shape[0] <= selector < x.shape[0]:
            raise IndexError(f"row {selector} is out of bounds for a sparse matrix of shape {x.shape}")
        return [FORMATS[x.format](x[selector])]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]] | None:
        if isinstance(self.key, int):
            return [(1, input_shapes[0][1])]
        rows, cols = input_shapes[0]
        if not isinstance(rows, int):
            return None  # a slice of a run-time number of rows: its length is known when it runs
        return [(len(range(rows)[slice(*self.key)]), cols)]


def get_rows(x: Any, key: Any) -> Variable:
    """``x[key]`` for a Python int (one row, a 1 x n matrix) or a slice of rows."""
    return GetRows(_row_key(key))(x)


@dataclass(frozen=True)
class GetRowsGrad(Op):
    """The gradient of ``GetRows``: ``gz`` placed at the selected rows of a matrix shaped as ``x``."""

    key: RowKey

    def make_node(self, x: Any, gz: Any) -> Apply:
        x, gz = as_sparse_variable(x, "GetRowsGrad"), as_sparse_variable(gz, "GetRowsGrad")
        return Apply(self, [x, gz], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, gz = inputs
        rows = np.atleast_1d(np.arange(x.shape[0])[row_selector(self.key)])
        coo = gz.tocoo()
        placed = sp.coo_matrix((coo.data, (rows[coo.row], coo.col)), shape=x.shape)
        return [placed.asformat(x.format)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]
