"""arignote-graph-core: the IR, the tensor op library with NumPy semantics, and the reference evaluator.

>>> import arignote_core as ac
>>> x = ac.dvector("x")
>>> f = ac.function([x], (x * 2).sum())
>>> float(f([1.0, 2.0]))
6.0
"""

from __future__ import annotations

import sys

from . import fft, linalg, printing, random, scalars, sparse, tensors
from ._version import __version__
from .checking import CheckError, NonFiniteError
from .control import OpFromGraph, ifelse, scan, until
from .dotgraph import to_dot
from .dtypes import ALL_DTYPES
from .evaluator import ReferenceBackend
from .fgraph import FunctionGraph, MissingInputError
from .function import Function, In, function
from .graph import Apply, Constant, Op, Type, Variable, clone_replace, graph_inputs, toposort
from .mode import Backend, Mode, get_backend, get_mode
from .printing import Print, dprint, pprint
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
from .tensors.basic import (  # the tensor constructors: scalar, dvector, fmatrix...
    CONSTRUCTORS,
    arange,
    bmatrix,
    bscalar,
    btensor3,
    btensor4,
    btensor5,
    bvector,
    cmatrix,
    cscalar,
    ctensor3,
    ctensor4,
    ctensor5,
    cvector,
    dmatrix,
    dscalar,
    dtensor3,
    dtensor4,
    dtensor5,
    dvector,
    fmatrix,
    fscalar,
    ftensor3,
    ftensor4,
    ftensor5,
    fvector,
    imatrix,
    iscalar,
    itensor3,
    itensor4,
    itensor5,
    ivector,
    lmatrix,
    lscalar,
    ltensor3,
    ltensor4,
    ltensor5,
    lvector,
    matrix,
    scalar,
    tensor3,
    tensor4,
    tensor5,
    vector,
    wmatrix,
    wscalar,
    wtensor3,
    wtensor4,
    wtensor5,
    wvector,
    zmatrix,
    zscalar,
    ztensor3,
    ztensor4,
    ztensor5,
    zvector,
)
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

#: The op library's modules, by theme (each lists its public names in ``__all__``).
LIBRARY_MODULES = (_math, *(getattr(tensors, name) for name in (
    "checks", "contractions", "creation", "cumulative", "extra_math", "join", "padding", "selection", "shaping",
    "sorting", "statistics")))

