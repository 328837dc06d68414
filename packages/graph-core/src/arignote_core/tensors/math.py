"""Tensor math functions under NumPy's names: elementwise ufuncs, reductions, products, ``where``."""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable
from typing import Any

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
        return op(*inputs)

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"Elementwise ``{name}`` with NumPy's broadcasting and dtype rules."
    return apply


Elementwise = Callable[..., TensorVariable]

#: one function per scalar op: add, exp, sigmoid, ...
ELEMWISE_FUNCTIONS: dict[str, Any] = {name: _elemwise_function(name) for name in SCALAR_OPS
                                      if name not in ("switch", "clip", "identity")}
# each by name, so that readers and type checkers see them (a test checks none is missing)
absolute: Elementwise = ELEMWISE_FUNCTIONS["absolute"]
add: Elementwise = ELEMWISE_FUNCTIONS["add"]
arccos: Elementwise = ELEMWISE_FUNCTIONS["arccos"]
arccosh: Elementwise = ELEMWISE_FUNCTIONS["arccosh"]
arcsin: Elementwise = ELEMWISE_FUNCTIONS["arcsin"]
arcsinh: Elementwise = ELEMWISE_FUNCTIONS["arcsinh"]
arctan: Elementwise = ELEMWISE_FUNCTIONS["arctan"]
arctan2: Elementwise = ELEMWISE_FUNCTIONS["arctan2"]
arctanh: Elementwise = ELEMWISE_FUNCTIONS["arctanh"]
bitwise_and: Elementwise = ELEMWISE_FUNCTIONS["bitwise_and"]
bitwise_or: Elementwise = ELEMWISE_FUNCTIONS["bitwise_or"]
bitwise_xor: Elementwise = ELEMWISE_FUNCTIONS["bitwise_xor"]
cbrt: Elementwise = ELEMWISE_FUNCTIONS["cbrt"]
ceil: Elementwise = ELEMWISE_FUNCTIONS["ceil"]
complex: Elementwise = ELEMWISE_FUNCTIONS["complex"]  # Theano's name (shadows the builtin here)
conjugate: Elementwise = ELEMWISE_FUNCTIONS["conjugate"]
copysign: Elementwise = ELEMWISE_FUNCTIONS["copysign"]
cos: Elementwise = ELEMWISE_FUNCTIONS["cos"]
cosh: Elementwise = ELEMWISE_FUNCTIONS["cosh"]
deg2rad: Elementwise = ELEMWISE_FUNCTIONS["deg2rad"]
erf: Elementwise = ELEMWISE_FUNCTIONS["erf"]
erfc: Elementwise = ELEMWISE_FUNCTIONS["erfc"]
erfcx: Elementwise = ELEMWISE_FUNCTIONS["erfcx"]
erfinv: Elementwise = ELEMWISE_FUNCTIONS["erfinv"]
exp: Elementwise = ELEMWISE_FUNCTIONS["exp"]
exp2: Elementwise = ELEMWISE_FUNCTIONS["exp2"]
expm1: Elementwise = ELEMWISE_FUNCTIONS["expm1"]
fabs: Elementwise = ELEMWISE_FUNCTIONS["fabs"]
float_power: Elementwise = ELEMWISE_FUNCTIONS["float_power"]
floor: Elementwise = ELEMWISE_FUNCTIONS["floor"]
floor_divide: Elementwise = ELEMWISE_FUNCTIONS["floor_divide"]
fmax: Elementwise = ELEMWISE_FUNCTIONS["fmax"]
fmin: Elementwise = ELEMWISE_FUNCTIONS["fmin"]
fmod: Elementwise = ELEMWISE_FUNCTIONS["fmod"]
gamma: Elementwise = ELEMWISE_FUNCTIONS["gamma"]
gammainc: Elementwise = ELEMWISE_FUNCTIONS["gammainc"]
gammaincc: Elementwise = ELEMWISE_FUNCTIONS["gammaincc"]
gammaln: Elementwise = ELEMWISE_FUNCTIONS["gammaln"]
gcd: Elementwise = ELEMWISE_FUNCTIONS["gcd"]
heaviside: Elementwise = ELEMWISE_FUNCTIONS["heaviside"]
hypot: Elementwise = ELEMWISE_FUNCTIONS["hypot"]
i0: Elementwise = ELEMWISE_FUNCTIONS["i0"]
i1: Elementwise = ELEMWISE_FUNCTIONS["i1"]
imag: Elementwise = ELEMWISE_FUNCTIONS["imag"]
invert: Elementwise = ELEMWISE_FUNCTIONS["invert"]
isfinite: Elementwise = ELEMWISE_FUNCTIONS["isfinite"]
isinf: Elementwise = ELEMWISE_FUNCTIONS["isinf"]
isnan: Elementwise = ELEMWISE_FUNCTIONS["isnan"]
j0: Elementwise = ELEMWISE_FUNCTIONS["j0"]
j1: Elementwise = ELEMWISE_FUNCTIONS["j1"]
jv: Elementwise = ELEMWISE_FUNCTIONS["jv"]
lcm: Elementwise = ELEMWISE_FUNCTIONS["lcm"]
ldexp: Elementwise = ELEMWISE_FUNCTIONS["ldexp"]
left_shift: Elementwise = ELEMWISE_FUNCTIONS["left_shift"]
log: Elementwise = ELEMWISE_FUNCTIONS["log"]
log10: Elementwise = ELEMWISE_FUNCTIONS["log10"]
log1mexp: Elementwise = ELEMWISE_FUNCTIONS["log1mexp"]
log1p: Elementwise = ELEMWISE_FUNCTIONS["log1p"]
log2: Elementwise = ELEMWISE_FUNCTIONS["log2"]
logaddexp: Elementwise = ELEMWISE_FUNCTIONS["logaddexp"]
logaddexp2: Elementwise = ELEMWISE_FUNCTIONS["logaddexp2"]
logical_and: Elementwise = ELEMWISE_FUNCTIONS["logical_and"]
logical_not: Elementwise = ELEMWISE_FUNCTIONS["logical_not"]
logical_or: Elementwise = ELEMWISE_FUNCTIONS["logical_or"]
logical_xor: Elementwise = ELEMWISE_FUNCTIONS["logical_xor"]
maximum: Elementwise = ELEMWISE_FUNCTIONS["maximum"]
minimum: Elementwise = ELEMWISE_FUNCTIONS["minimum"]
multiply: Elementwise = ELEMWISE_FUNCTIONS["multiply"]
negative: Elementwise = ELEMWISE_FUNCTIONS["negative"]
nextafter: Elementwise = ELEMWISE_FUNCTIONS["nextafter"]
polygamma: Elementwise = ELEMWISE_FUNCTIONS["polygamma"]
positive: Elementwise = ELEMWISE_FUNCTIONS["positive"]
power: Elementwise = ELEMWISE_FUNCTIONS["power"]
psi: Elementwise = ELEMWISE_FUNCTIONS["psi"]
rad2deg: Elementwise = ELEMWISE_FUNCTIONS["rad2deg"]
real: Elementwise = ELEMWISE_FUNCTIONS["real"]
reciprocal: Elementwise = ELEMWISE_FUNCTIONS["reciprocal"]
remainder: Elementwise = ELEMWISE_FUNCTIONS["remainder"]
right_shift: Elementwise = ELEMWISE_FUNCTIONS["right_shift"]
rint: Elementwise = ELEMWISE_FUNCTIONS["rint"]
sigmoid: Elementwise = ELEMWISE_FUNCTIONS["sigmoid"]
sign: Elementwise = ELEMWISE_FUNCTIONS["sign"]
signbit: Elementwise = ELEMWISE_FUNCTIONS["signbit"]
sin: Elementwise = ELEMWISE_FUNCTIONS["sin"]
sinh: Elementwise = ELEMWISE_FUNCTIONS["sinh"]
softplus: Elementwise = ELEMWISE_FUNCTIONS["softplus"]
spacing: Elementwise = ELEMWISE_FUNCTIONS["spacing"]
sqrt: Elementwise = ELEMWISE_FUNCTIONS["sqrt"]
square: Elementwise = ELEMWISE_FUNCTIONS["square"]
subtract: Elementwise = ELEMWISE_FUNCTIONS["subtract"]
tan: Elementwise = ELEMWISE_FUNCTIONS["tan"]
tanh: Elementwise = ELEMWISE_FUNCTIONS["tanh"]
true_divide: Elementwise = ELEMWISE_FUNCTIONS["true_divide"]
trunc: Elementwise = ELEMWISE_FUNCTIONS["trunc"]

