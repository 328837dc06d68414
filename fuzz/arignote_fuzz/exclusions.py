"""The documented exclusions: differences that are not counted as findings, each with its reason and a precise
test of whether a mismatch belongs to it. A mismatch is excluded only when every disagreeing element of it is
explained; exclusions are counted and reported, never silently dropped. This module is the one list (the
README's table is checked against it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .ir import Case, Graph, Node
from .oracle import CallOracle
from .quotients import dividend_and_divisor
from .tolerance import Tolerance, mismatches

#: ops that convert their (float) argument to the node's dtype
CASTING_OPS = frozenset({"astype", "set_subtensor", "inc_subtensor"})


@dataclass
class Mismatch:
    """A disagreeing output or shared value of one call, with what the exclusions need to judge it."""

    case: Case
    call: int
    expression: str
    actual: np.ndarray
    expected: np.ndarray
    mask: np.ndarray
    oracle: CallOracle
    variant: Callable[[str], np.ndarray | None]
    #: a variant's tolerance, from the values it computed
    variant_tolerance: Callable[[str], Tolerance | None]
    tolerance: Tolerance


def ancestors(graph: Graph, name: str) -> set[str]:
    by_name = {n.name: n for n in graph.nodes}
    todo, seen = [name], set()
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(by_name[current].args if current in by_name else ())
    return seen


def explained(m: Mismatch, *variants: str) -> bool:
    """Whether every mismatching element equals the value of one of the twin's ``variants``."""
    unexplained = m.mask.copy()
    for name in variants:
        value = m.variant(name)
        if value is not None and value.shape == m.actual.shape and value.dtype == m.expected.dtype:
            unexplained &= mismatches(m.actual, value, m.tolerance)
            own = m.variant_tolerance(name)  # the variant's own terms may be larger (finite where NumPy's are not)
            if own is not None:
                unexplained &= mismatches(m.actual, value, own)
    return not unexplained.any()


def stabilized(m: Mismatch) -> bool:
    """Every mismatch equals the twin's value with the formulas a stabilizing rewrite replaces computed as it
    computes them (log1p, softplus, logsumexp, softmax, log_softmax, log_sigmoid, abs; integers' ``1 + x`` and
    ``x**2`` still wrap, as NumPy's do), or is finite where NumPy's is not and the expression multiplies a
    quotient back by its float divisor (``(g / a) * a`` is ``g``: the softmax gradient's cancellation)."""
    if any(n.stable is not None for n in m.case.graph.nodes) and explained(m, "stable"):
        return True
    finite_for_overflow = np.isfinite(m.actual[m.mask]).all() and not np.isfinite(m.expected[m.mask]).any()
    return finite_for_overflow and (_cancels_a_division(m) or _stable_pair(m))


#: (outer op, inner op) pairs a stabilizing rewrite computes as one: log(softmax) as log_softmax, log(sigmoid)
#: as -softplus(-x), sqrt(square) as abs
STABLE_PAIRS = frozenset({("log", "softmax"), ("log", "sigmoid"), ("sqrt", "square")})


def _stable_pair(m: Mismatch) -> bool:
    """The expression applies one of STABLE_PAIRS, which the rewrite computes as one op: finite where the softmax
    underflows to 0 (an int32 logit of 2**31 - 1 beside 0) or the square overflows."""
    by_name = {n.name: n for n in m.case.graph.nodes}
    for name in ancestors(m.case.graph, m.expression):
        node = by_name.get(name)
        inner = by_name.get(node.args[0]) if node is not None and node.args else None
        while inner is not None and inner.op in SELECTIONS and inner.args:  # the rewrites see through them
            inner = by_name.get(inner.args[0])
        if node is not None and inner is not None and (node.op, inner.op) in STABLE_PAIRS:
            return True
    return False


#: ops that only move or pick elements
SELECTIONS = frozenset({"transpose", "dimshuffle", "index", "reshape", "expand_dims", "squeeze", "swapaxes",
                        "flip", "ravel", "take"})


