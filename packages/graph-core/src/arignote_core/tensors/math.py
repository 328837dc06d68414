"""Tensor math functions under NumPy's names: elementwise ufuncs, reductions, products, ``where``."""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..graph import Constant
from ..scalars import SCALAR_OPS
from .basic import as_tensor, cast, constant, reshape, shape
from .elemwise import Elemwise, dimshuffle
from .products import Dot, MatMul
from .reduce import ArgReduce, Reduce, normalize_axes
from .shape_inference import shape_tuple
from .variable import TensorVariable


def _elemwise_function(name: str) -> Any:
    op = Elemwise(SCALAR_OPS[name])

    def apply(*inputs: Any) -> TensorVariable:
        return op(*inputs)  # type: ignore[no-any-return]

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"Elementwise ``{name}`` with NumPy's broadcasting and dtype rules."
    return apply


Elementwise = Callable[..., TensorVariable]

if TYPE_CHECKING:  # the elementwise functions below are made in a loop; type checkers see them declared here
    abs: Elementwise; absolute: Elementwise; add: Elementwise; arccos: Elementwise; arccosh: Elementwise  # noqa: E702
    arcsin: Elementwise; arcsinh: Elementwise; arctan: Elementwise; arctan2: Elementwise; arctanh: Elementwise  # noqa: E702
    bitwise_and: Elementwise; bitwise_invert: Elementwise; bitwise_not: Elementwise; bitwise_or: Elementwise  # noqa: E702
    bitwise_xor: Elementwise; cbrt: Elementwise; ceil: Elementwise; conj: Elementwise; conjugate: Elementwise  # noqa: E702
    copysign: Elementwise; cos: Elementwise; cosh: Elementwise; deg2rad: Elementwise; digamma: Elementwise  # noqa: E702
    divide: Elementwise; eq: Elementwise; equal: Elementwise; erf: Elementwise; erfc: Elementwise  # noqa: E702
    erfcx: Elementwise; erfinv: Elementwise; exp: Elementwise; exp2: Elementwise; expit: Elementwise  # noqa: E702
    expm1: Elementwise; fabs: Elementwise; float_power: Elementwise; floor: Elementwise  # noqa: E702
    floor_divide: Elementwise; fmax: Elementwise; fmin: Elementwise; fmod: Elementwise; gamma: Elementwise  # noqa: E702
    gammainc: Elementwise; gammaincc: Elementwise; gammaln: Elementwise; gcd: Elementwise  # noqa: E702
    greater: Elementwise; greater_equal: Elementwise; heaviside: Elementwise; hypot: Elementwise  # noqa: E702
    i0: Elementwise; i1: Elementwise; imag: Elementwise; int_div: Elementwise; invert: Elementwise  # noqa: E702
    isfinite: Elementwise; isinf: Elementwise; isnan: Elementwise; j0: Elementwise; j1: Elementwise  # noqa: E702
    jv: Elementwise; lcm: Elementwise; ldexp: Elementwise; left_shift: Elementwise; less: Elementwise  # noqa: E702
    less_equal: Elementwise; log: Elementwise; log10: Elementwise; log1mexp: Elementwise; log1p: Elementwise  # noqa: E702
    log2: Elementwise; logaddexp: Elementwise; logaddexp2: Elementwise; logical_and: Elementwise  # noqa: E702
    logical_not: Elementwise; logical_or: Elementwise; logical_xor: Elementwise; maximum: Elementwise  # noqa: E702
    minimum: Elementwise; mod: Elementwise; multiply: Elementwise; neg: Elementwise; negative: Elementwise  # noqa: E702
    neq: Elementwise; nextafter: Elementwise; not_equal: Elementwise; polygamma: Elementwise  # noqa: E702
    positive: Elementwise; pow: Elementwise; power: Elementwise; psi: Elementwise; rad2deg: Elementwise  # noqa: E702
    real: Elementwise; reciprocal: Elementwise; remainder: Elementwise; right_shift: Elementwise  # noqa: E702
    rint: Elementwise; sigmoid: Elementwise; sign: Elementwise; signbit: Elementwise; sin: Elementwise  # noqa: E702
    sinh: Elementwise; softplus: Elementwise; spacing: Elementwise; sqr: Elementwise; sqrt: Elementwise  # noqa: E702
    square: Elementwise; subtract: Elementwise; tan: Elementwise; tanh: Elementwise; true_div: Elementwise  # noqa: E702
    true_divide: Elementwise; trunc: Elementwise  # noqa: E702


