"""Tensor math functions under NumPy's names: elementwise ufuncs, reductions, products, ``where``."""

from __future__ import annotations

import builtins
import functools
from typing import Any

import numpy as np

from ..scalars import SCALAR_OPS
from .basic import as_tensor, cast, constant, shape
from .elemwise import Elemwise, dimshuffle
from .products import Dot, MatMul
from .reduce import ArgReduce, Reduce, normalize_axes
from .variable import TensorVariable


def _elemwise_function(name: str) -> Any:
    op = Elemwise(SCALAR_OPS[name])

    def apply(*inputs: Any) -> TensorVariable:
        return op(*inputs)  # type: ignore[no-any-return]

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"Elementwise ``{name}`` with NumPy's broadcasting and dtype rules."
    return apply


#: one function per scalar op: add, exp, sigmoid, ...
ELEMWISE_FUNCTIONS: dict[str, Any] = {name: _elemwise_function(name) for name in SCALAR_OPS
                                      if name not in ("switch", "clip", "identity")}
globals().update(ELEMWISE_FUNCTIONS)
multiply = ELEMWISE_FUNCTIONS["multiply"]

# the names NumPy and Theano also use for some of them
ALIASES = {"divide": "true_divide", "mod": "remainder", "abs": "absolute", "conj": "conjugate", "pow": "power",
           "sqr": "square", "neg": "negative", "eq": "equal", "neq": "not_equal", "digamma": "psi",
           "expit": "sigmoid", "bitwise_not": "invert", "bitwise_invert": "invert", "true_div": "true_divide",
           "int_div": "floor_divide"}
globals().update({alias: ELEMWISE_FUNCTIONS[name] for alias, name in ALIASES.items()})


def where(condition: Any, x: Any, y: Any) -> TensorVariable:
    """``x`` where ``condition`` holds, else ``y`` (NumPy's three-argument ``where``)."""
    return Elemwise(SCALAR_OPS["switch"])(condition, x, y)  # type: ignore[no-any-return]


switch = where


def clip(x: Any, a_min: Any, a_max: Any) -> TensorVariable:
    """NumPy's ``clip``."""
    return Elemwise(SCALAR_OPS["clip"])(x, a_min, a_max)  # type: ignore[no-any-return]


# -----------------------------------------------------------------------------------------------------------
# reductions


@functools.cache
def _sum_dtype(dtype: str) -> str:
    return np.add.reduce(np.zeros(1, dtype)).dtype.name  # type: ignore[no-any-return]


def _keep(result: Any, axes: tuple[int, ...], ndim: int, keepdims: bool) -> TensorVariable:
    if not keepdims:
        return result  # type: ignore[no-any-return]
    kept = iter(range(ndim - len(axes)))
    return dimshuffle(result, ["x" if i in axes else next(kept) for i in range(ndim)])  # type: ignore[return-value]


def _reduce(name: str, x: Any, axis: Any, keepdims: bool, dtype: Any, default_dtype: Any) -> TensorVariable:
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim, name)
    out_dtype = default_dtype(x.dtype) if dtype is None else np.dtype(dtype).name
    source = x if name not in ("logical_and", "logical_or") else cast(x, "bool")
    result = Reduce(SCALAR_OPS[name], axes, out_dtype)(source)  # type: ignore[arg-type]
    return _keep(result, axes, x.ndim, keepdims)


def sum(x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> TensorVariable:  # noqa: A001
    """NumPy's ``sum``: small integers accumulate in the platform integer."""
    return _reduce("add", x, axis, keepdims, dtype, _sum_dtype)


def prod(x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> TensorVariable:
    """NumPy's ``prod``."""
    return _reduce("multiply", x, axis, keepdims, dtype, _sum_dtype)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:  # noqa: A001
    """NumPy's ``max`` (``amax``); NaN propagates."""
    return _reduce("maximum", x, axis, keepdims, None, lambda d: d)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:  # noqa: A001
    """NumPy's ``min`` (``amin``); NaN propagates."""
    return _reduce("minimum", x, axis, keepdims, None, lambda d: d)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:  # noqa: A001
    """NumPy's ``all``."""
    return _reduce("logical_and", x, axis, keepdims, None, lambda d: "bool")


def any(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:  # noqa: A001
    """NumPy's ``any``."""
    return _reduce("logical_or", x, axis, keepdims, None, lambda d: "bool")


def _mean_accumulator(dtype: str) -> str:
    if dtype == "float16":
        return "float32"
    return dtype if np.dtype(dtype).kind in "fc" else "float64"


def mean(x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> TensorVariable:
    """NumPy's ``mean``: integers average in float64, float16 accumulates in float32."""
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "mean")
    acc = _mean_accumulator(x.dtype) if dtype is None else np.dtype(dtype).name
    out_dtype = (x.dtype if x.dtype == "float16" else acc) if dtype is None else acc
    total = sum(x, axis=axes, dtype=acc)
    sizes = [x.type.shape[a] for a in axes]
    if builtins.all(s is not None for s in sizes):
        count: Any = constant(float(np.prod(sizes)))
    else:
        dims = shape(x)
        count = cast(functools.reduce(multiply, [dims[a] for a in axes], constant(1)), acc)
    return _keep(cast(total / count, out_dtype), axes, x.ndim, keepdims)


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> TensorVariable:
    """NumPy's ``argmax`` (first occurrence of the maximum)."""
    return _arg_reduce("argmax", x, axis, keepdims)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> TensorVariable:
    """NumPy's ``argmin`` (first occurrence of the minimum)."""
    return _arg_reduce("argmin", x, axis, keepdims)


def _arg_reduce(name: str, x: Any, axis: int | None, keepdims: bool) -> TensorVariable:
    x = as_tensor(x)
    if axis is None:
        result = ArgReduce(name, None)(x)
        return dimshuffle(result, ["x"] * x.ndim) if keepdims else result  # type: ignore[return-value]
    (ax,) = normalize_axes(axis, x.ndim, name)
    return _keep(ArgReduce(name, ax)(x), (ax,), x.ndim, keepdims)


# -----------------------------------------------------------------------------------------------------------
# products and axes


def dot(a: Any, b: Any) -> TensorVariable:
    """NumPy's ``dot``."""
    return Dot()(a, b)  # type: ignore[no-any-return]


def matmul(a: Any, b: Any) -> TensorVariable:
    """NumPy's ``matmul`` (the ``@`` operator)."""
    return MatMul()(a, b)  # type: ignore[no-any-return]


def transpose(x: Any, axes: Any = None) -> TensorVariable:
    """NumPy's ``transpose``: reversed axes by default."""
    x = as_tensor(x)
    order = tuple(reversed(range(x.ndim))) if axes is None else tuple(axes)
    if sorted(int(a) % x.ndim if x.ndim else a for a in order) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} don't match a tensor of {x.ndim} dimensions")
    return dimshuffle(x, [int(a) % x.ndim for a in order])  # type: ignore[return-value]
