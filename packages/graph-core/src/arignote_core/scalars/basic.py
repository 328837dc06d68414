"""Scalar ops: the elementwise math every backend understands, each vectorized over NumPy arrays.

Dtype resolution follows NumPy 2: a ufunc-backed op asks the ufunc itself (``resolve_dtypes``), Python scalars
being weak; math without a NumPy ufunc (``sigmoid``, special functions) promotes like ``np.exp``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..dtypes import DtypeSpec, as_dtype, numpy_spec, result_dtype, upcast_float
from ..graph import Apply, Op, dtype_spec
from .type import ScalarType, as_scalar


class ScalarOp(Op):
    """An op on scalars; ``Elemwise`` applies it over arrays. ``impl`` must work on whole NumPy arrays."""

    nin: ClassVar[int] = 1
    nout: ClassVar[int] = 1
    name: ClassVar[str] = "scalar_op"
    #: infix symbol for printing (``+``); None prints ``name(args)``.
    symbol: ClassVar[str | None] = None
    commutative: ClassVar[bool] = False
    associative: ClassVar[bool] = False

    def resolve(self, specs: Sequence[DtypeSpec]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The dtypes the loop runs in: (input dtypes, output dtypes), for inputs of ``specs``."""
        raise NotImplementedError

    def impl(self, *inputs: Any) -> Any:
        raise NotImplementedError

    def make_node(self, *inputs: Any) -> Apply:
        variables = [as_scalar(v) for v in inputs]
        _, out_dtypes = self.resolve([dtype_spec(v) for v in variables])
        return Apply(self, variables, [ScalarType(d) for d in out_dtypes])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return self.run(inputs, [o.type.dtype for o in node.outputs])

    def run(self, inputs: Sequence[Any], out_dtypes: Sequence[str]) -> list[np.ndarray]:
        """Apply ``impl`` to arrays and give results exactly the dtypes ``out_dtypes``."""
        with np.errstate(all="ignore"):
            result = self.impl(*inputs)
            results = result if self.nout > 1 else (result,)
            return [np.asarray(r).astype(d, copy=False) for r, d in zip(results, out_dtypes, strict=True)]

    def __str__(self) -> str:
        return self.name


def _no_loop(op: ScalarOp, specs: Sequence[DtypeSpec]) -> TypeError:
    names = ", ".join(s.__name__ if isinstance(s, type) else s for s in specs)
    return TypeError(f"{op.name} is not defined for inputs of dtype ({names})")