# written out, so that type checkers see the names (a test checks it against the library's modules)
__all__ = ["ALL_DTYPES", "ARange", "AdvancedIncSubtensor", "AdvancedSubtensor", "Alloc", "Apply", "ArgReduce",
           "ArgSort", "Backend", "BinCount", "BroadcastTo", "CheckAndRaise", "CheckError", "Composite", "Constant",
           "CumOp", "DimShuffle", "Dot", "Einsum", "Elemwise", "Function", "FunctionGraph", "In", "IncSubtensor",
           "Interp", "Join", "LIBRARY_MODULES", "LogSoftmax", "LogSumExp", "MakeVector", "MatMul",
           "MissingInputError", "Mode", "NonFiniteError", "Nonzero", "Op", "OpFromGraph", "Print", "RandomStream",
           "Reduce", "ReferenceBackend", "Repeat", "Reshape", "ScalarOp", "ScalarType", "SearchSorted", "Shape",
           "SharedVariable", "Softmax", "Sort", "SourceLocation", "SpecifyShape", "Subtensor", "SumToShape",
           "TensorConstant", "TensorSharedVariable", "TensorType", "TensorVariable", "Type", "Unique", "Variable",
           "__version__", "abs", "absolute", "add", "all", "allclose", "alloc", "amax", "amin", "angle", "any",
           "arange", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "argmax", "argmin",
           "argsort", "argtopk", "argwhere", "around", "as_tensor", "asarray", "astype", "atleast_1d", "atleast_2d",
           "atleast_3d", "average", "batched_dot", "bincount", "bitwise_and", "bitwise_invert", "bitwise_not",
           "bitwise_or", "bitwise_xor", "bmatrix", "broadcast_arrays", "broadcast_shape_of", "broadcast_to",
           "bscalar", "btensor3", "btensor4", "btensor5", "bvector", "cast", "cbrt", "ceil", "check", "clip",
           "clone_replace", "cmatrix", "column_stack", "complex", "concatenate", "conj", "conjugate", "constant",
           "copy", "copysign", "corrcoef", "cos", "cosh", "count_nonzero", "cov", "cross", "cscalar", "ctensor3",
           "ctensor4",
           "ctensor5", "cumprod", "cumsum", "cvector", "deg2rad", "diag", "diagonal", "diff", "digamma", "digitize",
           "dimshuffle", "divide", "dmatrix", "dot", "dprint", "dscalar", "dstack", "dtensor3", "dtensor4",
           "dtensor5", "dvector", "einsum", "empty", "empty_like", "eq", "equal", "erf", "erfc", "erfcx", "erfinv",
           "exp", "exp2", "expand_dims", "expit", "expm1", "eye", "fabs", "fft", "fill", "fix", "flatnonzero",
           "flatten", "flip", "fliplr", "flipud", "float_power", "floor", "floor_divide", "fmatrix", "fmax", "fmin",
           "fmod",
           "fscalar", "ftensor3", "ftensor4", "ftensor5", "full", "full_like", "function", "fvector", "gamma",
           "gammainc", "gammaincc", "gammaln", "gcd", "get_backend", "get_mode", "graph_inputs", "greater",
           "greater_equal", "heaviside", "hstack", "hypot", "i0", "i1", "identity", "identity_like", "ifelse", "imag",
           "imatrix", "inc_subtensor", "infer_shape", "infer_shapes", "inner", "int_div", "interp", "invert",
           "iscalar", "isclose", "isfinite", "isin", "isinf", "isnan", "isneginf", "isposinf", "itensor3", "itensor4",
           "itensor5", "ivector", "j0", "j1", "join", "jv", "kron", "lcm", "ldexp", "left_shift", "less",
           "less_equal", "linalg", "linspace", "lmatrix", "log", "log10", "log1mexp", "log1p", "log2", "log_softmax",
           "logaddexp", "logaddexp2", "logical_and", "logical_not", "logical_or", "logical_xor", "logspace",
           "logsumexp", "lscalar", "ltensor3", "ltensor4", "ltensor5", "lvector", "matmul", "matrix",
           "matrix_transpose", "max", "maximum", "mean", "median", "meshgrid", "min", "minimum", "mod", "moveaxis",
           "multiply", "nan_to_num", "nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmax", "nanmean",
           "nanmin", "nanprod", "nanstd", "nansum", "nanvar", "neg", "negative", "neq", "nextafter", "nonzero",
           "not_equal", "ones", "ones_like", "outer", "pad", "percentile", "permute_dims", "polygamma", "positive",
           "pow", "power", "pprint", "printing", "prod", "psi", "ptp", "quantile", "rad2deg", "random", "ravel",
           "real", "reciprocal", "remainder", "repeat", "reshape", "right_shift", "rint", "roll", "rot90", "round",
           "scalar", "scalars", "scan", "searchsorted", "select", "set_subtensor", "shape", "shape_padaxis",
           "shape_padleft", "shape_padright", "shared", "sigmoid", "sign", "signbit", "sin", "sinc", "sinh", "softmax",
           "softplus", "sort", "spacing", "sparse", "specify_shape", "split", "sqr", "sqrt", "square", "squeeze",
           "stack", "std",
           "subtract", "sum", "sum_to_shape", "swapaxes", "switch", "take", "take_along_axis", "tan", "tanh",
           "tensor", "tensor3", "tensor4", "tensor5", "tensordot", "tensors", "tile", "to_dot", "topk", "toposort",
           "trace", "transpose", "trapezoid", "tri", "tril", "triu", "true_div", "true_divide", "trunc", "unique",
           "unstack", "until", "var", "vdot", "vecdot", "vector", "vstack", "where", "wmatrix", "wscalar", "wtensor3",
           "wtensor4", "wtensor5", "wvector", "zeros", "zeros_like", "zmatrix", "zscalar", "ztensor3", "ztensor4",
           "ztensor5", "zvector"]

# tensor variables' methods (``x.flatten()``, ``x.sort()``...) call the library by name, now complete
tensors.variable.install_api(library=sys.modules[__name__])
