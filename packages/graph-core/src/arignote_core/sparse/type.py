"""SparseType: matrices in compressed sparse row (``csr``) or column (``csc``) form, of one dtype.

A value is a ``scipy.sparse`` ``csr_matrix`` / ``csc_matrix`` (``csr_array`` / ``csc_array`` are accepted and
kept as matrices, so that every op sees one kind of object). The structure (which entries are stored) is part of
the value, not of the type: two values of one type may store different entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..dtypes import as_dtype, can_cast_safely
from ..graph import Type

#: the scipy.sparse matrix class of each format
FORMATS: dict[str, Any] = {"csr": sp.csr_matrix, "csc": sp.csc_matrix}


def describe_sparse(value: Any) -> str:
    """'float64 csr matrix of shape (3, 4) with 5 stored entries', or what a non-sparse value is."""
    if sp.issparse(value):
        return f"{value.dtype} {value.format} matrix of shape {value.shape} with {value.nnz} stored entries"
    if isinstance(value, np.ndarray):
        return f"{value.dtype} dense array of shape {value.shape}"
    return f"{type(value).__name__} {value!r}"[:120]


@dataclass(frozen=True, init=False)
class SparseType(Type):
    """Sparse matrices of ``format`` (``"csr"`` or ``"csc"``) holding ``dtype`` values; two dimensions whose
    sizes are known when the graph runs."""

    format: str
    dtype: str

    def __init__(self, format: str, dtype: Any = "float64") -> None:  # noqa: A002  (Theano's argument name)
        if format not in FORMATS:
            raise ValueError(f"SparseType: format must be 'csr' or 'csc', got {format!r}")
        object.__setattr__(self, "format", format)
        object.__setattr__(self, "dtype", as_dtype(dtype))

    @property
    def ndim(self) -> int:
        """Always 2: sparse values are matrices."""
        return 2

    @property
    def shape(self) -> tuple[None, None]:
        """The static shape: unknown sizes (a sparse matrix's shape is known when the graph runs)."""
        return (None, None)

    def expected(self) -> str:
        """What a value must be, for messages."""
        return f"a {self.dtype} {self.format} sparse matrix"

    def filter(self, value: Any, *, allow_downcast: bool = False) -> Any:
        """``value`` as a scipy ``{format}_matrix`` of this dtype; other formats, dense arrays and casts that
        could lose precision are refused with a message naming the expected and the actual value."""
        if not sp.issparse(value) or value.ndim != 2:
            raise TypeError(f"expected {self.expected()}, got {describe_sparse(value)}")
        if value.format != self.format:
            raise TypeError(f"expected {self.expected()}, got {describe_sparse(value)}: convert it with "
                            f".to{self.format}() first")
        matrix = value if type(value) is FORMATS[self.format] else FORMATS[self.format](value)
        if matrix.dtype.name == self.dtype:
            return matrix
        if allow_downcast or can_cast_safely(matrix.dtype.name, self.dtype):
            return matrix.astype(self.dtype)
        raise TypeError(f"expected {self.expected()}, got {describe_sparse(value)}: casting {matrix.dtype} to "
                        f"{self.dtype} could lose precision")

    def is_compatible(self, other: Type) -> bool:
        return self == other

    def values_eq(self, a: Any, b: Any) -> bool:
        if a.shape != b.shape:
            return False
        return bool(np.array_equal(a.toarray(), b.toarray(), equal_nan=self.dtype[0] in "fc"))

    def __str__(self) -> str:
        return f"{self.dtype}[{self.format}]"

    def __repr__(self) -> str:
        return f"SparseType({self.format!r}, {self.dtype!r})"
