"""arignote-graph-core: the IR, the tensor op library with NumPy semantics, and the reference evaluator.

>>> import arignote_core as ac
>>> x = ac.dvector("x")
>>> f = ac.function([x], (x * 2).sum())
>>> float(f([1.0, 2.0]))
6.0
"""

from __future__ import annotations

from . import scalars, tensors
from ._version import __version__
from .dtypes import ALL_DTYPES
from .evaluator import ReferenceBackend
from .fgraph import FunctionGraph, MissingInputError
from .function import Function, In, function
from .graph import Apply, Constant, Op, Type, Variable, clone_replace, graph_inputs, toposort
from .mode import Backend, Mode, get_backend, get_mode
from .printing import dprint, pprint
from .scalars import Composite, ScalarOp, ScalarType
from .shared import SharedVariable, shared
from .sourceinfo import SourceLocation
from .tensors import (
                     AdvancedSubtensor,
                     Alloc,
                     ARange,
                     ArgReduce,
                     DimShuffle,
                     Dot,
                     Elemwise,
                     MakeVector,
                     MatMul,
                     Reduce,
                     Reshape,
                     Shape,
                     Subtensor,
                     TensorConstant,
                     TensorSharedVariable,
                     TensorType,
                     TensorVariable,
                     alloc,
                     arange,
                     as_tensor,
                     cast,
                     constant,
                     dimshuffle,
                     reshape,
                     shape,
                     stack,
                     tensor,
)
from .tensors.basic import CONSTRUCTORS
from .tensors.math import *  # noqa: F403
from .tensors.math import ALIASES, ELEMWISE_FUNCTIONS

globals().update(CONSTRUCTORS)

_MATH_NAMES = sorted(set(ELEMWISE_FUNCTIONS) | set(ALIASES) | {
    "where", "switch", "clip", "sum", "prod", "max", "min", "all", "any", "mean", "argmax", "argmin", "dot",
    "matmul", "transpose"})

__all__ = sorted({
    "__version__", "ALL_DTYPES", "AdvancedSubtensor", "Alloc", "ARange", "Apply", "ArgReduce", "Backend",
    "Composite", "Constant", "DimShuffle", "Dot", "Elemwise", "Function", "FunctionGraph", "In", "MakeVector",
    "MatMul", "MissingInputError", "Mode", "Op", "Reduce", "ReferenceBackend", "Reshape", "ScalarOp",
    "ScalarType", "Shape", "SharedVariable", "SourceLocation", "Subtensor", "TensorConstant",
    "TensorSharedVariable", "TensorType", "TensorVariable", "Type", "Variable", "alloc", "arange",
    "as_tensor", "cast", "clone_replace", "constant", "dimshuffle", "dprint", "function", "get_backend",
    "get_mode", "graph_inputs", "pprint", "reshape", "scalars", "shape", "shared", "stack", "tensor", "tensors",
    "toposort", *CONSTRUCTORS, *_MATH_NAMES})
