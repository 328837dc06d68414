"""Sparse variables: symbolic inputs (``csr_matrix("x")``), constants and shared variables holding
``scipy.sparse`` matrices, with the operators of Theano's sparse variables."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..graph import Constant, Variable
from ..shared import SharedVariable
from ..tensors.sharedvar import register_shared_constructor
from . import basic, math
from .type import FORMATS, SparseType


class SparseVariable(Variable[SparseType]):
    """A symbolic sparse matrix: ``x @ d``, ``x * y``, ``x + y``, ``-x``, ``x.T``, ``x[i]``, ``x[i:j]``,
    ``x.toarray()``, ``x.sum(axis)``."""

    @property
    def format(self) -> str:
        """``"csr"`` or ``"csc"``."""
        return self.type.format

    @property
    def dtype(self) -> str:
        """The dtype of the stored values."""
        return self.type.dtype

    @property
    def ndim(self) -> int:
        """Always 2."""
        return 2

    @property
    def T(self) -> Variable:  # noqa: N802  (NumPy's name)
        """The transpose (csr becomes csc and back)."""
        return basic.transpose(self)

    def toarray(self) -> Variable:
        """The dense array (``dense_from_sparse``)."""
        return basic.dense_from_sparse(self)

    def transpose(self) -> Variable:
        """The transpose (csr becomes csc and back)."""
        return basic.transpose(self)

    def sum(self, axis: int | None = None, sparse_grad: bool = False) -> Variable:
        """``sp_sum(self, axis, sparse_grad)``: a dense sum."""
        return math.sp_sum(self, axis, sparse_grad)

    def dot(self, other: Any) -> Variable:
        """``sparse.dot(self, other)``."""
        return math.dot(self, other)

    def __matmul__(self, other: Any) -> Variable: return math.dot(self, other)
    def __rmatmul__(self, other: Any) -> Variable: return math.dot(other, self)
    def __mul__(self, other: Any) -> Variable: return math.mul(self, other)
    def __rmul__(self, other: Any) -> Variable: return math.mul(other, self)
    def __add__(self, other: Any) -> Variable: return math.add(self, other)
    def __neg__(self) -> Variable: return math.neg(self)
    def __abs__(self) -> Variable: return math.abs_(self)
    def __getitem__(self, key: Any) -> Variable: return basic.get_rows(self, key)

    __hash__ = object.__hash__


class SparseConstant(SparseVariable, Constant):
    """A constant sparse matrix; two are equal when they store the same entries in the same order."""

    def signature(self) -> tuple[Any, ...]:
        m = self.data
        return (self.type, m.shape, m.data.tobytes(), m.indices.tobytes(), m.indptr.tobytes())

    def __str__(self) -> str:
        return self.name or f"SparseConstant{{{self.type}, shape={self.data.shape}, nnz={self.data.nnz}}}"


class SparseSharedVariable(SparseVariable, SharedVariable):
    """A shared variable holding a scipy.sparse csr or csc matrix."""

    def get_value(self, borrow: bool = False) -> Any:
        """The current matrix (a copy unless ``borrow``)."""
        value = super().get_value(borrow=borrow)
        return value if borrow else value.copy()

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Replace the matrix; it must have the variable's format and dtype (a copy is kept unless ``borrow``)."""
        super().set_value(value if borrow or not sp.issparse(value) else value.copy(), borrow=True)


SparseType.variable_class = SparseVariable
SparseType.constant_class = SparseConstant


def matrix(format: str, name: str | None = None, dtype: Any = "float64") -> SparseVariable:  # noqa: A002
    """A symbolic sparse matrix input of ``format`` (``"csr"`` or ``"csc"``) and ``dtype``."""
    var = SparseType(format, dtype).make_variable(name)
    assert isinstance(var, SparseVariable)
    return var


def csr_matrix(name: str | None = None, dtype: Any = "float64") -> SparseVariable:
    """A symbolic csr matrix input (Theano's ``theano.sparse.csr_matrix``)."""
    return matrix("csr", name, dtype)


def csc_matrix(name: str | None = None, dtype: Any = "float64") -> SparseVariable:
    """A symbolic csc matrix input (Theano's ``theano.sparse.csc_matrix``)."""
    return matrix("csc", name, dtype)


def shared_sparse(value: Any, name: str | None = None, borrow: bool = False, **kwargs: Any) -> Any:
    """A sparse shared variable for a scipy.sparse csr or csc value (other formats are converted to csr);
    None for a value that is not sparse, which ``shared`` then makes a shared tensor."""
    if not sp.issparse(value):
        return None
    if kwargs.get("shape") is not None:
        raise TypeError("shared(): a sparse value takes no static shape")
    fmt = value.format if value.format in FORMATS else "csr"
    dtype = np.dtype(kwargs.get("dtype") or value.dtype).name
    stored = value.asformat(fmt, copy=not borrow)
    type_ = SparseType(fmt, dtype)
    return SparseSharedVariable(type_, type_.filter(stored, allow_downcast=True), name=name, borrow=borrow)


register_shared_constructor(shared_sparse)