#: one function per scalar op: add, exp, sigmoid, ...
ELEMWISE_FUNCTIONS: dict[str, Any] = {name: _elemwise_function(name) for name in SCALAR_OPS
                                      if name not in ("switch", "clip", "identity")}
globals().update(ELEMWISE_FUNCTIONS)
add, multiply = ELEMWISE_FUNCTIONS["add"], ELEMWISE_FUNCTIONS["multiply"]
maximum, minimum = ELEMWISE_FUNCTIONS["maximum"], ELEMWISE_FUNCTIONS["minimum"]

#: x OP c for a Python int c above (then below) the range of x's integer dtype: always True or always False
_BEYOND_RANGE = {"less": (True, False), "less_equal": (True, False), "greater": (False, True),
                 "greater_equal": (False, True), "equal": (False, False), "not_equal": (True, True)}
_MIRRORED = {"less": "greater", "less_equal": "greater_equal", "greater": "less", "greater_equal": "less_equal",
             "equal": "equal", "not_equal": "not_equal"}


def _python_int(value: Any) -> int | None:
    if type(value) is int:
        return value
    if isinstance(value, Constant) and value.weak and isinstance(np.asarray(value.data).item(), int) \
            and value.type.dtype != "bool":  # type: ignore[attr-defined]
        return int(np.asarray(value.data).item())
    return None


def _comparison_function(name: str) -> Any:
    """A comparison that, as NumPy's does, compares an integer array with any Python int: one beyond the
    dtype's range (``uint8_array > -1``) gives the answer for the whole range, where conversion would
    overflow."""
    plain = ELEMWISE_FUNCTIONS[name]

    def compare(x1: Any, x2: Any) -> TensorVariable:
        for op_name, array, number in ((name, x1, _python_int(x2)), (_MIRRORED[name], x2, _python_int(x1))):
            if number is None or isinstance(array, int) or not hasattr(array, "dtype"):
                continue
            array = as_tensor(array)
            if np.dtype(array.dtype).kind not in "iu":
                continue
            info = np.iinfo(array.dtype)
            if not info.min <= number <= info.max:
                always = _BEYOND_RANGE[op_name][number < info.min]
                # compared with the range's end in a way that holds (or fails) for every element
                test = SCALAR_OPS["less_equal" if always else "greater"]
                return Elemwise(test)(array, info.max)  # type: ignore[no-any-return]
        return plain(x1, x2)  # type: ignore[no-any-return]

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = plain.__doc__
    return compare


ELEMWISE_FUNCTIONS.update({name: _comparison_function(name) for name in _MIRRORED})
globals().update({name: ELEMWISE_FUNCTIONS[name] for name in _MIRRORED})

# the names NumPy and Theano also use for some of them
ALIASES = {"divide": "true_divide", "mod": "remainder", "abs": "absolute", "conj": "conjugate", "pow": "power",
           "sqr": "square", "neg": "negative", "eq": "equal", "neq": "not_equal", "digamma": "psi",
           "expit": "sigmoid", "bitwise_not": "invert", "bitwise_invert": "invert", "true_div": "true_divide",
           "int_div": "floor_divide"}
globals().update({alias: ELEMWISE_FUNCTIONS[name] for alias, name in ALIASES.items()})


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """``x`` where ``condition`` holds, else ``y``; with the condition alone, ``nonzero(condition)``."""
    if x is None and y is None:
        from .sorting import nonzero  # noqa: PLC0415  (sorting builds on this module)

        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("where: either both or neither of x and y should be given")
    return Elemwise(SCALAR_OPS["switch"])(condition, x, y)


switch = where


def clip(a: Any, a_min: Any = None, a_max: Any = None, *, min: Any = None, max: Any = None) -> TensorVariable:  # noqa: A002
    """NumPy's ``clip`` (``min``/``max`` are the array-API spellings of ``a_min``/``a_max``; a missing bound
    does not clip)."""
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    if lo is None and hi is None:
        raise ValueError("clip: at least one of a_min and a_max must be given")
    if lo is None:
        return minimum(a, hi)  # type: ignore[no-any-return]
    if hi is None:
        return maximum(a, lo)  # type: ignore[no-any-return]
    return Elemwise(SCALAR_OPS["clip"])(a, lo, hi)  # type: ignore[no-any-return]


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