def _cancels_a_division(m: Mismatch) -> bool:
    by_name = {n.name: n for n in m.case.graph.nodes}
    for name in ancestors(m.case.graph, m.expression):
        node = by_name.get(name)
        if node is None or node.op not in ("binary*", "multiply"):
            continue
        for quotient, other in (node.args, node.args[::-1]):
            inner = by_name.get(quotient)
            if inner is None or inner.op not in ("binary/", "literal/", "true_divide", "divide"):
                continue
            divides_by_it = inner.args[-1] == other and (inner.op != "literal/" or "/ {0}" in inner.template)
            if divides_by_it and np.asarray(m.oracle.values.get(other, 0)).dtype.kind in "fc":
                return True
    return False


def undefined_cast(m: Mismatch) -> bool:
    """The expression converts a float holding NaN, an infinity or a value outside the integer dtype's range."""
    graph = m.case.graph
    by_name = {n.name: n for n in graph.nodes}
    for name in ancestors(graph, m.expression):
        node = by_name.get(name)
        if node is None or node.op not in CASTING_OPS or name not in m.oracle.values:
            continue
        target = np.asarray(m.oracle.values[name]).dtype
        if target.kind not in "iu":
            continue
        info = np.iinfo(target)
        for arg in node.args:
            value = np.asarray(m.oracle.values.get(arg, 0.0))
            if value.dtype.kind == "f" and np.any(~np.isfinite(value) | (value < info.min - 1) |
                                                    (value > info.max + 1)):
                return True
    return False


#: ops whose result jumps where their float argument crosses a step: integers (casts, rounding, floor division),
#: zero (truthiness, sign), another argument (comparisons)
STEP_AT_INTEGERS = frozenset({"astype", "floor", "ceil", "trunc", "rint", "binary//", "literal//", "binary%",
                              "literal%", "set_subtensor", "inc_subtensor"})
STEP_AT_ZERO = frozenset({"sign", "where", "logical_not", "logical_and", "logical_or", "logical_xor", "any", "all"})
STEP_BETWEEN_ARGS = frozenset({"compare<", "compare<=", "compare>", "compare>=", "equal", "not_equal", "literal<",
                               "literal<=", "literal>", "literal>=", "literalequal", "literalnot_equal", "argmax",
                               "argmin"})


def _near(values: np.ndarray, steps: np.ndarray, width: float) -> bool:
    with np.errstate(all="ignore"):
        return bool(np.any(np.isfinite(values) & (np.abs(values - steps) <= width)))


def near_step(m: Mismatch) -> bool:
    """The expression applies a step (a cast or rounding to an integer, a truth test, a comparison, an argmax)
    to a float computed within the tolerance of the step: either side is a right answer."""
    graph = m.case.graph
    by_name = {n.name: n for n in graph.nodes}
    for name in ancestors(graph, m.expression):
        node = by_name.get(name)
        if node is None or not any(a in by_name for a in node.args):
            continue  # the mode has the inputs' values exactly
        args = [np.asarray(m.oracle.values[a], dtype=np.float64) for a in node.args if a in m.oracle.values
                and np.asarray(m.oracle.values[a]).dtype.kind == "f"]
        operands = dividend_and_divisor(node, m.oracle.values)
        if operands is not None:
            with np.errstate(all="ignore"):
                args = [*args, np.asarray(operands[0] / operands[1])]  # the quotient crosses the integers
        for value in args:
            scale = float(np.max(np.abs(value[np.isfinite(value)]), initial=1.0))
            width = 16 * m.tolerance.rtol * max(scale, 1.0, m.tolerance.terms)
            if (node.op in STEP_AT_INTEGERS or operands is not None) and _near(value, np.round(value), width):
                return True
            if node.op in STEP_AT_ZERO | {"astype"} and _near(value, np.zeros_like(value), width):
                return True
        if node.op in STEP_BETWEEN_ARGS and args:
            flat = np.sort(np.concatenate([a.ravel() for a in args]))
            scale = float(np.max(np.abs(flat[np.isfinite(flat)]), initial=1.0))
            width = 16 * m.tolerance.rtol * max(scale, 1.0, m.tolerance.terms)
            if flat.size > 1 and _near(np.diff(flat), np.zeros(flat.size - 1), width):
                return True
    return False


#: ops that divide by their argument (the last one for quotients): a pole at 0
DIVIDING = frozenset({"reciprocal", "binary/", "literal/", "true_divide", "divide", "x**-0.5", "log", "log2",
                      "log10"})
#: a value this small against the values it was computed from is rounding away from 0
NEAR_ZERO = 1e-12