#: x OP c for a Python int c above (then below) the range of x's integer dtype: always True or always False
_BEYOND_RANGE = {"less": (True, False), "less_equal": (True, False), "greater": (False, True),
                 "greater_equal": (False, True), "equal": (False, False), "not_equal": (True, True)}
_MIRRORED = {"less": "greater", "less_equal": "greater_equal", "greater": "less", "greater_equal": "less_equal",
             "equal": "equal", "not_equal": "not_equal"}


def _python_int(value: Any) -> int | None:
    if type(value) is int:
        return value
    if isinstance(value, Constant) and value.weak and isinstance(np.asarray(value.data).item(), int) \
            and value.type.dtype != "bool":
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
                return Elemwise(test)(array, info.max)
        return plain(x1, x2)

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = plain.__doc__
    return compare


ELEMWISE_FUNCTIONS.update({name: _comparison_function(name) for name in _MIRRORED})
equal: Elementwise = ELEMWISE_FUNCTIONS["equal"]
greater: Elementwise = ELEMWISE_FUNCTIONS["greater"]
greater_equal: Elementwise = ELEMWISE_FUNCTIONS["greater_equal"]
less: Elementwise = ELEMWISE_FUNCTIONS["less"]
less_equal: Elementwise = ELEMWISE_FUNCTIONS["less_equal"]
not_equal: Elementwise = ELEMWISE_FUNCTIONS["not_equal"]

