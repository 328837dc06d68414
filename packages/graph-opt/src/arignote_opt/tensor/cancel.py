"""Stabilize gradients: a division that a product undoes is not computed.

The gradient of ``log(p)`` is ``g / p``, and the gradient of ``p = softmax(x)`` multiplies what reaches it by
``p`` again: ``p * (g / p - sum(g / p * p))``. Where ``p`` underflows to 0 (logits far apart) ``g / p`` is inf
and the product nan, although the gradient, ``g - p * sum(g)``, is finite. These rules cancel the pair: in a
product (``(g / a) * a`` is ``g``), across a sum (``a * (g / a + r)`` is ``g + a * r``), and through the
scatter that an indexing gradient makes (``a * inc_subtensor(zeros[idx], g / a[idx])`` is
``inc_subtensor(zeros[idx], g)``, so the cross-entropy of picked probabilities is covered too). Where ``a`` is
inf or NaN the product was NaN, and the result still is (unless the pipeline is asked for ``fast_math``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from arignote_core import AdvancedSubtensor, Apply, Constant, FunctionGraph, Subtensor, Variable, cast
from arignote_core.tensors import math
from arignote_core.tensors.broadcast import BroadcastTo
from arignote_core.tensors.subtensor_update import AdvancedIncSubtensor, IncSubtensor

from ..engine import Node, Replacement
from .guards import keep_shape
from .rulesets import STABILIZE
from .sizes import SizeTerms
from .util import kind, only_client, register_ieee_and_fast_math, scalar_constant, scalar_name
from .vocabulary import elemwise

_READS = {IncSubtensor: Subtensor, AdvancedIncSubtensor: AdvancedSubtensor}


def _is_zeros(var: Variable) -> bool:
    """Whether ``var`` is zeros: a zero constant, or one broadcast."""
    node = var.owner
    if node is not None and isinstance(node.op, BroadcastTo):
        var = node.inputs[0]
    return isinstance(var, Constant) and not np.any(var.data)


def _quotient_by(var: Variable, is_divisor: Callable[[Variable], bool], depth: int = 3) -> Variable | None:
    """``var * d`` without the division when ``var`` is ``g / d`` for a ``d`` that ``is_divisor``, also negated
    or scaled as canonical products write it (``-(g / d)``, ``(g / d) * c``)."""
    node = var.owner
    name = scalar_name(node)
    if node is None or depth == 0:
        return None
    if name == "true_divide" and is_divisor(node.inputs[1]):
        return node.inputs[0]
    if name == "negative":
        inner = _quotient_by(node.inputs[0], is_divisor, depth - 1)
        return None if inner is None else elemwise("negative")(inner)
    if name == "multiply":
        for factor, other in (node.inputs, node.inputs[::-1]):
            inner = _quotient_by(factor, is_divisor, depth - 1)
            if inner is not None:
                return elemwise("multiply")(inner, other)
    return None


def _scatter_undone(fgraph: FunctionGraph, a: Variable, t: Variable) -> Variable | None:
    """``a * t`` for ``t`` = ``inc_subtensor(zeros[idx], g / a[idx])`` (or ``set_subtensor``) of ``a``'s shape:
    ``inc_subtensor(zeros[idx], g)``, which is the same where ``t`` is written and 0 elsewhere."""
    node = t.owner
    if node is None or type(node.op) not in _READS:
        return None
    base, value, *index = node.inputs
    if not _is_zeros(base):
        return None
    read_op = _READS[type(node.op)](node.op.entries)

    def is_read(divisor: Variable) -> bool:
        owner = divisor.owner
        return owner is not None and owner.op == read_op and owner.inputs[0] is a and list(owner.inputs[1:]) == index

    g = _quotient_by(value, is_read)
    if g is None:
        return None
    terms = SizeTerms(fgraph)
    if terms.shape(a) != terms.shape(t):
        return None
    return node.op(base, g, *index)


def _undone(fgraph: FunctionGraph, a: Variable, t: Variable) -> Variable | None:
    """``a * t`` without a division, when ``t`` divides by ``a`` (directly or in a scatter), else None. Only for
    a float ``a``, which may underflow to 0: an integer 0 is exact, and ``(y / y) * y`` is NaN there in NumPy."""
    if kind(a.type.dtype) not in "fc":
        return None
    g = _quotient_by(t, lambda divisor: divisor is a)
    if g is not None:
        return g
    return _scatter_undone(fgraph, a, t)


def _fitting(fgraph: FunctionGraph, result: Variable, dropped: list[Variable], out: Variable,
             contributors: list[Variable]) -> Variable | None:
    """``result`` with ``out``'s shape (broadcast back if dropping terms could shrink it), if of its dtype."""
    dtype = out.type.dtype
    if result.type.dtype != dtype:
        if not np.can_cast(result.type.dtype, dtype, "safe"):
            return None
        result = cast(result, dtype)
    return keep_shape(fgraph, result, dropped, out, contributors)


def _propagating_nan(result: Variable, a: Variable, fast_math: bool) -> Variable:
    """``result``, but NaN where ``a`` is inf or NaN, as the product with ``a`` would have been: the cancellation
    only stabilizes what finite values make (``a`` underflowed to 0); under ``fast_math`` just ``result``."""
    if fast_math or kind(a.type.dtype) not in "fc":
        return result
    return math.where(math.isfinite(a), result, np.nan)


def cancel_division(fgraph: FunctionGraph, node: Apply, fast_math: bool) -> Replacement:
    """``(g / a) * a`` is ``g``, also where ``g / a`` has other uses (and through an indexing gradient's
    scatter): no inf where ``a`` underflows to 0."""
    out = node.outputs[0]
    for a, t in (node.inputs, node.inputs[::-1]):
        result = _undone(fgraph, a, t)
        if result is not None:
            fitting = _fitting(fgraph, result, [a], out, [a, t])
            return None if fitting is None else _propagating_nan(fitting, a, fast_math)
    return None


def cancel_division_in_sum(fgraph: FunctionGraph, node: Apply, fast_math: bool) -> Replacement:
    """``a * (g / a + r)`` is ``g + a * r`` (``a * (r - g / a)`` is ``a * r - g``...): the softmax gradient of
    ``g / softmax``, which is the gradient of ``log(softmax(x))``."""
    out = node.outputs[0]
    for a, total in (node.inputs, node.inputs[::-1]):
        name = scalar_name(total.owner)
        if name not in ("add", "subtract") or only_client(fgraph, total) is not node or scalar_constant(a) is not None:
            continue
        assert total.owner is not None  # the test above
        first, second = total.owner.inputs
        for position, (term, rest) in enumerate(((first, second), (second, first))):
            undone = _undone(fgraph, a, term)
            if undone is None:
                continue
            scaled = elemwise("multiply")(a, rest)
            if name == "add":
                result = elemwise("add")(undone, scaled)
            else:
                result = elemwise("subtract")(*((undone, scaled) if position == 0 else (scaled, undone)))
            fitting = _fitting(fgraph, result, [], out, [a, first, second])
            return None if fitting is None else _propagating_nan(fitting, a, fast_math)
    return None


register_ieee_and_fast_math(STABILIZE, cancel_division, Node(elemwise("multiply"), ...), ("stability",))
register_ieee_and_fast_math(STABILIZE, cancel_division_in_sum, Node(elemwise("multiply"), ...), ("stability",))