def near_pole(m: Mismatch) -> bool:
    """The expression divides by (or takes the log of) a value that is 0 up to the rounding of the values it was
    computed from (var of equal values: 0 in one summation order, 1e-32 in another): 1 / it is inf or 1e31,
    either right."""
    with np.errstate(all="ignore"):
        a, e = m.actual[m.mask].astype(np.float64), m.expected[m.mask].astype(np.float64)
        blown_up = ~np.isfinite(a) | ~np.isfinite(e) | (np.abs(a) > 1 / NEAR_ZERO) | (np.abs(e) > 1 / NEAR_ZERO)
    if not blown_up.all():
        return False  # only a result the pole made infinite or huge is explained
    graph = m.case.graph
    by_name = {n.name: n for n in graph.nodes}
    for name in ancestors(graph, m.expression):
        node = by_name.get(name)
        if node is None or node.op not in DIVIDING or not node.args:
            continue
        if node.op == "literal/" and "/ {0}" not in node.template:
            continue
        if zero_up_to_rounding(by_name, m.oracle.values, node.args[-1]):
            return True
    return False


#: reductions (and scans of them) whose result depends on the order they combine elements in where partial
#: results overflow or underflow
ORDERED_REDUCTIONS = {"prod": np.multiply, "cumprod": np.multiply, "sum": np.add, "cumsum": np.add, "mean": np.add}


def _kind(value: np.ndarray) -> str:
    """What a reduction's result is, as far as its order can change it: NaN, infinite, zero or finite."""
    return "nan" if np.isnan(value) else "inf" if np.isinf(value) else "zero" if value == 0 else "finite"


def _order_dependent(ufunc: np.ufunc, values: np.ndarray) -> bool:
    """Whether combining ``values`` (in their dtype) smallest-magnitude first and largest first gives results of
    different kinds: ``inf * 0`` is NaN where the product overflows first and 0 where it underflows first."""
    flat = values.ravel()
    if flat.dtype.kind not in "fc" or flat.size < 2:
        return False
    ascending = flat[np.argsort(np.abs(flat), kind="stable")]
    with np.errstate(all="ignore"):
        results = {_kind(ufunc.reduce(ordered)) for ordered in (ascending, ascending[::-1])}
    return len(results) > 1


def reduction_order(m: Mismatch) -> bool:
    """Every mismatch is NaN, infinite or zero in the mode's result, or a truth value (``isnan`` of such a
    result: fuzz case 120714:1595), and the expression reduces (a product, a sum) values whose result is NaN,
    infinite or zero depending on the order they are combined in: NumPy's order (its SIMD lanes, pairwise sums)
    is not part of the contract. A finite value where NumPy's is singular stays a finding."""
    if m.actual.dtype != np.bool_:
        with np.errstate(all="ignore"):
            a = m.actual[m.mask].astype(np.complex128)
            singular = ~np.isfinite(a) | (a == 0)
        if not singular.all():
            return False
    by_name = {n.name: n for n in m.case.graph.nodes}
    for name in ancestors(m.case.graph, m.expression):
        node = by_name.get(name)
        if node is None or node.op not in ORDERED_REDUCTIONS or not node.args or node.args[0] not in m.oracle.values:
            continue
        if _order_dependent(ORDERED_REDUCTIONS[node.op], np.asarray(m.oracle.values[node.args[0]])):
            return True
    return False


def zero_up_to_rounding(by_name: dict[str, Node], values: dict[str, np.ndarray], name: str) -> bool:
    """Whether node ``name`` has an element that is 0 up to the rounding of the values it was computed from
    (a sum that cancels, the variance of equal values): its sign and size are the order of operations'."""
    node = by_name.get(name)
    if node is None or name not in values:
        return False
    value = np.abs(np.asarray(values[name]).astype(np.float64))
    sources = [np.abs(np.asarray(values[a]).astype(np.float64)) for a in node.args
               if a in values and np.asarray(values[a]).dtype.kind in "fiu"]
    scale = max((float(np.max(v[np.isfinite(v)], initial=0.0)) for v in sources), default=0.0)
    return bool(scale and np.any(value <= NEAR_ZERO * scale))


def signed_zero(m: Mismatch) -> bool:
    """Every mismatch equals the twin's value when every intermediate zero is given one sign or the other (all
    +0, then all -0)."""
    return explained(m, "+0", "-0")


