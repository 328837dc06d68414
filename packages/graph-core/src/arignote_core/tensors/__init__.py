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
                    stack,
                    tensor,
)
from .elemwise import DimShuffle, Elemwise, dimshuffle
from .indexing import AdvancedSubtensor, Subtensor
from .products import Dot, MatMul
from .reduce import ArgReduce, Reduce
from .sharedvar import TensorSharedVariable
from .type import TensorType
from .variable import TensorConstant, TensorVariable

__all__ = ["CONSTRUCTORS", "ARange", "AdvancedSubtensor", "Alloc", "ArgReduce", "DimShuffle", "Dot", "Elemwise",
           "MakeVector", "MatMul", "Reduce", "Reshape", "Shape", "Subtensor", "TensorConstant",
           "TensorSharedVariable", "TensorType", "TensorVariable", "alloc", "arange", "as_tensor", "cast",
           "constant", "dimshuffle", "math", "reshape", "shape", "stack", "tensor"]
