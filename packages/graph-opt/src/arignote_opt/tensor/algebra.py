"""Canonical sums and products: flattened, like terms collected, constants folded, terms sorted.

A sum (``add``, ``subtract``, ``negative``) becomes a left-deep chain of ``add`` over sorted terms, each term
``t``, ``-t`` or ``t * c`` (``c`` a number), with one folded constant last: ``x - y`` is ``x + (-y)``,
``2*x + y - x`` is ``x + y`` (terms sorted), ``x - x`` is zeros of ``x``'s shape. A product (``multiply``,
``true_divide``, ``reciprocal``, integer powers) becomes ``numerator / denominator`` with sorted factors, each
``t`` or ``t ** k``, and one constant coefficient: last when it is above 1 (``x * y * 2`` is ``(x * y) * 2``),
on the first factor when below (``x * y * x / 2`` is ``(x ** 2 * 0.5) * y``), so that it cannot make the
product overflow. A constant divided by whose reciprocal is not exact stays a division (``x / 3``, not
``x * 0.333...``, which is an ulp away) unless the pipeline is asked for ``fast_math``.

Both only look through inner nodes used once (flattening a shared subexpression would compute it twice) and
of the result's dtype (reordering across dtype promotions would change integer overflow and rounding).
Removing terms can shrink a broadcast shape, so a result that might be smaller is broadcast back, and checked
where the removed terms might not have broadcast (:func:`.guards.keep_shape`). Terms and factors cancel only
where IEEE arithmetic agrees (integers always; for floats ``x - x`` stays, since inf - inf is NaN), unless the
pipeline is asked for ``fast_math``: then, like a fast-math C compiler, they assume finite values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from arignote_core import Apply, Constant, FunctionGraph, Variable

from ..engine import Const, Is, Node, Pattern, Replacement
from .guards import filled_like, keep_shape
from .ordering import order_key
from .rulesets import CANONICALIZE
from .util import as_python_number, fits, kind, only_client, register_ieee_and_fast_math, scalar_constant, scalar_name
from .vocabulary import elemwise

# A form is the expression a canonical sum or product should be, as a ground pattern (built from the exact
# variables and numbers it holds): matched against the graph to see whether it is there already, else built.
SUM_OPS = ("add", "subtract", "negative")
PRODUCT_ROOTS = ("multiply", "true_divide")
PRODUCT_OPS = ("multiply", "true_divide", "negative", "reciprocal", "square", "power")


# -----------------------------------------------------------------------------------------------------------
# forms


def form(op: str, *children: Pattern) -> Node:
    """The form ``op(*children)``, its inputs in this order (a canonical order is the point: no commuting)."""
    return Node(elemwise(op), *children, commutative=False)


def already(expected: Pattern, var: Variable) -> bool:
    """Whether the graph at ``var`` is exactly ``expected``."""
    return expected.describes(var)


def chain(op: str, forms: list[Pattern]) -> Pattern | None:
    """``forms`` joined left-deep by ``op``."""
    if not forms:
        return None
    result = forms[0]
    for child in forms[1:]:
        result = form(op, result, child)
    return result


# -----------------------------------------------------------------------------------------------------------
# flattening


def _foldable_constant(var: Variable, dtype: str) -> Any:
    """The number of a one-element constant that promotion lets into ``dtype`` unchanged, else None; a weak
    float as ``dtype`` holds it (NumPy converts ``1e-300`` to float32's 0 before multiplying)."""
    value = scalar_constant(var)
    if value is None or not isinstance(var, Constant):
        return None
    if var.weak and kind(dtype) == "f" and not isinstance(value, complex):
        with np.errstate(over="ignore"):
            return np.asarray(value, dtype=dtype).item()
    if var.weak or np.can_cast(var.type.dtype, dtype, "safe"):
        return value
    return None


def _inside(node: Apply | None, ops: tuple[str, ...], dtype: str) -> bool:
    """Whether ``node`` is one of ``ops`` computing ``dtype`` from inputs of ``dtype`` (or foldable constants)."""
    if scalar_name(node) not in ops:
        return False
    assert node is not None
    if node.outputs[0].type.dtype != dtype:
        return False
    return all(v.type.dtype == dtype or _foldable_constant(v, dtype) is not None
               for v in node.inputs)


def _absorbed(fgraph: FunctionGraph, node: Apply, roots: tuple[str, ...], ops: tuple[str, ...]) -> bool:
    """Whether ``node`` is flattened into a larger expression rooted above it (which will handle it)."""
    client = only_client(fgraph, node.outputs[0])
    return client is not None and scalar_name(client) in roots and _inside(client, ops, node.outputs[0].type.dtype)


def _supported(dtype: str) -> bool:
    return kind(dtype) in "ifc"


# -----------------------------------------------------------------------------------------------------------
# sums


def split_coefficient(fgraph: FunctionGraph, var: Variable, dtype: str) -> tuple[Any, Variable]:
    """``(c, t)`` for a term ``t * c`` (used once, ``c`` a foldable number), else ``(1, var)``."""
    node = var.owner
    if scalar_name(node) == "multiply" and only_client(fgraph, var) is not None and var.type.dtype == dtype:
        assert node is not None  # the test above
        a, b = node.inputs
        for const, other in ((b, a), (a, b)):
            value = _foldable_constant(const, dtype)
            if value is not None and other.type.dtype == dtype and scalar_constant(other) is None:
                return value, other
    return 1, var


def flatten_sum(fgraph: FunctionGraph, root: Variable, dtype: str) -> tuple[list[tuple[Any, Variable]], Any,
                                                                             list[Variable]]:
    """The terms ``(coefficient, base)`` of the sum at ``root`` in order, the folded constant, and every leaf."""
    terms: list[tuple[Any, Variable]] = []
    constant: Any = 0
    leaves: list[Variable] = []
    stack: list[tuple[Variable, int, bool]] = [(root, 1, True)]
    while stack:
        var, sign, is_root = stack.pop()
        node = var.owner
        if (is_root or only_client(fgraph, var) is not None) and _inside(node, SUM_OPS, dtype):
            assert node is not None
            name = scalar_name(node)
            if name == "negative":
                stack.append((node.inputs[0], -sign, False))
            else:
                second = -sign if name == "subtract" else sign
                stack.append((node.inputs[1], second, False))
                stack.append((node.inputs[0], sign, False))
            continue
        leaves.append(var)
        value = _foldable_constant(var, dtype)
        if value is not None:
            constant = constant + sign * value
            continue
        coef, base = split_coefficient(fgraph, var, dtype)
        terms.append((sign * coef, base))
    return terms, constant, leaves


def _merge_key(coef: Any, dtype: str, fast_math: bool) -> Any:
    """Which like terms may be added up: all of them for integers (wrapping arithmetic is a ring) and under
    ``fast_math``; only those of one sign for real floats (``x + x`` is ``2x`` even for inf and NaN, but
    ``2x - x`` is NaN at inf, not x, and ``x * 0`` NaN, not 0); none for complex numbers (whose infinities
    make NaN parts even in ``x + x`` against ``2x``)."""
    if fast_math or kind(dtype) in "iub":
        return 0
    if kind(dtype) == "c" or coef == 0:
        return object()
    return coef > 0


def collect(fgraph: FunctionGraph, terms: list[tuple[Any, Variable]], dtype: str, fast_math: bool) \
        -> tuple[list[tuple[Any, Variable]], list[Variable]]:
    """Like terms added up (where :func:`_merge_key` allows) and sorted; returns the nonzero ones and the bases
    that cancelled out."""
    totals: dict[tuple[Variable, Any], Any] = {}
    for coef, base in terms:
        key = (base, _merge_key(coef, dtype, fast_math))
        totals[key] = totals.get(key, 0) + coef
    cancels = fast_math or kind(dtype) in "iub"
    kept = [(c, b) for (b, _), c in totals.items() if c != 0 or not cancels]
    kept.sort(key=lambda item: order_key(fgraph, item[1]))
    return kept, [b for (b, _), c in totals.items() if c == 0 and cancels]


def _term_form(coef: Any, base: Variable) -> Pattern:
    if coef == 1:
        return Is(base)
    if coef == -1:
        return form("negative", Is(base))
    return form("multiply", Is(base), Const(coef))


def _finish(fgraph: FunctionGraph, result: Pattern | None, constant_only: Any, root: Variable, dropped: list[Variable],
            leaves: list[Variable]) -> Variable:
    """Build ``result`` (or a filled array when only a constant is left) with ``root``'s dtype and shape."""
    if result is None:
        return filled_like(fgraph, as_python_number(constant_only, root.type.dtype), root, leaves)
    return keep_shape(fgraph, result.build(), dropped, root, leaves)


def canonical_sum(fgraph: FunctionGraph, node: Apply, fast_math: bool) -> Replacement:
    """Flatten a sum, collect like terms, fold constants, sort: ``x - y`` is ``x + (-y)``, ``x + x`` is
    ``x * 2``; ``x - x`` is 0 for integers, and for floats only under ``fast_math`` (inf - inf is NaN)."""
    root = node.outputs[0]
    dtype = root.type.dtype
    if not _supported(dtype) or kind(dtype) == "u" or not _inside(node, SUM_OPS, dtype):
        return None
    if _absorbed(fgraph, node, SUM_OPS, SUM_OPS):
        return None
    terms, constant, leaves = flatten_sum(fgraph, root, dtype)
    if not fits(constant, dtype):
        return None
    kept, cancelled = collect(fgraph, terms, dtype, fast_math)
    if any(not fits(c, dtype) for c, _ in kept):
        return None
    forms = [_term_form(c, b) for c, b in kept]
    if constant != 0:
        forms.append(Const(as_python_number(constant, dtype)))
    result = chain("add", forms)
    if isinstance(result, Const):
        result = None
    if result is not None and already(result, root):
        return None
    dropped = cancelled + [v for v in leaves if isinstance(v, Constant)]
    return _finish(fgraph, result, constant, root, dropped, leaves)


# -----------------------------------------------------------------------------------------------------------
# products


def _integral(k: Any) -> bool:
    return not isinstance(k, complex) and float(k).is_integer()


class _Product:
    """The factors of a product: (base, sign) -> exponent (in first-seen order) and a numeric coefficient.
    Exponents of one base add up across signs only under ``fast_math`` (``x / x`` is NaN at 0 and inf, not 1;
    ``x * x / x`` not x); the sign is part of the key otherwise."""

    def __init__(self, dtype: str, fast_math: bool) -> None:
        self.dtype = dtype
        self.fast_math = fast_math
        self.exponents: dict[tuple[Variable, bool], Any] = {}
        self.coefficient: Any = 1
        #: constants divided by whose reciprocal is not exact (``x / 3`` is not ``x * 0.333...``: one ulp apart,
        #: which a mean's deviations squared take to inf): kept as a division unless ``fast_math``
        self.divisor: Any = 1
        self.leaves: list[Variable] = []
        self.ok = True

    def add_factor(self, var: Variable, exponent: Any) -> None:
        self.leaves.append(var)
        value = _foldable_constant(var, self.dtype)
        if value is not None:
            if value == 0 and exponent < 0:
                self.ok = False
                return
            try:
                if exponent < 0 and not self.fast_math and not _exact_reciprocal(value):
                    self.divisor = self.divisor * value ** -exponent
                else:
                    self.coefficient = self.coefficient * value ** exponent
            except OverflowError:  # Python's complex arithmetic refuses infinities: left as it is
                self.ok = False
            return
        key = (var, self.fast_math or exponent > 0)
        self.exponents[key] = self.exponents.get(key, 0) + exponent


def _exact_reciprocal(value: Any) -> bool:
    """Whether ``1 / value`` is exact in binary floating point: a real power of two (or an integer: integer
    products do not divide)."""
    if isinstance(value, complex):
        return False
    if isinstance(value, int | np.integer):
        return True
    mantissa, _ = np.frexp(float(value))
    return bool(abs(mantissa) == 0.5)


#: larger integral exponents stay where they are (collected, they would not fit a weak int: x ** 1e308)
MAX_FLATTENED_EXPONENT = 2**31


def _power_exponent(node: Apply, dtype: str) -> Any:
    """The exponent of ``t ** k`` when ``k`` is an integral number (a power that flattens), else None."""
    k = _foldable_constant(node.inputs[1], dtype)
    if k is None or not _integral(k) or abs(k) > MAX_FLATTENED_EXPONENT:
        return None
    if kind(dtype) in "iu" and k < 0:
        return None
    return int(k)


def flatten_product(fgraph: FunctionGraph, root: Variable, dtype: str, fast_math: bool) -> _Product:
    product = _Product(dtype, fast_math)
    float_like = kind(dtype) in "fc"
    stack: list[tuple[Variable, Any, bool]] = [(root, 1, True)]
    while stack:
        var, exponent, is_root = stack.pop()
        node = var.owner
        name = scalar_name(node)
        inner = (is_root or only_client(fgraph, var) is not None) and _inside(node, PRODUCT_OPS, dtype)
        if inner and name in ("multiply", "true_divide"):
            assert node is not None
            if name == "true_divide" and not float_like:
                inner = False
            else:
                second = -exponent if name == "true_divide" else exponent
                stack.append((node.inputs[1], second, False))
                stack.append((node.inputs[0], exponent, False))
                continue
        if inner and name == "negative" and not is_root:
            assert node is not None
            if exponent % 2:  # (-t) ** k is -(t ** k) for odd k only: (-z) ** 2 is z ** 2
                product.coefficient = -product.coefficient
            stack.append((node.inputs[0], exponent, False))
            continue
        if inner and name == "reciprocal" and float_like:
            assert node is not None
            stack.append((node.inputs[0], -exponent, False))
            continue
        if inner and name == "square" and not is_root:
            assert node is not None
            stack.append((node.inputs[0], 2 * exponent, False))
            continue
        if inner and name == "power" and not is_root:
            assert node is not None
            k = _power_exponent(node, dtype)
            if k is not None and scalar_constant(node.inputs[0]) is None:
                stack.append((node.inputs[0], k * exponent, False))
                continue
        product.add_factor(var, exponent)
    return product


def _factor_form(base: Variable, exponent: int) -> Pattern:
    return Is(base) if exponent == 1 else form("power", Is(base), Const(exponent))


def canonical_product(fgraph: FunctionGraph, node: Apply, fast_math: bool) -> Replacement:
    """Flatten a product, collect powers of equal factors, fold the coefficient, sort: ``x * x`` is
    ``x ** 2``, ``x * 1`` is ``x``; ``x / x`` is 1 only under ``fast_math``."""
    root = node.outputs[0]
    dtype = root.type.dtype
    if not _supported(dtype) or not _inside(node, PRODUCT_OPS, dtype):
        return None
    if _absorbed(fgraph, node, PRODUCT_ROOTS, PRODUCT_OPS):
        return None
    product = flatten_product(fgraph, root, dtype, fast_math)
    coefficient, divisor = product.coefficient, product.divisor
    if not product.ok or not fits(coefficient, dtype) or not fits(divisor, dtype):
        return None
    if coefficient == 0 and not fast_math and kind(dtype) in "fc":
        return None  # y * (y * 0) is 0, (y * y) * 0 NaN where y * y overflows: the order stays
    numerator: list[Pattern] = []
    denominator: list[Pattern] = []
    cancelled: list[Variable] = []
    for base, sign in sorted(product.exponents, key=lambda key: (order_key(fgraph, key[0]), key[1])):
        k = product.exponents[base, sign]
        if k == 0:
            cancelled.append(base)
        elif k > 0:
            numerator.append(_factor_form(base, k))
        else:
            denominator.append(_factor_form(base, -k))
    if numerator and 0 < abs(coefficient) < 1:
        # a coefficient below 1 scales the first factor, before the product can overflow (gelu's
        # 0.5 * x * (1 + erf(...)) near the dtype's maximum); one above 1 comes last, after it might underflow
        numerator[0] = form("multiply", numerator[0], Const(as_python_number(coefficient, dtype)))
        coefficient = 1
    body = chain("multiply", numerator)
    if denominator and not numerator and coefficient not in (1, -1):
        # c / z, not (1 / z) * c: 1 / z overflows where z is subnormal (0.5 / 5e-324 is finite, 0 / it is 0)
        body, coefficient = form("true_divide", Const(as_python_number(coefficient, dtype)),
                                 _joined("multiply", denominator)), 1
    elif denominator:
        body = form("true_divide", body or Const(1), _joined("multiply", denominator))
    result: Pattern | None
    if body is None:
        result = None
    elif coefficient == 1:
        result = body
    elif coefficient == -1:
        result = form("negative", body)
    else:
        result = form("multiply", body, Const(as_python_number(coefficient, dtype)))
    if result is not None and divisor != 1:
        result = form("true_divide", result, Const(as_python_number(divisor, dtype)))
    if result is not None and already(result, root):
        return None
    dropped = cancelled + [v for v in product.leaves if isinstance(v, Constant)]
    return _finish(fgraph, result, coefficient, root, dropped, product.leaves)


def _joined(op: str, forms: list[Pattern]) -> Pattern:
    """``forms`` (at least one) joined by ``op``."""
    joined = chain(op, forms)
    assert joined is not None, "a denominator has factors"
    return joined


register_ieee_and_fast_math(CANONICALIZE, canonical_sum, Node(tuple(elemwise(name) for name in SUM_OPS), ...),
                            ("algebra",))
register_ieee_and_fast_math(CANONICALIZE, canonical_product,
                            Node(tuple(elemwise(name) for name in PRODUCT_ROOTS), ...), ("algebra",))
