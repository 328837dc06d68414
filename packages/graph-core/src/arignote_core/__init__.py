"""arignote-graph-core: the IR, the tensor op library with NumPy semantics, and the reference evaluator.

>>> import arignote_core as ac
>>> x = ac.dvector("x")
>>> f = ac.function([x], (x * 2).sum())
>>> float(f([1.0, 2.0]))
6.0
"""

from __future__ import annotations

import sys

from . import linalg, random, scalars, tensors
from ._version import __version__
from .checking import CheckError, NonFiniteError
from .dotgraph import to_dot
from .dtypes import ALL_DTYPES
from .evaluator import ReferenceBackend
from .fgraph import FunctionGraph, MissingInputError
from .function import Function, In, function
from .graph import Apply, Constant, Op, Type, Variable, clone_replace, graph_inputs, toposort
from .mode import Backend, Mode, get_backend, get_mode
from .printing import dprint, pprint
from .random import RandomStream
from .scalars import Composite, ScalarOp, ScalarType
from .shared import SharedVariable
from .sourceinfo import SourceLocation
from .tensors import (
    AdvancedSubtensor,
    Alloc,
    ARange,
    ArgReduce,
    ArgSort,
    BinCount,
    CheckAndRaise,
    CumOp,
    DimShuffle,
    Dot,
    Einsum,
    Elemwise,
    Interp,
    Join,
    MakeVector,
    MatMul,
    Nonzero,
    Reduce,
    Repeat,
    Reshape,
    SearchSorted,
    Shape,
    Sort,
    SpecifyShape,
    Subtensor,
    TensorConstant,
    TensorSharedVariable,
    TensorType,
    TensorVariable,
    Unique,
    alloc,
    as_tensor,
    cast,
    constant,
    shape,
    tensor,
)
from .tensors import math as _math
from .tensors.basic import CONSTRUCTORS, arange
from .tensors.broadcast import BroadcastTo, SumToShape, sum_to_shape
from .tensors.checks import *  # noqa: F403
from .tensors.contractions import *  # noqa: F403
from .tensors.creation import *  # noqa: F403
from .tensors.cumulative import *  # noqa: F403
from .tensors.extra_math import *  # noqa: F403
from .tensors.join import *  # noqa: F403
from .tensors.math import *  # noqa: F403
from .tensors.padding import *  # noqa: F403
from .tensors.selection import *  # noqa: F403
from .tensors.shape_inference import infer_shape, infer_shapes
from .tensors.shaping import *  # noqa: F403
from .tensors.sharedvar import shared
from .tensors.sorting import *  # noqa: F403
from .tensors.special import LogSoftmax, LogSumExp, Softmax, log_softmax, logsumexp, softmax
from .tensors.statistics import *  # noqa: F403
from .tensors.subtensor_update import AdvancedIncSubtensor, IncSubtensor, inc_subtensor, set_subtensor

globals().update(CONSTRUCTORS)

#: The op library's modules, by theme (each lists its public names in ``__all__``).
LIBRARY_MODULES = (_math, *(getattr(tensors, name) for name in (
    "checks", "contractions", "creation", "cumulative", "extra_math", "join", "padding", "selection", "shaping",
    "sorting", "statistics")))
_LIBRARY_NAMES = {name for module in LIBRARY_MODULES for name in module.__all__}

__all__ = sorted({
    "__version__", "ALL_DTYPES", "AdvancedIncSubtensor", "AdvancedSubtensor", "BroadcastTo", "IncSubtensor",
    "SumToShape", "inc_subtensor", "set_subtensor", "sum_to_shape", "LogSoftmax", "LogSumExp", "Softmax",
    "log_softmax", "logsumexp", "softmax", "to_dot", "Alloc", "ARange", "Apply", "ArgReduce", "ArgSort",
    "Backend", "BinCount", "CheckAndRaise", "Composite", "Constant", "CumOp", "DimShuffle", "Dot", "Einsum",
    "Elemwise", "Function", "FunctionGraph", "In", "Interp", "Join", "LIBRARY_MODULES", "MakeVector", "MatMul",
    "MissingInputError", "Mode", "Nonzero", "Op", "RandomStream", "Reduce", "ReferenceBackend", "Repeat",
    "Reshape", "ScalarOp", "ScalarType", "SearchSorted", "Shape", "SharedVariable", "Sort", "SourceLocation",
    "SpecifyShape", "Subtensor", "TensorConstant", "TensorSharedVariable", "TensorType", "TensorVariable", "Type",
    "Unique", "Variable", "alloc", "arange", "as_tensor", "cast", "clone_replace", "constant", "dprint", "function",
    "get_backend", "get_mode", "graph_inputs", "infer_shape", "infer_shapes", "linalg", "pprint", "random",
    "scalars", "shape", "shared", "tensor", "tensors", "toposort", *CONSTRUCTORS, *_LIBRARY_NAMES,
    "CheckError", "NonFiniteError"})

# tensor variables' methods (``x.flatten()``, ``x.sort()``...) call the library by name, now complete
tensors.variable.install_api(library=sys.modules[__name__])