class UfuncOp(ScalarOp):
    """A scalar op backed by a NumPy ufunc, which also decides its dtypes."""

    ufunc: ClassVar[np.ufunc]

    def resolve(self, specs: Sequence[DtypeSpec]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if specs and all(isinstance(s, type) for s in specs):
            # only Python scalars: NumPy gives them their default dtypes (int64, float64, ...)
            specs = [result_dtype(s) for s in specs]
        try:
            dtypes = self.ufunc.resolve_dtypes(tuple(numpy_spec(s) for s in specs) + (None,) * self.nout)
        except (TypeError, np._core._exceptions._UFuncNoLoopError) as exc:  # type: ignore[attr-defined]
            raise _no_loop(self, specs) from exc
        names = tuple(as_dtype(d) for d in dtypes)
        return names[: self.nin], names[self.nin:]

    def impl(self, *inputs: Any) -> Any:
        return self.ufunc(*inputs)


class FloatOp(ScalarOp):
    """Math that always gives floats, promoting like ``np.exp`` (ints to float64, float16 stays float16)."""

    function: ClassVar[Callable[..., Any]]

    def resolve(self, specs: Sequence[DtypeSpec]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        dtype = result_dtype(*specs)
        if dtype == "bool" or dtype.startswith("complex"):
            raise _no_loop(self, specs)
        out = upcast_float(dtype)
        return (out,) * self.nin, (out,)

    def impl(self, *inputs: Any) -> Any:
        if inputs and all(getattr(x, "dtype", None) == np.float16 for x in inputs):
            return type(self).function(*(np.asarray(x, np.float32) for x in inputs))
        return type(self).function(*inputs)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _define(base: type[ScalarOp], name: str, nin: int, **attrs: Any) -> ScalarOp:
    """Create, register in this module (for pickling) and instantiate a parameterless scalar op class."""
    cls_name = _camel(name)
    namespace = {"nin": nin, "name": name, "__module__": __name__, "__qualname__": cls_name, **attrs}
    cls: Any = dataclass(frozen=True)(type(cls_name, (base,), namespace))
    globals()[cls_name] = cls
    return cls()


def _softplus(x: Any) -> Any:
    return np.logaddexp(0, x)


def _log1mexp(x: Any) -> Any:
    """log(1 - exp(x)) for x <= 0, accurate on both sides of -log 2."""
    x = np.asarray(x)
    return np.where(x < -0.6931471805599453, np.log1p(-np.exp(x)), np.log(-np.expm1(x)))


# (name, ufunc, printed symbol, commutative, associative)
_UFUNCS: list[tuple[str, np.ufunc, str | None, bool, bool]] = [
    ("add", np.add, "+", True, True), ("subtract", np.subtract, "-", False, False),
    ("multiply", np.multiply, "*", True, True), ("true_divide", np.true_divide, "/", False, False),
    ("floor_divide", np.floor_divide, "//", False, False), ("remainder", np.remainder, "%", False, False),
    ("power", np.power, "**", False, False), ("maximum", np.maximum, None, True, True),
    ("minimum", np.minimum, None, True, True), ("fmax", np.fmax, None, True, True),
    ("fmin", np.fmin, None, True, True), ("less", np.less, "<", False, False),
    ("greater", np.greater, ">", False, False), ("less_equal", np.less_equal, "<=", False, False),
    ("greater_equal", np.greater_equal, ">=", False, False), ("equal", np.equal, "==", True, False),
    ("not_equal", np.not_equal, "!=", True, False), ("logical_and", np.logical_and, None, True, True),
    ("logical_or", np.logical_or, None, True, True), ("logical_xor", np.logical_xor, None, True, True),
    ("bitwise_and", np.bitwise_and, "&", True, True), ("bitwise_or", np.bitwise_or, "|", True, True),
    ("bitwise_xor", np.bitwise_xor, "^", True, True), ("left_shift", np.left_shift, "<<", False, False),
    ("right_shift", np.right_shift, ">>", False, False), ("arctan2", np.arctan2, None, False, False),
    ("hypot", np.hypot, None, True, False), ("copysign", np.copysign, None, False, False),
    ("fmod", np.fmod, None, False, False), ("logaddexp", np.logaddexp, None, True, False),
    ("logaddexp2", np.logaddexp2, None, True, False), ("nextafter", np.nextafter, None, False, False),
    ("heaviside", np.heaviside, None, False, False), ("float_power", np.float_power, None, False, False),
    ("gcd", np.gcd, None, True, True), ("lcm", np.lcm, None, True, True), ("ldexp", np.ldexp, None, False, False),
    ("negative", np.negative, "-", False, False), ("positive", np.positive, None, False, False),
    ("absolute", np.absolute, None, False, False), ("sign", np.sign, None, False, False),
    ("exp", np.exp, None, False, False), ("exp2", np.exp2, None, False, False),
    ("expm1", np.expm1, None, False, False), ("log", np.log, None, False, False),
    ("log2", np.log2, None, False, False), ("log10", np.log10, None, False, False),
    ("log1p", np.log1p, None, False, False), ("sqrt", np.sqrt, None, False, False),
    ("cbrt", np.cbrt, None, False, False), ("square", np.square, None, False, False),
    ("reciprocal", np.reciprocal, None, False, False), ("sin", np.sin, None, False, False),
    ("cos", np.cos, None, False, False), ("tan", np.tan, None, False, False),
    ("arcsin", np.arcsin, None, False, False), ("arccos", np.arccos, None, False, False),
    ("arctan", np.arctan, None, False, False), ("sinh", np.sinh, None, False, False),
    ("cosh", np.cosh, None, False, False), ("tanh", np.tanh, None, False, False),
    ("arcsinh", np.arcsinh, None, False, False), ("arccosh", np.arccosh, None, False, False),
    ("arctanh", np.arctanh, None, False, False), ("floor", np.floor, None, False, False),
    ("ceil", np.ceil, None, False, False), ("trunc", np.trunc, None, False, False),
    ("rint", np.rint, None, False, False), ("logical_not", np.logical_not, None, False, False),
    ("invert", np.invert, "~", False, False), ("isnan", np.isnan, None, False, False),
    ("isinf", np.isinf, None, False, False), ("isfinite", np.isfinite, None, False, False),
    ("signbit", np.signbit, None, False, False), ("conjugate", np.conjugate, None, False, False),
    ("deg2rad", np.deg2rad, None, False, False), ("rad2deg", np.rad2deg, None, False, False),
    ("fabs", np.fabs, None, False, False), ("spacing", np.spacing, None, False, False),
]

#: Every scalar op by name (``SCALAR_OPS["add"]``).
SCALAR_OPS: dict[str, ScalarOp] = {}

for _name, _ufunc, _symbol, _comm, _assoc in _UFUNCS:
    SCALAR_OPS[_name] = _define(UfuncOp, _name, _ufunc.nin, ufunc=_ufunc, symbol=_symbol, commutative=_comm,
                                associative=_assoc)


def _special(name: str) -> Callable[..., Any]:
    """``scipy.special.<name>``, looked up on first use: importing scipy.special costs 0.3 s, which every
    ``import arignote_core`` would pay for functions most graphs never call."""

    def call(*args: Any) -> Any:
        import scipy.special  # noqa: PLC0415  (importing it costs 0.3 s)

        return getattr(scipy.special, name)(*args)

    call.__name__ = call.__qualname__ = name
    return call


# (name, function, arity): float-valued math without a NumPy ufunc of its own.
_FLOAT_FUNCTIONS: list[tuple[str, Callable[..., Any], int]] = [
    ("sigmoid", _special("expit"), 1), ("softplus", _softplus, 1), ("log1mexp", _log1mexp, 1),
    ("erf", _special("erf"), 1), ("erfc", _special("erfc"), 1), ("erfinv", _special("erfinv"), 1),
    ("erfcx", _special("erfcx"), 1), ("gamma", _special("gamma"), 1), ("gammaln", _special("gammaln"), 1),
    ("psi", _special("psi"), 1), ("i0", _special("i0"), 1), ("i1", _special("i1"), 1),
    ("j0", _special("j0"), 1), ("j1", _special("j1"), 1), ("jv", _special("jv"), 2),
    ("gammainc", _special("gammainc"), 2), ("gammaincc", _special("gammaincc"), 2),
    ("polygamma", _special("polygamma"), 2),
]

for _name, _function, _nin in _FLOAT_FUNCTIONS:
    SCALAR_OPS[_name] = _define(FloatOp, _name, _nin, function=staticmethod(_function))


@dataclass(frozen=True)
class Switch(ScalarOp):
    """``cond ? a : b`` (NumPy's ``where``)."""

    nin: ClassVar[int] = 3
    name: ClassVar[str] = "switch"

    def resolve(self, specs: Sequence[DtypeSpec]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        out = result_dtype(*specs[1:])
        return ("bool", out, out), (out,)

    def impl(self, cond: Any, a: Any, b: Any) -> Any:
        return np.where(cond, a, b)


@dataclass(frozen=True)
class Cast(ScalarOp):
    """Conversion to ``dtype`` with NumPy's ``astype`` semantics."""

    dtype: str
    name: ClassVar[str] = "cast"

    def resolve(self, specs: Sequence[DtypeSpec]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        spec = specs[0]
        source = result_dtype(spec) if isinstance(spec, type) else spec
        return (source,), (self.dtype,)

    def impl(self, x: Any) -> Any:
        return np.asarray(x).astype(self.dtype)

    def __str__(self) -> str:
        return f"cast{{{self.dtype}}}"


@dataclass(frozen=True)
class Clip(ScalarOp):
    """``min(max(x, lo), hi)``, NumPy's ``clip``."""

    nin: ClassVar[int] = 3
    name: ClassVar[str] = "clip"

    def resolve(self, specs: Sequence[DtypeSpec]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        out = result_dtype(*specs)
        return (out,) * 3, (out,)

    def impl(self, x: Any, lo: Any, hi: Any) -> Any:
        return np.clip(x, lo, hi)


@dataclass(frozen=True)
class Identity(ScalarOp):
    """The input itself (a fused kernel's output that is also one of its inputs)."""

    name: ClassVar[str] = "identity"

    def resolve(self, specs: Sequence[DtypeSpec]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        dtype = result_dtype(*specs)
        return (dtype,), (dtype,)

    def impl(self, x: Any) -> Any:
        return np.array(x, copy=True)


switch = SCALAR_OPS["switch"] = Switch()
clip = SCALAR_OPS["clip"] = Clip()
identity = SCALAR_OPS["identity"] = Identity()