# the names NumPy and Theano also use for some of them
ALIASES = {"divide": "true_divide", "mod": "remainder", "abs": "absolute", "conj": "conjugate", "pow": "power",
           "sqr": "square", "neg": "negative", "eq": "equal", "neq": "not_equal", "digamma": "psi",
           "expit": "sigmoid", "bitwise_not": "invert", "bitwise_invert": "invert", "true_div": "true_divide",
           "int_div": "floor_divide"}
abs: Elementwise = ELEMWISE_FUNCTIONS["absolute"]
bitwise_invert: Elementwise = ELEMWISE_FUNCTIONS["invert"]
bitwise_not: Elementwise = ELEMWISE_FUNCTIONS["invert"]
conj: Elementwise = ELEMWISE_FUNCTIONS["conjugate"]
digamma: Elementwise = ELEMWISE_FUNCTIONS["psi"]
divide: Elementwise = ELEMWISE_FUNCTIONS["true_divide"]
eq: Elementwise = ELEMWISE_FUNCTIONS["equal"]
expit: Elementwise = ELEMWISE_FUNCTIONS["sigmoid"]
int_div: Elementwise = ELEMWISE_FUNCTIONS["floor_divide"]
mod: Elementwise = ELEMWISE_FUNCTIONS["remainder"]
neg: Elementwise = ELEMWISE_FUNCTIONS["negative"]
neq: Elementwise = ELEMWISE_FUNCTIONS["not_equal"]
pow: Elementwise = ELEMWISE_FUNCTIONS["power"]
sqr: Elementwise = ELEMWISE_FUNCTIONS["square"]
true_div: Elementwise = ELEMWISE_FUNCTIONS["true_divide"]


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
        return minimum(a, hi)
    if hi is None:
        return maximum(a, lo)
    return Elemwise(SCALAR_OPS["clip"])(a, lo, hi)


# -----------------------------------------------------------------------------------------------------------
# reductions


@functools.cache
def _sum_dtype(dtype: str) -> str:
    return np.add.reduce(np.zeros(1, dtype)).dtype.name


def _keep(result: Any, axes: tuple[int, ...], ndim: int, keepdims: bool) -> TensorVariable:
    if not keepdims:
        return result
    kept = iter(range(ndim - len(axes)))
    return dimshuffle(result, ["x" if i in axes else next(kept) for i in range(ndim)])


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
        return dimshuffle(result, ["x"] * x.ndim) if keepdims else result
    (ax,) = normalize_axes(axis, x.ndim, name)
    return _keep(ArgReduce(name, ax)(x), (ax,), x.ndim, keepdims)


# -----------------------------------------------------------------------------------------------------------
# products and axes


def dot(a: Any, b: Any) -> TensorVariable:
    """NumPy's ``dot``."""
    return Dot()(a, b)


def matmul(a: Any, b: Any) -> TensorVariable:
    """NumPy's ``matmul`` (the ``@`` operator)."""
    return MatMul()(a, b)


def transpose(a: Any, axes: Any = None) -> TensorVariable:
    """NumPy's ``transpose``: reversed axes by default."""
    x = as_tensor(a)
    order = tuple(reversed(range(x.ndim))) if axes is None else tuple(axes)
    if sorted(int(a) % x.ndim if x.ndim else a for a in order) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} don't match a tensor of {x.ndim} dimensions")
    return dimshuffle(x, [int(a) % x.ndim for a in order])


__all__ = ["abs", "absolute", "add", "all", "amax", "amin", "any", "arccos", "arccosh", "arcsin", "arcsinh",
           "arctan", "arctan2", "arctanh", "argmax", "argmin", "bitwise_and", "bitwise_invert", "bitwise_not",
           "bitwise_or", "bitwise_xor", "cbrt", "ceil", "clip", "complex", "conj", "conjugate", "copysign", "cos",
           "cosh", "deg2rad", "digamma", "divide", "dot", "eq", "equal", "erf", "erfc", "erfcx", "erfinv", "exp",
           "exp2",
           "expit", "expm1", "fabs", "float_power", "floor", "floor_divide", "fmax", "fmin", "fmod", "gamma",
           "gammainc", "gammaincc", "gammaln", "gcd", "greater", "greater_equal", "heaviside", "hypot", "i0", "i1",
           "imag", "int_div", "invert", "isfinite", "isinf", "isnan", "j0", "j1", "jv", "lcm", "ldexp",
           "left_shift", "less", "less_equal", "log", "log10", "log1mexp", "log1p", "log2", "logaddexp",
           "logaddexp2", "logical_and", "logical_not", "logical_or", "logical_xor", "matmul", "max", "maximum",
           "mean", "min", "minimum", "mod", "multiply", "neg", "negative", "neq", "nextafter", "not_equal",
           "polygamma", "positive", "pow", "power", "prod", "psi", "rad2deg", "real", "reciprocal", "remainder",
           "right_shift", "rint", "sigmoid", "sign", "signbit", "sin", "sinh", "softplus", "spacing", "sqr", "sqrt",
           "square", "subtract", "sum", "switch", "tan", "tanh", "transpose", "true_div", "true_divide", "trunc",
           "where"]
