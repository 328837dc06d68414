"""Sparse matrices (Theano's ``theano.sparse``, PyTensor's ``pytensor.sparse``): csr and csc matrices whose
values are ``scipy.sparse`` matrices, products with dense and sparse matrices, elementwise ops that keep the
sparsity, sums, transposes and rows, with structured gradients (autograd-sym) and a C kernel for sparse times
dense (codegen-c).

>>> import numpy as np, scipy.sparse as sp
>>> import arignote_core as ac
>>> from arignote_core import sparse
>>> x = sparse.csr_matrix("x")
>>> d = ac.dmatrix("d")
>>> f = ac.function([x, d], sparse.structured_dot(x, d))
>>> f(sp.csr_matrix(np.eye(2)), np.array([[1.0, 2.0], [3.0, 4.0]]))
array([[1., 2.],
       [3., 4.]])
"""

from __future__ import annotations

import builtins

from .basic import (
    CSM,
    CSMGrad,
    CSMProperties,
    DenseFromSparse,
    GetRows,
    GetRowsGrad,
    SparseFromDense,
    ToFormat,
    Transpose,
    as_format,
    as_sparse_variable,
    csc_from_dense,
    csc_from_parts,
    csm_data,
    csm_indices,
    csm_indptr,
    csm_properties,
    csm_shape,
    csr_from_dense,
    csr_from_parts,
    dense_from_sparse,
    get_rows,
    is_sparse,
    sparse_from_dense,
    transpose,
)
from .math import (
    STRUCTURED,
    AddSS,
    MulSD,
    MulSS,
    SampledDot,
    SparseDot,
    SpSum,
    StructuredDot,
    StructuredMap,
    abs_,
    add,
    dot,
    mul,
    neg,
    sign,
    sp_sum,
    sqr,
    sqrt,
    structured_dot,
)
from .type import FORMATS, SparseType
from .variable import SparseConstant, SparseSharedVariable, SparseVariable, csc_matrix, csr_matrix, matrix

abs = abs_  # noqa: A001  (the brief's and NumPy's name; ``abs_`` is Theano's)

#: Every sparse op class, for a backend or a registry that treats the family as one (codegen-c runs all but
#: ``StructuredDot`` as Python steps passing sparse values on).
OPS: tuple[builtins.type, ...] = (  # builtins': this package's ``type`` is its module
    CSM, CSMProperties, CSMGrad, DenseFromSparse, SparseFromDense, ToFormat, Transpose, GetRows, GetRowsGrad,
    StructuredDot, SampledDot, SparseDot, StructuredMap, MulSD, MulSS, AddSS, SpSum)

__all__ = ["CSM", "FORMATS", "OPS", "STRUCTURED", "AddSS", "CSMGrad", "CSMProperties", "DenseFromSparse", "GetRows",
           "GetRowsGrad", "MulSD", "MulSS", "SampledDot", "SpSum", "SparseConstant", "SparseDot",
           "SparseFromDense", "SparseSharedVariable", "SparseType", "SparseVariable", "StructuredDot",
           "StructuredMap", "ToFormat", "Transpose", "abs", "abs_", "add", "as_format", "as_sparse_variable",
           "csc_from_dense", "csc_from_parts", "csc_matrix", "csm_data", "csm_indices", "csm_indptr",
           "csm_properties", "csm_shape", "csr_from_dense", "csr_from_parts", "csr_matrix", "dense_from_sparse",
           "dot", "get_rows", "is_sparse", "matrix", "mul", "neg", "sign", "sp_sum", "sparse_from_dense", "sqr",
           "sqrt", "structured_dot", "transpose"]