#: ops whose derivative is unbounded at some argument (0 for roots, fractional and negative powers, logs,
#: reciprocals and quotients; +-1 for arcsin, arccos, arctanh; zero spread for std and norms)
UNBOUNDED_DERIVATIVE = frozenset({"sqrt", "cbrt", "std", "norm", "hypot", "literal**", "binary**", "power",
                                  "float_power", "log", "log2", "log10", "log1p", "reciprocal", "binary/",
                                  "literal/", "true_divide", "divide", "arcsin", "arccos", "arctanh", "arccosh",
                                  "arctan2", "logsumexp", "x**-0.5", "x/x", "sqrt(x**2)", "log(1+x)",
                                  "log(sum(exp))", "log(softmax)", "log(sigmoid)", "log(1-sigmoid)"})


def singular_gradient(case: Case, values: dict[str, np.ndarray], actual: np.ndarray) -> bool:
    """The chain rule meets 0 * inf or NaN: the wrong gradient elements are NaN or infinite, and on the way to
    the differentiated output a value is NaN or infinite (an input, a log of a negative), or an op with an
    unbounded derivative sees a singular argument (a zero, +-1) or gives zero (std of equal values). The
    derivative itself may exist (a constant std of one element; an element sliced away after ``x ** -0.5`` at
    0; an empty slice of a product with NaN), but JAX, PyTensor and Theano give the same NaN: it comes from
    differentiating the formula, not from a wrong rule."""
    if np.isfinite(actual).all() or case.grad_output is None:
        return False
    graph = case.graph
    by_name = {n.name: n for n in graph.nodes}
    above = ancestors(graph, case.grad_output)
    with np.errstate(all="ignore"):
        for name in above:
            value = np.asarray(values.get(name, 0.0))
            if value.dtype.kind in "fc" and not np.isfinite(value).all():
                return True
        for name in above:
            node = by_name.get(name)
            if node is None or node.op not in UNBOUNDED_DERIVATIVE or name not in values:
                continue
            for value in [values[name], *(values[a] for a in node.args if a in values)]:
                value = np.asarray(value, dtype=np.complex128)
                if ((value == 0) | (np.abs(value) == 1)).any():
                    return True
    return False


@dataclass(frozen=True)
class Exclusion:
    """A documented difference; ``applies`` judges a value mismatch (None: the exclusion is for gradients, judged
    by :func:`singular_gradient`)."""

    name: str
    reason: str
    applies: Callable[[Mismatch], bool] | None


#: the exclusions, in the order they are tried
EXCLUSIONS = (
    Exclusion("signed_zero", "the sign of zero is not part of the contract: results that differ only through the "
              "sign of an intermediate zero (x + 0 keeps -0, then 1/x is -inf) are not wrong", signed_zero),
    Exclusion("undefined_cast", "converting a NaN, an infinity or an out-of-range float to an integer is "
              "undefined in C and in NumPy", undefined_cast),
    Exclusion("near_step", "a step (a cast or rounding to an integer, a truth test, a comparison, an argmax) "
              "applied to a float computed within rounding of the step: either side of it is right", near_step),
    Exclusion("singular_gradient", "a gradient that is NaN or infinite where the chain rule multiplies an "
              "unbounded derivative (a root, a fractional power, a log, a quotient at 0; std of equal values) by 0: "
              "JAX, PyTensor and Theano give the same", None),
    Exclusion("stabilized", "a stabilizing rewrite (log1p, expm1, softplus, log_softmax, logsumexp, softmax, "
              "log_sigmoid, abs for sqrt(x**2)) is finite or more accurate where the naive formula overflows or "
              "cancels: that is its purpose", stabilized),
    Exclusion("near_pole", "a division by (or log of) a value that is 0 up to the rounding of what it was "
              "computed from: inf in one order of the operations, a huge finite value in another", near_pole),
    Exclusion("reduction_order", "a product or sum whose partial results overflow or underflow in one order of "
              "its elements and not in another (inf * 0 is NaN, inf - inf is NaN): NumPy's order of combining "
              "(SIMD lanes, pairwise sums) is not part of the contract", reduction_order),
)


def excluded_by(m: Mismatch) -> str | None:
    return next((e.name for e in EXCLUSIONS if e.applies is not None and e.applies(m)), None)
