"""Scalar op emitters: C expressions for every scalar op, keyed by op class, with NumPy's semantics.

An emitter gets the arguments as C expressions already converted to the op's loop dtypes (``resolve``) and
returns one expression per output. It raises ``Unsupported`` for dtypes it has no C for; the node then runs its
reference ``perform``. A scalar op outside this registry can bring its own C with a method::

    def c_scalar_code(self, args: list[str], in_dtypes: list[str], out_dtypes: list[str]) -> list[str]: ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import numpy as np

from arignote_core.graph import Constant, Variable, dtype_spec
from arignote_core.scalars import SCALAR_OPS, Cast, Clip, Composite, Identity, ScalarOp, Switch

from . import helpers
from .context import EmitContext, Unsupported, Value

ScalarEmitter = Callable[[EmitContext, ScalarOp, Sequence[str], Sequence[str], Sequence[str]], list[str]]

#: emitters by scalar op class
SCALAR_EMITTERS: dict[type, ScalarEmitter] = {}


def register_scalar(*ops: type | str) -> Callable[[ScalarEmitter], ScalarEmitter]:
    """Register an emitter for op classes (or names in ``SCALAR_OPS``, for the generated ufunc classes)."""
    def add(fn: ScalarEmitter) -> ScalarEmitter:
        for op in ops:
            SCALAR_EMITTERS[type(SCALAR_OPS[op]) if isinstance(op, str) else op] = fn
        return fn
    return add


def emit_scalar(ctx: EmitContext, op: ScalarOp, args: Sequence[Value],
                assign: Callable[[str, str], str]) -> list[Value]:
    """Emit ``op`` on ``args``; every output is assigned to a temporary by ``assign(expr, dtype) -> name``."""
    if isinstance(op, Composite):
        return _emit_composite(ctx, op, args, assign)
    try:
        in_dtypes, out_dtypes = op.resolve([a.promotion_spec for a in args])
    except TypeError as exc:
        raise Unsupported(str(exc)) from exc
    converted = [ctx.convert(a.expr, a.dtype, d) for a, d in zip(args, in_dtypes, strict=True)]
    emitter = next((SCALAR_EMITTERS[c] for c in type(op).__mro__ if c in SCALAR_EMITTERS), None)
    if emitter is not None:
        exprs = emitter(ctx, op, converted, in_dtypes, out_dtypes)
    elif hasattr(op, "c_scalar_code"):
        exprs = op.c_scalar_code(list(converted), list(in_dtypes), list(out_dtypes))
    else:
        raise Unsupported(f"no C emitter for scalar op {op}")
    return [Value(assign(e, d), d) for e, d in zip(exprs, out_dtypes, strict=True)]


def _emit_composite(ctx: EmitContext, op: Composite, args: Sequence[Value],
                    assign: Callable[[str, str], str]) -> list[Value]:
    expected = [v.type.dtype for v in op.inputs]
    values = {var: Value(ctx.convert(a.expr, a.dtype, d), d)
              for var, a, d in zip(op.inputs, args, expected, strict=True)}

    def value(var: Variable) -> Value:
        if var in values:
            return values[var]
        constant = cast(Constant, var)  # a composite's leaves are its inputs and constants
        data = np.asarray(constant.data)
        return Value(ctx.literal(data.item(), var.type.dtype), var.type.dtype, dtype_spec(var))

    for node in op.nodes:
        outs = emit_scalar(ctx, node.op, [value(v) for v in node.inputs], assign)
        for var, out in zip(node.outputs, outs, strict=True):
            dtype = var.type.dtype
            values[var] = out if out.dtype == dtype else Value(ctx.convert(out.expr, out.dtype, dtype), dtype)
    return [value(o) for o in op.outputs]


def _kind(dtype: str) -> str:
    return np.dtype(dtype).kind


def _real(dtype: str) -> bool:
    return _kind(dtype) in "biuf"


def _need(condition: bool, op: ScalarOp, dtypes: Sequence[str]) -> None:
    if not condition:
        raise Unsupported(f"{op} has no C emitter for dtypes {tuple(dtypes)}")


# ---------------------------------------------------------------------------------------------------------
# arithmetic


#: the unsigned types signed int32/int64 arithmetic is done in where the dialect's does not wrap
_UNSIGNED_OF = {"int32": "uint32", "int64": "uint64"}


def _wrapping(ctx, dtype: str, expr: str, *operands: str) -> str:
    """``expr`` (``{0}``, ``{1}`` the operands) in ``dtype``, computed in the unsigned type of its size where the
    dialect's signed arithmetic does not wrap (NumPy's int32 and int64 wrap around)."""
    unsigned = _UNSIGNED_OF.get(dtype)
    if ctx.dialect.signed_arithmetic_wraps or unsigned is None:
        return expr.format(*operands)
    u = ctx.ctype(unsigned)
    return f"(({ctx.ctype(dtype)})" + expr.format(*(f"({u}){x}" for x in operands)) + ")"


@register_scalar("add")
def _add(ctx, op, a, ins, outs):
    return [f"({a[0]} | {a[1]})" if outs[0] == "bool" else _wrapping(ctx, outs[0], "({0} + {1})", a[0], a[1])]


@register_scalar("subtract")
def _subtract(ctx, op, a, ins, outs):
    return [_wrapping(ctx, outs[0], "({0} - {1})", a[0], a[1])]


@register_scalar("multiply")
def _multiply(ctx, op, a, ins, outs):
    d = outs[0]
    if d == "bool":
        return [f"({a[0]} & {a[1]})"]
    if _kind(d) == "c":
        return [f"{helpers.complex_multiply(ctx, d)}({a[0]}, {a[1]})"]
    return [_wrapping(ctx, d, "({0} * {1})", a[0], a[1])]


@register_scalar("true_divide")
def _true_divide(ctx, op, a, ins, outs):
    d = outs[0]
    if _kind(d) == "c":
        return [f"{helpers.complex_divide(ctx, d)}({a[0]}, {a[1]})"]
    return [f"({a[0]} / {a[1]})"]


@register_scalar("floor_divide")
def _floor_divide(ctx, op, a, ins, outs):
    d = outs[0]
    _need(_kind(d) in "iuf", op, ins)
    fn = helpers.float_floor_divide(ctx, d) if _kind(d) == "f" else helpers.int_floor_divide(ctx, d)
    return [f"{fn}({a[0]}, {a[1]})"]


@register_scalar("remainder")
def _remainder(ctx, op, a, ins, outs):
    d = outs[0]
    _need(_kind(d) in "iuf", op, ins)
    fn = helpers.float_remainder(ctx, d) if _kind(d) == "f" else helpers.int_remainder(ctx, d, python_sign=True)
    return [f"{fn}({a[0]}, {a[1]})"]


@register_scalar("fmod")
def _fmod(ctx, op, a, ins, outs):
    d = outs[0]
    _need(_kind(d) in "iuf", op, ins)
    fn = ctx.math("fmod", d) if _kind(d) == "f" else helpers.int_remainder(ctx, d, python_sign=False)
    return [f"{fn}({a[0]}, {a[1]})"]


@register_scalar("power")
def _power(ctx, op, a, ins, outs):
    d = outs[0]
    if _kind(d) in "iu":
        if _kind(d) == "i":
            ctx.check(f"({a[1]} < 0)", "AG_ERR_NEGATIVE_POWER")
        return [f"{helpers.int_power(ctx, d)}({a[0]}, {a[1]})"]
    _need(_kind(d) == "f", op, ins)
    if ctx.known.get(a[1]) == 2:  # x*x is exact, like pow(x, 2)
        return [f"({a[0]} * {a[0]})"]
    return [f"{ctx.math('pow', d)}({a[0]}, {a[1]})"]


@register_scalar("float_power")
def _float_power(ctx, op, a, ins, outs):
    _need(_kind(outs[0]) == "f", op, ins)
    return [f"{ctx.math('pow', outs[0])}({a[0]}, {a[1]})"]


def _max_min(a: Sequence[str], d: str, largest: bool, nan_wins: bool) -> str:
    cmp = ">=" if largest else "<="
    if d == "bool":
        return f"({a[0]} {'|' if largest else '&'} {a[1]})"
    if _kind(d) == "f":
        # maximum/minimum: a NaN in either input wins; fmax/fmin: a NaN loses to a number
        nan = f"{a[0]} != {a[0]}" if nan_wins else f"{a[1]} != {a[1]}"
        return f"(({a[0]} {cmp} {a[1]} || {nan}) ? {a[0]} : {a[1]})"
    return f"({a[0]} {cmp} {a[1]} ? {a[0]} : {a[1]})"


@register_scalar("maximum", "minimum", "fmax", "fmin")
def _extremum(ctx, op, a, ins, outs):
    _need(_real(outs[0]), op, ins)
    return [_max_min(a, outs[0], op.name in ("maximum", "fmax"), op.name in ("maximum", "minimum"))]


@register_scalar("negative")
def _negative(ctx, op, a, ins, outs):
    if _kind(outs[0]) == "u":
        return [f"(({ctx.ctype(outs[0])})(0 - {a[0]}))"]
    return [_wrapping(ctx, outs[0], "(-{0})", a[0])]


@register_scalar("positive")
def _positive(ctx, op, a, ins, outs):
    return [a[0]]


@register_scalar("conjugate")
def _conjugate(ctx, op, a, ins, outs):
    return [f"{ctx.math('conj', outs[0])}({a[0]})" if _kind(outs[0]) == "c" else a[0]]


@register_scalar("absolute")
def _absolute(ctx, op, a, ins, outs):
    d = ins[0]
    if _kind(d) == "c":
        return [f"{ctx.math('hypot', outs[0])}({ctx.math('real', d)}({a[0]}), {ctx.math('imag', d)}({a[0]}))"]
    if _kind(d) == "f":
        return [f"{ctx.math('fabs', d)}({a[0]})"]
    if _kind(d) in "ub":
        return [a[0]]
    return [f"({a[0]} < 0 ? ({ctx.ctype(d)})-{a[0]} : {a[0]})"]


@register_scalar("fabs")
def _fabs(ctx, op, a, ins, outs):
    return [f"{ctx.math('fabs', outs[0])}({a[0]})"]


@register_scalar("sign")
def _sign(ctx, op, a, ins, outs):
    d = outs[0]
    _need(_real(d), op, ins)
    x = a[0]
    if _kind(d) == "f":
        one, zero = ctx.literal(1, d), ctx.literal(0, d)
        return [f"({x} > 0 ? {one} : ({x} < 0 ? -{one} : ({x} == 0 ? {zero} : {x})))"]
    if _kind(d) == "u":
        return [f"(({ctx.ctype(d)})({x} > 0))"]
    return [f"(({ctx.ctype(d)})(({x} > 0) - ({x} < 0)))"]


@register_scalar("square")
def _square(ctx, op, a, ins, outs):
    d = outs[0]
    if d == "bool":
        return [a[0]]
    if _kind(d) == "c":
        return [f"{helpers.complex_multiply(ctx, d)}({a[0]}, {a[0]})"]
    return [f"({a[0]} * {a[0]})"]


@register_scalar("reciprocal")
def _reciprocal(ctx, op, a, ins, outs):
    d = outs[0]
    _need(_real(d), op, ins)
    if _kind(d) == "f":
        return [f"({ctx.literal(1, d)} / {a[0]})"]
    # NumPy computes (T)(1.0 / a): at 0 that converts +inf, which x86 makes the minimum of int32/int64 and 0
    # for narrower and unsigned types (via a wider conversion)
    at_zero = ctx.literal(np.iinfo(d).min, d) if d in ("int32", "int64") else "0"
    return [f"({a[0]} == 0 ? {at_zero} : ({ctx.ctype(d)})(1 / {a[0]}))"]


# ---------------------------------------------------------------------------------------------------------
# math library

_UNARY_MATH = {
    "exp": "exp", "exp2": "exp2", "expm1": "expm1", "log": "log", "log2": "log2", "log10": "log10",
    "log1p": "log1p", "sqrt": "sqrt", "cbrt": "cbrt", "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "asin",
    "arccos": "acos", "arctan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "arcsinh": "asinh",
    "arccosh": "acosh", "arctanh": "atanh", "rint": "rint", "erf": "erf", "erfc": "erfc", "gamma": "tgamma",
    "gammaln": "lgamma", "j0": "j0", "j1": "j1",
}
_COMPLEX_MATH = {"exp", "log", "sqrt"}


@register_scalar(*_UNARY_MATH)
def _unary_math(ctx, op, a, ins, outs):
    d = outs[0]
    _need(_kind(d) == "f" or (_kind(d) == "c" and op.name in _COMPLEX_MATH), op, ins)
    call = f"{ctx.math(_UNARY_MATH[op.name], d)}({a[0]})"
    if op.name == "gammaln":  # SciPy (cephes) keeps infinities: gammaln(-inf) is -inf, lgamma's is +inf
        if d == "float64":  # and cephes overflows 1/x to inf below 1/DBL_MAX, where lgamma is about 744
            return [f"(isinf({a[0]}) ? {a[0]} : fabs({a[0]}) < 0x1p-1024 ? INFINITY : {call})"]
        return [f"(isinf({a[0]}) ? {a[0]} : {call})"]
    if op.name in ("j0", "j1"):  # SciPy gives NaN at infinities, libm 0
        return [f"(isinf({a[0]}) ? NAN : {call})"]
    return [call]


@register_scalar("floor", "ceil", "trunc")
def _rounding(ctx, op, a, ins, outs):
    d = outs[0]
    _need(_real(d), op, ins)
    return [f"{ctx.math(op.name, d)}({a[0]})" if _kind(d) == "f" else a[0]]


_BINARY_MATH = {"arctan2": "atan2", "hypot": "hypot", "copysign": "copysign", "nextafter": "nextafter"}


@register_scalar(*_BINARY_MATH)
def _binary_math(ctx, op, a, ins, outs):
    d = outs[0]
    _need(_kind(d) == "f" and not (op.name == "nextafter" and d == "float16"), op, ins)
    return [f"{ctx.math(_BINARY_MATH[op.name], d)}({a[0]}, {a[1]})"]


@register_scalar("logaddexp", "logaddexp2")
def _logaddexp(ctx, op, a, ins, outs):
    _need(_kind(outs[0]) == "f", op, ins)
    return [f"{helpers.logaddexp(ctx, outs[0], op.name == 'logaddexp2')}({a[0]}, {a[1]})"]


@register_scalar("ldexp")
def _ldexp(ctx, op, a, ins, outs):
    d = outs[0]
    _need(_kind(d) == "f", op, ins)
    e = f"({a[1]} > 2147483647 ? 2147483647 : ({a[1]} < -2147483647 - 1 ? -2147483647 - 1 : (int){a[1]}))"
    return [f"{ctx.math('ldexp', d)}({a[0]}, {e})"]


@register_scalar("heaviside")
def _heaviside(ctx, op, a, ins, outs):
    d = outs[0]
    _need(_kind(d) == "f", op, ins)
    x, h0 = a
    zero, one = ctx.literal(0, d), ctx.literal(1, d)
    return [f"({x} != {x} ? {x} : ({x} == 0 ? {h0} : ({x} < 0 ? {zero} : {one})))"]


@register_scalar("deg2rad", "rad2deg")
def _angle(ctx, op, a, ins, outs):
    d = outs[0]
    _need(_kind(d) == "f", op, ins)
    factor = np.float32 if d in ("float16", "float32") else np.float64
    scale = factor(np.pi) / factor(180) if op.name == "deg2rad" else factor(180) / factor(np.pi)
    return [f"({a[0]} * {ctx.literal(float(scale), 'float32' if factor is np.float32 else 'float64')})"]


@register_scalar("spacing")
def _spacing(ctx, op, a, ins, outs):
    _need(_kind(outs[0]) == "f", op, ins)
    return [f"{helpers.spacing(ctx, outs[0])}({a[0]})"]


@register_scalar("sigmoid")
def _sigmoid(ctx, op, a, ins, outs):
    d = outs[0]
    one = ctx.literal(1, d)
    return [f"({one} / ({one} + {ctx.math('exp', d)}(-{a[0]})))"]


@register_scalar("softplus")
def _softplus(ctx, op, a, ins, outs):
    d = outs[0]
    return [f"{helpers.logaddexp(ctx, d, False)}({ctx.literal(0, d)}, {a[0]})"]


@register_scalar("log1mexp")
def _log1mexp(ctx, op, a, ins, outs):
    d, x = outs[0], a[0]
    return [f"({x} < {ctx.literal(-0.6931471805599453, d)} ? {ctx.math('log1p', d)}(-{ctx.math('exp', d)}({x})) "
            f": {ctx.math('log', d)}(-{ctx.math('expm1', d)}({x})))"]


# ---------------------------------------------------------------------------------------------------------
# comparisons and logic


_COMPARE = {"less": "<", "greater": ">", "less_equal": "<=", "greater_equal": ">=", "equal": "==", "not_equal": "!="}
# the result of (negative signed) OP (any unsigned)
_NEGATIVE_VS_UNSIGNED = {"<": "1", "<=": "1", ">": "0", ">=": "0", "==": "0", "!=": "1"}
_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


@register_scalar(*_COMPARE)
def _compare(ctx, op, a, ins, outs):
    sym = _COMPARE[op.name]
    _need(_kind(ins[0]) != "c" or sym in ("==", "!="), op, ins)
    kinds = (_kind(ins[0]), _kind(ins[1]))
    if kinds in (("i", "u"), ("u", "i")):
        signed, unsigned, s = (a[0], a[1], sym) if kinds[0] == "i" else (a[1], a[0], _MIRROR[sym])
        return [f"({signed} < 0 ? {_NEGATIVE_VS_UNSIGNED[s]} : ((uint64_t){signed} {s} (uint64_t){unsigned}))"]
    return [f"({a[0]} {sym} {a[1]})"]


@register_scalar("logical_and", "logical_or", "logical_xor")
def _logical(ctx, op, a, ins, outs):
    x, y = (ctx.convert(v, d, "bool") for v, d in zip(a, ins, strict=True))
    sym = {"logical_and": "&&", "logical_or": "||", "logical_xor": "!="}[op.name]
    return [f"({x} {sym} {y})"]


@register_scalar("logical_not")
def _logical_not(ctx, op, a, ins, outs):
    return [f"(!{ctx.convert(a[0], ins[0], 'bool')})"]


@register_scalar("bitwise_and", "bitwise_or", "bitwise_xor")
def _bitwise(ctx, op, a, ins, outs):
    sym = {"bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^"}[op.name]
    return [f"(({ctx.ctype(outs[0])})({a[0]} {sym} {a[1]}))"]


@register_scalar("invert")
def _invert(ctx, op, a, ins, outs):
    return [f"({a[0]} ^ 1)" if outs[0] == "bool" else f"(({ctx.ctype(outs[0])})~{a[0]})"]


@register_scalar("left_shift", "right_shift")
def _shift(ctx, op, a, ins, outs):
    return [f"{helpers.shift(ctx, outs[0], op.name == 'left_shift')}({a[0]}, {a[1]})"]


@register_scalar("gcd", "lcm")
def _gcd(ctx, op, a, ins, outs):
    fn = helpers.gcd if op.name == "gcd" else helpers.lcm
    return [f"{fn(ctx, outs[0])}({a[0]}, {a[1]})"]


@register_scalar("isnan", "isinf", "isfinite", "signbit")
def _classify(ctx, op, a, ins, outs):
    d, x = ins[0], a[0]
    _need(_kind(d) != "c" or op.name != "signbit", op, ins)
    if _kind(d) == "c":
        re, im = ctx.math("real", d), ctx.math("imag", d)
        if op.name == "isfinite":
            return [f"(isfinite({re}({x})) && isfinite({im}({x})))"]
        test = "isnan" if op.name == "isnan" else "isinf"
        return [f"({test}({re}({x})) || {test}({im}({x})))"]
    if _kind(d) != "f":
        return ["1" if op.name == "isfinite" else "0"]
    return [f"(({x} != {x}))" if op.name == "isnan" else f"(({op.name}({x})) != 0)"]


# ---------------------------------------------------------------------------------------------------------
# parameterized ops


@register_scalar(Cast)
def _cast(ctx, op, a, ins, outs):
    return [ctx.convert(a[0], ins[0], outs[0])]


@register_scalar(Identity)
def _identity(ctx, op, a, ins, outs):
    return [a[0]]


@register_scalar(Switch)
def _switch(ctx, op, a, ins, outs):
    return [f"({a[0]} ? {a[1]} : {a[2]})"]


@register_scalar(Clip)
def _clip(ctx, op, a, ins, outs):
    d = outs[0]
    _need(_real(d), op, ins)
    low = _max_min([a[0], a[1]], d, True, True)
    return [_max_min([low, a[2]], d, False, True)]
