"""The ops the generator draws from: each sampler picks its arguments among the values made so far and writes
the node's expression over the public API (``{m}`` is ``ar`` or ``np``; the NumPy twin's own spelling where they
differ). Samplers return None when nothing available fits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .context import MAX_ELEMENTS, Context, Meta


@dataclass(frozen=True)
class Proposal:
    """A node before it has a name (see :class:`arignote_fuzz.ir.Node`)."""

    op: str
    args: tuple[str, ...]
    template: str
    numpy: str | None = None
    helpers: tuple[str, ...] = ()
    differentiable: bool = True
    stable: str | None = None


Sampler = Callable[[Context], Proposal | None]


def _numeric(m: Meta) -> bool:
    return m.kind != "b"


def _integral(m: Meta) -> bool:
    return m.kind in "iub"


def _nonempty(m: Meta) -> bool:
    return m.ndim > 0


# --- elementwise ------------------------------------------------------------------------------------------

#: unary math as ``{m}.name(x)``: (name, differentiable where the gradient check may use it)
UNARY = {"exp": True, "log": True, "sqrt": True, "sin": True, "cos": True, "tanh": True, "absolute": True,
         "negative": True, "sign": True, "floor": True, "ceil": True, "expm1": True, "log1p": True, "square": True,
         "reciprocal": True, "arctan": True, "cbrt": True, "trunc": True, "rint": True, "isnan": True,
         "isinf": True, "isfinite": True, "logical_not": True, "log2": True, "sinh": True}
#: unary ops NumPy lacks: the twin's helper of the same name
UNARY_HELPERS = ("sigmoid", "softplus", "erf")


def unary(ctx: Context) -> Proposal | None:
    x = ctx.pick()
    if x is None:
        return None
    roll = ctx.rng.random()
    if roll < 0.12:
        name = str(ctx.choice(UNARY_HELPERS))
        return Proposal(name, (x,), f"ar.{name}({{0}})", f"{name}({{0}})", (name,))
    if roll < 0.2:
        text = str(ctx.choice(["-{0}", "abs({0})", "~{0}"]))
        if text == "~{0}" and not _integral(ctx.metas[x]):
            text = "-{0}"
        return Proposal("operator" + text.replace("{0}", ""), (x,), text)
    name = str(ctx.choice(sorted(UNARY)))
    return Proposal(name, (x,), f"{{m}}.{name}({{0}})")


#: binary operators and functions; comparisons and logical/bitwise ops make booleans and integers
OPERATORS = ("+", "-", "*", "/", "//", "%", "**")
#: ``==`` and ``!=`` are identity on variables (they are dict keys), so equality is spelled ``equal``/``not_equal``
COMPARISONS = ("<", "<=", ">", ">=")
EQUALITIES = ("equal", "not_equal")
BINARY_FUNCTIONS = {"maximum": True, "minimum": True, "fmax": True, "fmin": True, "arctan2": True, "hypot": True,
                    "logaddexp": True, "logical_and": False, "logical_or": False, "logical_xor": False,
                    "copysign": True, "nextafter": False}
BITWISE = ("&", "|", "^")


def binary(ctx: Context) -> Proposal | None:
    x = ctx.pick()
    if x is None:
        return None
    y = ctx.partner(x)
    if y is None or not ctx.broadcast_fits(x, y):
        return None
    roll = ctx.rng.random()
    if roll < 0.5:
        op = str(ctx.choice(OPERATORS))
        return Proposal(f"binary{op}", (x, y), f"({{0}} {op} {{1}})")
    if roll < 0.62:
        op = str(ctx.choice(COMPARISONS))
        return Proposal(f"compare{op}", (x, y), f"({{0}} {op} {{1}})", differentiable=False)
    if roll < 0.7:
        name = str(ctx.choice(EQUALITIES))
        return Proposal(name, (x, y), f"{{m}}.{name}({{0}}, {{1}})", differentiable=False)
    if roll < 0.78 and _integral(ctx.metas[x]) and _integral(ctx.metas[y]):
        op = str(ctx.choice(BITWISE))
        return Proposal(f"bitwise{op}", (x, y), f"({{0}} {op} {{1}})", differentiable=False)
    name = str(ctx.choice(sorted(BINARY_FUNCTIONS)))
    return Proposal(name, (x, y), f"{{m}}.{name}({{0}}, {{1}})", differentiable=BINARY_FUNCTIONS[name])


FLOAT_LITERALS = ("0.5", "2.0", "-1.0", "0.0", "-0.0", "1.0", "3.0", "-0.5", "1e308", "1e-300", "float('inf')",
                  "float('nan')", "-2.5")
INT_LITERALS = ("0", "1", "2", "-1", "3", "7", "127", "300", "-129")


def literal(ctx: Context, finite: bool = False) -> str:
    """A Python scalar; with ``finite``, one an integer array can hold (no inf, NaN or 1e308)."""
    floats = [f for f in FLOAT_LITERALS if not finite or f in ("0.5", "2.0", "-1.0", "0.0", "-2.5")]
    return str(ctx.choice(floats if ctx.chance(0.55) else INT_LITERALS))


def with_literal(ctx: Context) -> Proposal | None:
    """``x op c`` or ``c op x`` with a Python scalar (NumPy 2's weak scalars: int8 + 300 is an OverflowError)."""
    x = ctx.pick()
    if x is None:
        return None
    op = str(ctx.choice(OPERATORS + COMPARISONS))
    c = literal(ctx)
    text = f"({{0}} {op} {c})" if ctx.chance(0.7) else f"({c} {op} {{0}})"
    if ctx.chance(0.1):
        op = str(ctx.choice(EQUALITIES))
        text = f"{{m}}.{op}({{0}}, {c})"
    return Proposal(f"literal{op}", (x,), text, differentiable=op in OPERATORS)


def where(ctx: Context) -> Proposal | None:
    cond = ctx.pick(lambda m: m.kind == "b") if ctx.chance(0.8) else ctx.pick()
    if cond is None:
        return None
    a = ctx.partner(cond)
    b = ctx.partner(a) if a is not None else None
    if a is None or b is None or not ctx.broadcast_fits(cond, a, b):
        return None
    if ctx.chance(0.3):
        c = literal(ctx)
        return Proposal("where", (cond, a), f"ar.where({{0}}, {{1}}, {c})", f"where({{0}}, {{1}}, {c})", ("where",))
    return Proposal("where", (cond, a, b), "{m}.where({0}, {1}, {2})")


def clip(ctx: Context) -> Proposal | None:
    x = ctx.pick(_numeric)
    if x is None:
        return None
    if ctx.chance(0.5):
        lo = ctx.partner(x, _numeric)
        hi = ctx.partner(x, _numeric)
        if lo is None or hi is None or not ctx.broadcast_fits(x, lo, hi):
            return None
        return Proposal("clip", (x, lo, hi), "{m}.clip({0}, {1}, {2})")
    lo, hi = sorted(float(v) for v in ctx.rng.integers(-3, 4, 2))
    return Proposal("clip", (x,), f"{{m}}.clip({{0}}, {lo!r}, {hi!r})")


# --- reductions -------------------------------------------------------------------------------------------

REDUCTIONS = {"sum": True, "prod": True, "max": True, "min": True, "mean": True, "any": False, "all": False,
              "std": True, "var": True}


def reduction(ctx: Context) -> Proposal | None:
    x = ctx.pick()
    if x is None:
        return None
    ndim = ctx.metas[x].ndim
    keepdims = ctx.chance(0.4)
    roll = ctx.rng.random()
    if roll < 0.15:
        name = str(ctx.choice(["argmax", "argmin"]))
        axis = None if ndim == 0 or ctx.chance(0.3) else ctx.axis(ndim)
        return Proposal(name, (x,), f"{{m}}.{name}({{0}}, axis={axis}, keepdims={keepdims})", differentiable=False)
    if roll < 0.25:
        axis = ctx.axes(ndim)
        return Proposal("logsumexp", (x,), f"ar.logsumexp({{0}}, axis={axis!r}, keepdims={keepdims})",
                        f"logsumexp({{0}}, axis={axis!r}, keepdims={keepdims})", ("logsumexp",))
    name = str(ctx.choice(sorted(REDUCTIONS)))
    axis = ctx.axes(ndim)
    extra = f", ddof={int(ctx.rng.integers(2))}" if name in ("std", "var") else ""
    if ctx.chance(0.25):
        return Proposal(name, (x,), f"{{0}}.{name}(axis={axis!r}{extra}, keepdims={keepdims})",
                        differentiable=REDUCTIONS[name])
    return Proposal(name, (x,), f"{{m}}.{name}({{0}}, axis={axis!r}{extra}, keepdims={keepdims})",
                    differentiable=REDUCTIONS[name])


def cumulative(ctx: Context) -> Proposal | None:
    x = ctx.pick()
    if x is None:
        return None
    ndim = ctx.metas[x].ndim
    axis = None if ndim == 0 or ctx.chance(0.25) else ctx.axis(ndim)
    name = str(ctx.choice(["cumsum", "cumprod"]))
    return Proposal(name, (x,), f"{{m}}.{name}({{0}}, axis={axis})")


def softmax(ctx: Context) -> Proposal | None:
    x = ctx.pick(_nonempty)
    if x is None:
        return None
    name = str(ctx.choice(["softmax", "log_softmax"]))
    axis = ctx.axis(ctx.metas[x].ndim)
    return Proposal(name, (x,), f"ar.{name}({{0}}, axis={axis})", f"{name}({{0}}, axis={axis})", (name,))


# --- shapes -----------------------------------------------------------------------------------------------


def shape_op(ctx: Context) -> Proposal | None:
    x = ctx.pick()
    if x is None:
        return None
    meta = ctx.metas[x]
    ndim, shape = meta.ndim, meta.shape
    roll = ctx.rng.random()
    if roll < 0.2 and ndim >= 2:
        if ctx.chance(0.3):
            return Proposal("transpose", (x,), "{0}.T")
        perm = tuple(int(a) for a in ctx.rng.permutation(ndim))
        return Proposal("transpose", (x,), f"{{m}}.transpose({{0}}, {perm})")
    if roll < 0.35:
        kept = [int(a) for a in ctx.rng.permutation(ndim)]
        droppable = [a for a in kept if shape[a] == 1]
        if droppable and ctx.chance(0.5):
            kept.remove(int(ctx.choice(droppable)))
        pattern: list[int | str] = list(kept)
        for _ in range(int(ctx.rng.integers(0, 2 if kept else 3))):
            pattern.insert(int(ctx.rng.integers(len(pattern) + 1)), "x")
        return Proposal("dimshuffle", (x,), f"{{0}}.dimshuffle({tuple(pattern)!r})",
                        f"dimshuffle({{0}}, {tuple(pattern)!r})", ("dimshuffle",))
    if roll < 0.55:
        forms = ["(-1,)", "(1, -1)", "(-1, 1)"]
        if ndim >= 2:
            forms += ["({0}.shape[0], -1)", "(-1, {0}.shape[-1])"]
        if ndim >= 1:
            forms += ["({0}.shape[0], 1, -1)"]
        size = int(np.prod(shape))
        divisors = [d for d in (2, 3, 4) if size % d == 0 and size]
        if divisors:
            forms += [f"({ctx.choice(divisors)}, -1)"]
        form = str(ctx.choice(forms))
        return Proposal("reshape", (x,), f"{{m}}.reshape({{0}}, {form})")
    if roll < 0.65:
        axis = int(ctx.rng.integers(-ndim - 1, ndim + 1))
        return Proposal("expand_dims", (x,), f"{{m}}.expand_dims({{0}}, {axis})")
    if roll < 0.75:
        ones = [a for a in range(ndim) if shape[a] == 1]
        if not ones:
            return None
        return Proposal("squeeze", (x,), f"{{m}}.squeeze({{0}}, {ctx.choice(ones)})")
    if roll < 0.85 and ndim >= 2:
        a, b = (int(v) for v in ctx.rng.choice(ndim, 2, replace=False))
        return Proposal("swapaxes", (x,), f"{{m}}.swapaxes({{0}}, {a}, {b})")
    if roll < 0.95 and ndim >= 1:
        axis = None if ctx.chance(0.3) else ctx.axis(ndim)
        return Proposal("flip", (x,), f"{{m}}.flip({{0}}, axis={axis})")
    return Proposal("ravel", (x,), "{m}.ravel({0})")


# --- indexing ---------------------------------------------------------------------------------------------


def _slice(ctx: Context, size: int) -> str:
    def bound() -> str:
        return str(int(ctx.rng.integers(-size - 1, size + 2))) if ctx.chance(0.6) else ""

    step = str(ctx.choice(["", "", "2", "-1", "-2", "3"]))
    return f"{bound()}:{bound()}" + (f":{step}" if step else "")


def _int_array(ctx: Context, size: int) -> str:
    shape = (int(ctx.rng.integers(0, 4)),) if ctx.chance(0.8) else (2, 2)
    high = max(size, 1)
    values = ctx.rng.integers(-high, high, shape)
    if ctx.chance(0.08):
        values = values + high + int(ctx.rng.integers(0, 3))  # out of bounds: an IndexError
    return f"np.array({values.tolist()!r}, dtype=np.int64)"


def basic_index(ctx: Context, shape: tuple[int, ...]) -> str | None:
    """A tuple of integers, slices, newaxis and at most one Ellipsis over (a prefix of) the axes."""
    if not shape:
        return str(ctx.choice(["...", "None", "()"]))
    items = []
    for size in shape[: int(ctx.rng.integers(1, len(shape) + 1))]:
        roll = ctx.rng.random()
        if roll < 0.25 and size:
            items.append(str(int(ctx.rng.integers(-size, size))))
        elif roll < 0.9:
            items.append(_slice(ctx, size))
        else:
            items.append(":")
    if ctx.chance(0.1):
        items.insert(int(ctx.rng.integers(len(items) + 1)), "None")
    if ctx.chance(0.1) and len(items) < len(shape):
        items.insert(0, "...")
    return ", ".join(items) + ("," if len(items) == 1 else "")


def advanced_index(ctx: Context, shape: tuple[int, ...]) -> str | None:
    """Integer arrays on one or two axes, slices elsewhere."""
    if not shape:
        return None
    items = [":"] * len(shape[: int(ctx.rng.integers(1, len(shape) + 1))])
    for axis in ctx.rng.choice(len(items), min(len(items), int(ctx.rng.integers(1, 3))), replace=False):
        items[int(axis)] = _int_array(ctx, shape[int(axis)])
    if ":" in items and ctx.chance(0.3):
        axis = items.index(":")
        items[axis] = _slice(ctx, shape[axis])
    return ", ".join(items) + ("," if len(items) == 1 else "")


#: positions taken modulo the axis' length: ``x.shape[0]`` is an int64 tensor with ``ar`` and a Python int (a weak
#: scalar: uint8 % 341 is an OverflowError) with NumPy, so the twin makes it an int64 too
DYNAMIC = "{1} % {0}.shape[0]"
DYNAMIC_NUMPY = "{1} % np.int64({0}.shape[0])"


def numpy_index(text: str) -> str:
    return text.replace(DYNAMIC, DYNAMIC_NUMPY)


def index_for(ctx: Context, x: str) -> tuple[str, tuple[str, ...]] | None:
    """An index text for ``x`` and the extra arguments it names (``{1}``: a mask or integer positions)."""
    meta = ctx.metas[x]
    roll = ctx.rng.random()
    if roll < 0.12 and meta.ndim:
        mask = ctx.pick(lambda m: m.kind == "b" and 0 < m.ndim <= meta.ndim and all(
            s is not None and t is not None and s == t[: len(s)] for s, t in zip(m.shapes, meta.shapes, strict=True)))
        if mask is not None:
            return "{1}", (mask,)
    if roll < 0.22 and meta.ndim:
        positions = ctx.pick(lambda m: m.is_int and m.ndim <= 2 and ctx.fits(tuple(
            None if p is None or s is None else (*p, *s[1:]) for p, s in zip(m.shapes, meta.shapes, strict=True))))
        if positions is not None:
            return DYNAMIC, (positions,)
    if roll < 0.5:
        text = advanced_index(ctx, meta.shape)
    else:
        text = basic_index(ctx, meta.shape)
    return None if text is None else (text, ())


def subtensor(ctx: Context) -> Proposal | None:
    x = ctx.pick()
    if x is None:
        return None
    if ctx.chance(0.1) and ctx.metas[x].ndim:
        axis = ctx.axis(ctx.metas[x].ndim)
        indices = _int_array(ctx, ctx.metas[x].shape[axis])
        return Proposal("take", (x,), f"ar.take({{0}}, {indices}, axis={axis})", f"take({{0}}, {indices}, axis={axis})",
                        ("take",))
    found = index_for(ctx, x)
    if found is None:
        return None
    text, extra = found
    return Proposal("index", (x, *extra), f"{{0}}[{text}]", f"{{0}}[{numpy_index(text)}]")


def _whole(text: str) -> bool:
    """Whether a basic index selects the whole array (``x[...]`` is ``x`` itself, which set_subtensor refuses:
    it asks for broadcast_to)."""
    return all(item.strip() in ("", ":", "...", "()", "::", "None") for item in text.split(","))


def set_inc(ctx: Context) -> Proposal | None:
    """``set_subtensor(x[idx], v)`` / ``inc_subtensor(x[idx], v)`` with any index form but the whole array, and
    a broadcast value."""
    x = ctx.pick(_nonempty)
    if x is None:
        return None
    found = index_for(ctx, x)
    if found is None or _whole(found[0]):
        return None
    text, extra = found
    name = str(ctx.choice(["set_subtensor", "inc_subtensor"]))
    slot = 1 + len(extra)
    args = (x, *extra)
    target = ctx.metas[x]
    safe = ctx.chance(0.9)  # else set_subtensor casts as NumPy does, inc_subtensor refuses what += refuses
    # an integer array is incremented by integers: Arignote casts the increment first, NumPy's add.at after
    if target.kind == "f":
        literal_value = literal(ctx)
    elif name == "set_subtensor":
        literal_value = literal(ctx, finite=True)
    else:
        literal_value = str(ctx.choice(INT_LITERALS[:5] if target.kind != "b" else ("True", "False")))
    value = literal_value if ctx.chance(0.3) else ctx.pick(
        lambda m: m.ndim <= target.ndim and (not safe or np.can_cast(m.dtype, target.dtype)))
    if value is None:
        return None
    if value in ctx.metas:
        args, value = (*args, value), f"{{{slot}}}"
    np_index = f"np.s_[{numpy_index(text)}]" if text != "{1}" else "{1}"
    return Proposal(name, args, f"ar.{name}({{0}}[{text}], {value})",
                    f"{name}({{0}}, {np_index}, {value})", (name,))


# --- products, joins, casts -------------------------------------------------------------------------------


PRODUCTS = (("dot", "{m}.dot({0}, {1})"), ("matmul", "({0} @ {1})"), ("matmul", "{m}.matmul({0}, {1})"))


def product(ctx: Context) -> Proposal | None:
    a = ctx.pick(lambda m: 1 <= m.ndim <= 3)
    if a is None:
        return None
    inner = ctx.metas[a].shapes

    def matches(m: Meta) -> bool:
        if not 1 <= m.ndim <= 3:
            return False
        axis = 0 if m.ndim == 1 else -2
        return all(s is None or t is None or s[-1] == t[axis] for s, t in zip(inner, m.shapes, strict=True))

    b = ctx.pick(matches) if ctx.chance(0.95) else ctx.pick(lambda m: m.ndim >= 1)
    if b is None:
        return None
    ma, mb = ctx.metas[a], ctx.metas[b]
    if not ctx.fits(tuple((*s[:-1], *t[:-2], t[-1]) if s and t and len(t) >= 2 else s
                          for s, t in zip(ma.shapes, mb.shapes, strict=True))):
        return None
    name, form = PRODUCTS[int(ctx.rng.integers(len(PRODUCTS)))]
    if ma.ndim == 1 and mb.ndim == 1 and ctx.chance(0.3):
        if not ctx.fits(tuple((s[0] * t[0],) for s, t in zip(ma.shapes, mb.shapes, strict=True)
                              if s is not None and t is not None)):
            return None
        name, form = "outer", "{m}.outer({0}, {1})"
    return Proposal(name, (a, b), form)


def join(ctx: Context) -> Proposal | None:
    a = ctx.pick()
    if a is None:
        return None
    meta = ctx.metas[a]
    b = ctx.pick(lambda m: m.ndim == meta.ndim) if ctx.chance(0.9) else ctx.pick()
    if b is None:
        return None
    if meta.ndim == 0 or ctx.chance(0.4):
        axis = int(ctx.rng.integers(-meta.ndim - 1, meta.ndim + 1))
        return Proposal("stack", (a, b), f"{{m}}.stack([{{0}}, {{1}}], axis={axis})")
    axis = ctx.axis(meta.ndim)
    return Proposal("concatenate", (a, b), f"{{m}}.concatenate([{{0}}, {{1}}], axis={axis})")


CAST_DTYPES = ("float64", "float32", "int64", "int32", "int8", "uint8", "bool")


def astype(ctx: Context) -> Proposal | None:
    x = ctx.pick()
    if x is None:
        return None
    dtype = str(ctx.choice(CAST_DTYPES))
    if ctx.chance(0.3):
        return Proposal("astype", (x,), f"{{m}}.astype({{0}}, {dtype!r})")
    return Proposal("astype", (x,), f"{{0}}.astype({dtype!r})")


# --- formulas the stabilizing and simplifying rewrites change -----------------------------------------------

@dataclass(frozen=True)
class Formula:
    """A formula the rewrites change; ``stable`` is what a stabilizing rewrite computes instead (NumPy side)."""

    name: str
    template: str
    numpy: str | None = None
    helpers: tuple[str, ...] = ()
    stable: str | None = None


#: ``{axis}`` is filled with a random axis
FORMULAS = (
    Formula("log(1+x)", "{m}.log(1 + {0})", stable="stable_log1p({0})", helpers=("stable_log1p",)),
    Formula("exp(x)-1", "({m}.exp({0}) - 1)", stable="np.expm1({0})"),
    Formula("log(1+exp(x))", "{m}.log(1 + {m}.exp({0}))", stable="softplus({0})", helpers=("softplus",)),
    Formula("log(sum(exp))", "{m}.log({m}.sum({m}.exp({0}), axis={axis}))", stable="logsumexp({0}, axis={axis})",
            helpers=("logsumexp",)),
    Formula("exp/sum(exp)", "({m}.exp({0}) / {m}.sum({m}.exp({0}), axis={axis}, keepdims=True))",
            stable="softmax({0}, axis={axis})", helpers=("softmax",)),
    Formula("log(softmax)", "ar.log(ar.softmax({0}, axis={axis}))", "np.log(softmax({0}, axis={axis}))",
            ("softmax", "log_softmax"), "log_softmax({0}, axis={axis})"),
    Formula("log(sigmoid)", "ar.log(ar.sigmoid({0}))", "np.log(sigmoid({0}))", ("sigmoid", "log_sigmoid"),
            "log_sigmoid({0})"),
    Formula("log(1-sigmoid)", "ar.log(1 - ar.sigmoid({0}))", "np.log(1 - sigmoid({0}))",
            ("sigmoid", "log1m_sigmoid"), "log1m_sigmoid({0})"),
    Formula("sqrt(x**2)", "{m}.sqrt({0} ** 2)", stable="stable_abs({0})", helpers=("stable_abs",)),
    Formula("x-x", "({0} - {0})"),
    Formula("x/x", "({0} / {0})"),
    Formula("x*0", "({0} * 0)"),
    Formula("x**0", "({0} ** 0)"),
    Formula("x**-0.5", "({0} ** -0.5)"),
    Formula("x*-1", "({0} * -1)"),
    Formula("x**3", "({0} ** 3)"),
    Formula("x+0", "({0} + 0)"),
)


def formula(ctx: Context) -> Proposal | None:
    x = ctx.pick()
    if x is None:
        return None
    f = FORMULAS[int(ctx.rng.integers(len(FORMULAS)))]
    texts = [f.template, f.numpy, f.stable]
    if "{axis}" in f.template:
        ndim = ctx.metas[x].ndim
        if ndim == 0:
            return None
        axis = str(ctx.axis(ndim))
        texts = [t.replace("{axis}", axis) if t else None for t in texts]
    template, numpy, stable = texts
    assert template is not None
    return Proposal(f.name, (x,), template, numpy, f.helpers, stable=stable)


# --- control flow: lazy branches and loops -----------------------------------------------------------------

def ifelse(ctx: Context) -> Proposal | None:
    """``ifelse`` on whether a value has a true element, between two values of one dtype and rank (their shapes
    may differ: each call takes one branch)."""
    cond = ctx.pick()
    a = ctx.pick()
    if cond is None or a is None:
        return None
    kind = ctx.metas[a]
    b = ctx.pick(lambda m: m.dtype == kind.dtype and m.ndim == kind.ndim)
    if b is None:
        return None
    return Proposal("ifelse", (cond, a, b), "ar.ifelse(ar.any({0}), {1}, {2})", "ifelse(np.any({0}), {1}, {2})",
                    ("ifelse",))


#: zeros of a row of ``{0}`` in the dtype its sum has (a loop's initial state; also for ``{0}`` of no row)
_ZERO_ROW = "ar.zeros_like(ar.sum({0}[:1], axis=0))"

def _square_fits(m: Meta) -> bool:
    """Whether a square matrix of ``m``'s last axis stays below the size limit in every call."""
    return all(s is not None and s[-1] ** 2 <= MAX_ELEMENTS for s in m.shapes)


#: loops over the first axis, as ``scan`` writes them, and what NumPy computes for them
LOOPS = (
    ("scan_cumsum", "ar.scan(lambda xt, acc: acc + xt, sequences=[{0}], outputs_info=[_ZERO_ROW])[0]",
     "np.cumsum({0}, axis=0)", (), _numeric),
    ("scan_tanh", "ar.scan(lambda xt, h: ar.tanh(h * 0.5 + xt), sequences=[{0}], outputs_info=[_ZERO_ROW])[0]",
     "tanh_recurrence({0})", ("tanh_recurrence",), lambda m: m.kind == "f"),
    # a product by a matrix the step does not change (moved before the loop by graph-opt)
    ("scan_project", "ar.scan(lambda xt, h, w: ar.tanh(h * 0.5 + xt @ w), sequences=[{0}], outputs_info=[_ZERO_ROW], "
     "non_sequences=[ar.full(({0}.shape[-1], {0}.shape[-1]), 0.25, dtype={0}.dtype)])[0]",
     "projected_recurrence({0})", ("projected_recurrence",),
     lambda m: m.kind == "f" and m.ndim >= 2 and _square_fits(m)),
    # a running sum of products of step values (one product after the loop when only the last sum is read)
    ("scan_gram", "ar.scan(lambda xt, acc: acc + xt.T @ ar.tanh(xt), sequences=[{0}], "
     "outputs_info=[ar.zeros(({0}.shape[-1], {0}.shape[-1]), dtype={0}.dtype)])[0]",
     "gram_sums({0})", ("gram_sums",), lambda m: m.kind == "f" and m.ndim == 3 and _square_fits(m)),
)


def loop(ctx: Context) -> Proposal | None:
    """A ``scan`` over the first axis of a value (zero steps where that axis is empty)."""
    name, template, numpy, helpers, accept = LOOPS[int(ctx.rng.integers(len(LOOPS)))]
    x = ctx.pick(lambda m: m.ndim > 0 and accept(m))
    if x is None:
        return None
    return Proposal(name, (x,), template.replace("_ZERO_ROW", _ZERO_ROW), numpy, helpers)


# --- transforms -------------------------------------------------------------------------------------------

#: real results of the discrete Fourier transforms along the last axis (``{n}``: a length to crop or pad to)
TRANSFORMS = (
    ("irfft(rfft)", "{m}.fft.irfft({m}.fft.rfft({0}, n={n}), n={n})", True),
    ("abs(fft)", "{m}.absolute({m}.fft.fft({0}, n={n}, norm='ortho'))", False),
    ("real(ifft)", "{m}.real({m}.fft.ifft({0}, n={n}, norm='forward'))", True),
    ("fftshift", "{m}.fft.fftshift({0}, axes=-1)", True),
)


def transform(ctx: Context) -> Proposal | None:
    """A Fourier transform of a float value's last axis (non-empty in every call), with a real result."""
    x = ctx.pick(lambda m: m.kind == "f" and m.ndim > 0 and all(s is not None and s[-1] > 0 for s in m.shapes))
    if x is None:
        return None
    name, template, differentiable = TRANSFORMS[int(ctx.rng.integers(len(TRANSFORMS)))]
    n = int(ctx.rng.integers(1, 9))
    if not ctx.fits(tuple((*s[:-1], n) for s in ctx.metas[x].shapes if s is not None)):
        return None
    return Proposal(name, (x,), template.replace("{n}", str(n)), differentiable=differentiable)


@dataclass(frozen=True)
class Family:
    """A group of ops, how often the generator draws it, whether gradient-checked graphs may use it."""

    name: str
    sampler: Sampler
    weight: float
    differentiable: bool = True


FAMILIES = (
    Family("unary", unary, 14),
    Family("binary", binary, 14),
    Family("literal", with_literal, 7),
    Family("where", where, 3),
    Family("clip", clip, 2),
    Family("reduction", reduction, 10),
    Family("cumulative", cumulative, 2),
    Family("softmax", softmax, 3),
    Family("shape", shape_op, 8),
    Family("index", subtensor, 8),
    Family("set_inc", set_inc, 6),
    Family("product", product, 6),
    Family("join", join, 3),
    Family("astype", astype, 3),
    Family("formula", formula, 6),
    Family("ifelse", ifelse, 2),
    Family("loop", loop, 2),
    Family("transform", transform, 2),
)
