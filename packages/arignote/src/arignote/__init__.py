"""Arignote: an optimizing compiler for tensor expressions in Python (the full stack).

``import arignote as ar`` gives one API over every part: tensor constructors and the NumPy-named op library
(graph-core), ``function``/``shared``/``In`` compiling with the ``fast_run`` mode by default (graph-opt's rewrites
and the C backend), gradients (autograd-sym), ``ar.nn`` (nn-extras), ``ar.random.RandomStream``, ``ar.linalg``,
``dprint``/``pprint``/``to_dot``. Defaults come from ``ARIGNOTE_*`` environment variables, read once at import
(see :mod:`arignote.config`); a function can always be given its own ``mode``.

>>> import arignote as ar
>>> x = ar.dvector("x")
>>> f = ar.function([x], ar.grad((x ** 2).sum(), x))
>>> f([1.0, 2.0]).tolist()
[2.0, 4.0]
"""

from __future__ import annotations

import arignote_nn as nn
from arignote_core import *  # noqa: F403
from arignote_grad import (
                           Lop,
                           Rop,
                           disconnected_grad,
                           grad,
                           grad_clip,
                           grad_scale,
                           hessian,
                           hessian_vector_product,
                           jacobian,
                           verify_grad,
                           zero_grad,
)

from . import config as _config_module
from ._version import __version__
from .api import (  # the tensor constructors, floatX by default for the untyped ones
                           CONSTRUCTORS,
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
                           function,
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
                           render,
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
from .modes import debug, fast_compile, fast_run, nan_guard, preload

config = _config_module.from_environment()
preload(config.mode)

# written out, so that type checkers see the names (a test checks it)
__all__ = ["ALL_DTYPES", "ARange", "AdvancedIncSubtensor", "AdvancedSubtensor", "Alloc", "Apply", "ArgReduce",
           "ArgSort", "Backend", "BinCount", "BroadcastTo", "CheckAndRaise", "CheckError", "Composite", "Constant",
           "CumOp", "DimShuffle", "Dot", "Einsum", "Elemwise", "Function", "FunctionGraph", "In", "IncSubtensor",
           "Interp", "Join", "LIBRARY_MODULES", "LogSoftmax", "LogSumExp", "Lop", "MakeVector", "MatMul",
           "MissingInputError", "Mode", "NonFiniteError", "Nonzero", "Op", "RandomStream", "Reduce",
           "ReferenceBackend", "Repeat", "Reshape", "Rop", "ScalarOp", "ScalarType", "SearchSorted", "Shape",
           "SharedVariable", "Softmax", "Sort", "SourceLocation", "SpecifyShape", "Subtensor", "SumToShape",
           "TensorConstant", "TensorSharedVariable", "TensorType", "TensorVariable", "Type", "Unique", "Variable",
           "__version__", "abs", "absolute", "add", "all", "allclose", "alloc", "amax", "amin", "angle", "any",
           "arange", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "argmax", "argmin",
           "argsort", "argtopk", "argwhere", "around", "as_tensor", "asarray", "astype", "atleast_1d", "atleast_2d",
           "atleast_3d", "average", "batched_dot", "bincount", "bitwise_and", "bitwise_invert", "bitwise_not",
           "bitwise_or", "bitwise_xor", "bmatrix", "broadcast_arrays", "broadcast_shape_of", "broadcast_to",
           "bscalar", "btensor3", "btensor4", "btensor5", "bvector", "cast", "cbrt", "ceil", "check", "clip",
           "clone_replace", "cmatrix", "column_stack", "concatenate", "config", "conj", "conjugate", "constant",
           "copy", "copysign", "corrcoef", "cos", "cosh", "count_nonzero", "cov", "cross", "cscalar", "ctensor3",
           "ctensor4", "ctensor5", "cumprod", "cumsum", "cvector", "debug", "deg2rad", "diag", "diagonal", "diff",
           "digamma", "digitize", "dimshuffle", "disconnected_grad", "divide", "dmatrix", "dot", "dprint", "dscalar",
           "dstack", "dtensor3", "dtensor4", "dtensor5", "dvector", "einsum", "empty", "empty_like", "eq", "equal",
           "erf", "erfc", "erfcx", "erfinv", "exp", "exp2", "expand_dims", "expit", "expm1", "eye", "fabs",
           "fast_compile", "fast_run", "fill", "fix", "flatnonzero", "flatten", "flip", "fliplr", "flipud",
           "float_power", "floor", "floor_divide", "fmatrix", "fmax", "fmin", "fmod", "fscalar", "ftensor3",
           "ftensor4", "ftensor5", "full", "full_like", "function", "fvector", "gamma", "gammainc", "gammaincc",
           "gammaln", "gcd", "get_backend", "get_mode", "grad", "grad_clip", "grad_scale", "graph_inputs", "greater",
           "greater_equal", "heaviside", "hessian", "hessian_vector_product", "hstack", "hypot", "i0", "i1",
           "identity", "identity_like", "imag", "imatrix", "inc_subtensor", "infer_shape", "infer_shapes", "inner",
           "int_div", "interp", "invert", "iscalar", "isclose", "isfinite", "isin", "isinf", "isnan", "isneginf",
           "isposinf", "itensor3", "itensor4", "itensor5", "ivector", "j0", "j1", "jacobian", "join", "jv", "kron",
           "lcm", "ldexp", "left_shift", "less", "less_equal", "linalg", "linspace", "lmatrix", "log", "log10",
           "log1mexp", "log1p", "log2", "log_softmax", "logaddexp", "logaddexp2", "logical_and", "logical_not",
           "logical_or", "logical_xor", "logspace", "logsumexp", "lscalar", "ltensor3", "ltensor4", "ltensor5",
           "lvector", "matmul", "matrix", "matrix_transpose", "max", "maximum", "mean", "median", "meshgrid", "min",
           "minimum", "mod", "moveaxis", "multiply", "nan_guard", "nan_to_num", "nanargmax", "nanargmin",
           "nancumprod", "nancumsum", "nanmax", "nanmean", "nanmin", "nanprod", "nanstd", "nansum", "nanvar", "neg",
           "negative", "neq", "nextafter", "nn", "nonzero", "not_equal", "ones", "ones_like", "outer", "pad",
           "percentile", "permute_dims", "polygamma", "positive", "pow", "power", "pprint", "prod", "psi", "ptp",
           "quantile", "rad2deg", "random", "ravel", "real", "reciprocal", "remainder", "render", "repeat", "reshape",
           "right_shift", "rint", "roll", "rot90", "round", "scalar", "scalars", "searchsorted", "select",
           "set_subtensor", "shape", "shape_padaxis", "shape_padleft", "shape_padright", "shared", "sigmoid", "sign",
           "signbit", "sin", "sinc", "sinh", "softmax", "softplus", "sort", "spacing", "specify_shape", "split",
           "sqr", "sqrt", "square", "squeeze", "stack", "std", "subtract", "sum", "sum_to_shape", "swapaxes",
           "switch", "take", "take_along_axis", "tan", "tanh", "tensor", "tensor3", "tensor4", "tensor5", "tensordot",
           "tensors", "tile", "to_dot", "topk", "toposort", "trace", "transpose", "trapezoid", "tri", "tril", "triu",
           "true_div", "true_divide", "trunc", "unique", "unstack", "var", "vdot", "vecdot", "vector", "verify_grad",
           "vstack", "where", "wmatrix", "wscalar", "wtensor3", "wtensor4", "wtensor5", "wvector", "zero_grad",
           "zeros", "zeros_like", "zmatrix", "zscalar", "ztensor3", "ztensor4", "ztensor5", "zvector"]
