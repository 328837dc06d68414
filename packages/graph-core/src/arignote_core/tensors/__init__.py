"""Symbolic tensors: types, variables, and the tensor op library."""

from __future__ import annotations

from . import math
from .basic import (
    CONSTRUCTORS,
    Alloc,
    ARange,
    MakeVector,
    Reshape,
    Shape,
    alloc,
    arange,
    as_tensor,
    cast,
    constant,
    reshape,
    shape,
    tensor,
)
from .checks import CheckAndRaise, SpecifyShape, specify_shape
from .contractions import Einsum
from .cumulative import CumOp
from .elemwise import DimShuffle, Elemwise, dimshuffle
from .extra_math import Interp
from .indexing import AdvancedSubtensor, Subtensor, getitem
from .join import Join, stack
from .products import Dot, MatMul
from .reduce import ArgReduce, Reduce
from .shape_inference import infer_shape, infer_shapes
from .shaping import Repeat
from .sharedvar import TensorSharedVariable
from .sorting import ArgSort, BinCount, Nonzero, SearchSorted, Sort, Unique
from .type import TensorType
from .variable import TensorConstant, TensorVariable, install_api

# the operators and methods of tensor variables call these (the library's whole namespace follows, from
# arignote_core's __init__)
install_api(math=math, shape=shape, getitem=getitem, reshape=reshape, cast=cast)

__all__ = ["CONSTRUCTORS", "ARange", "AdvancedSubtensor", "Alloc", "ArgReduce", "ArgSort", "BinCount",
           "CheckAndRaise", "CumOp", "DimShuffle", "Dot", "Einsum", "Elemwise", "Interp", "Join", "MakeVector",
           "MatMul", "Nonzero", "Reduce", "Repeat", "Reshape", "SearchSorted", "Shape", "Sort", "SpecifyShape",
           "Subtensor", "TensorConstant", "TensorSharedVariable", "TensorType", "TensorVariable", "Unique", "alloc",
           "arange", "as_tensor", "cast", "constant", "dimshuffle", "infer_shape", "infer_shapes", "math",
           "reshape", "shape", "specify_shape", "stack", "tensor"]