def sum(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, initial: Any = None  # noqa: A001
        ) -> TensorVariable:
    """NumPy's ``sum``: small integers accumulate in the platform integer; ``initial`` is added."""
    result = _reduce("add", a, axis, keepdims, dtype, _sum_dtype)
    return result if initial is None else cast(add(result, initial), result.dtype)


def prod(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, initial: Any = None
         ) -> TensorVariable:
    """NumPy's ``prod``; ``initial`` multiplies the product."""
    result = _reduce("multiply", a, axis, keepdims, dtype, _sum_dtype)
    return result if initial is None else cast(multiply(result, initial), result.dtype)


def max(a: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> TensorVariable:  # noqa: A001
    """NumPy's ``max`` (``amax``); NaN propagates; ``initial`` takes part (and makes empty slices valid)."""
    return _reduce("maximum", _with_initial(a, axis, initial), axis, keepdims, None, lambda d: d)


def min(a: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> TensorVariable:  # noqa: A001
    """NumPy's ``min`` (``amin``); NaN propagates; ``initial`` takes part (and makes empty slices valid)."""
    return _reduce("minimum", _with_initial(a, axis, initial), axis, keepdims, None, lambda d: d)


def _with_initial(a: Any, axis: Any, initial: Any) -> Any:
    """``a`` with one more slice of ``initial`` values along the first reduced axis (all axes when None)."""
    if initial is None:
        return a
    from .join import concatenate  # noqa: PLC0415  (join and shaping build on this module)
    from .shaping import broadcast_to  # noqa: PLC0415

    x = as_tensor(a)
    if x.ndim == 0:
        return concatenate([reshape(x, (1,)), reshape(cast(as_tensor(initial), x.dtype), (1,))])
    first = normalize_axes(axis, x.ndim, "initial")[0]
    shape = list(shape_tuple(x))
    shape[first] = 1
    return concatenate([x, broadcast_to(cast(as_tensor(initial), x.dtype), tuple(shape))], axis=first)


def all(a: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:  # noqa: A001
    """NumPy's ``all``."""
    return _reduce("logical_and", a, axis, keepdims, None, lambda d: "bool")


def any(a: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:  # noqa: A001
    """NumPy's ``any``."""
    return _reduce("logical_or", a, axis, keepdims, None, lambda d: "bool")


amax = max
amin = min


def _mean_accumulator(dtype: str) -> str:
    if dtype == "float16":
        return "float32"
    return dtype if np.dtype(dtype).kind in "fc" else "float64"


def mean(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> TensorVariable:
    """NumPy's ``mean``: integers average in float64, float16 accumulates in float32."""
    x = as_tensor(a)
    axes = normalize_axes(axis, x.ndim, "mean")
    acc = _mean_accumulator(x.dtype) if dtype is None else np.dtype(dtype).name
    out_dtype = (x.dtype if x.dtype == "float16" else acc) if dtype is None else acc
    total = sum(x, axis=axes, dtype=acc)
    sizes = [x.type.shape[a] for a in axes]
    if builtins.all(s is not None for s in sizes):
        count: Any = constant(float(np.prod(sizes)))  # type: ignore[arg-type]
    else:
        dims = shape(x)
        count = cast(functools.reduce(multiply, [dims[a] for a in axes], constant(1)), acc)  # type: ignore[arg-type]
    return _keep(cast(total / count, out_dtype), axes, x.ndim, keepdims)


def argmax(a: Any, axis: int | None = None, keepdims: bool = False) -> TensorVariable:
    """NumPy's ``argmax`` (first occurrence of the maximum)."""
    return _arg_reduce("argmax", a, axis, keepdims)


def argmin(a: Any, axis: int | None = None, keepdims: bool = False) -> TensorVariable:
    """NumPy's ``argmin`` (first occurrence of the minimum)."""
    return _arg_reduce("argmin", a, axis, keepdims)


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


def transpose(a: Any, axes: Any = None) -> TensorVariable:
    """NumPy's ``transpose``: reversed axes by default."""
    x = as_tensor(a)
    order = tuple(reversed(range(x.ndim))) if axes is None else tuple(axes)
    if sorted(int(a) % x.ndim if x.ndim else a for a in order) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} don't match a tensor of {x.ndim} dimensions")
    return dimshuffle(x, [int(a) % x.ndim for a in order])  # type: ignore[return-value]


__all__ = sorted({*ELEMWISE_FUNCTIONS, *ALIASES, "where", "switch", "clip", "sum", "prod", "max", "min", "amax",
                  "amin", "all", "any", "mean", "argmax", "argmin", "dot", "matmul", "transpose"})
