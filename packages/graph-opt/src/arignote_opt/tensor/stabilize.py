"""Stabilize: rewrite expressions that lose precision or overflow into forms that do not.

They run after canonicalization, so they match canonical forms (``exp(x) - 1`` is ``exp(x) + -1``,
``1 - sigmoid(x)`` is ``-sigmoid(x) + 1``); commutative matching finds ``1 + x`` written either way.
"""

from __future__ import annotations

from arignote_core import (
    AdvancedSubtensor,
    Apply,
    DimShuffle,
    Elemwise,
    FunctionGraph,
    Reduce,
    Reshape,
    Subtensor,
    Variable,
)
from arignote_core.tensors.special import LogSoftmax, LogSumExp, Softmax

from ..engine import Replacement
from .rulesets import STABILIZE
from .util import is_real_float, kind, scalar_name
from .vocabulary import elemwise

# only for a float x: the replacements negate x in its own dtype, where sigmoid first converts it (uint8 -1 is 255)
_FLOAT_X = {"x": lambda v: is_real_float(v.type.dtype)}
STABILIZE.pattern("log_sigmoid", "log(sigmoid(x)) -> -softplus(-x)", constraints=_FLOAT_X, tags=("stability",))
STABILIZE.pattern("log_one_minus_sigmoid", "log(-sigmoid(x) + 1) -> -softplus(x)", constraints=_FLOAT_X,
                  tags=("stability",))
STABILIZE.pattern("log_of_difference_sigmoid", "log(1 - sigmoid(x)) -> -softplus(x)", constraints=_FLOAT_X,
                  tags=("stability",))
STABILIZE.pattern("log1p_of_minus_sigmoid", "log1p(-sigmoid(x)) -> -softplus(x)", constraints=_FLOAT_X,
                  tags=("stability",))
# only where 1 + x is computed in floating point: an integer sum wraps around first (int32 2**31 - 1 plus 1)
STABILIZE.pattern("log1p", "log(1 + x) -> log1p(x)", constraints={"x": lambda v: kind(v.type.dtype) in "fc"},
                  tags=("stability",))
STABILIZE.pattern("expm1", "exp(x) + -1 -> expm1(x)", tags=("stability",))
STABILIZE.pattern("expm1_of_difference", "exp(x) - 1 -> expm1(x)", tags=("stability",))
STABILIZE.pattern("softplus", "log1p(exp(x)) -> softplus(x)", tags=("stability",))
STABILIZE.pattern("sqrt_of_square", "sqrt(x ** 2) -> abs(x)", tags=("stability",))
STABILIZE.pattern("sqrt_of_sqr", "sqrt(sqr(x)) -> abs(x)", tags=("stability",))

#: Ops that only move or select elements: ``log`` commutes with them.
_SELECTIONS = (DimShuffle, Subtensor, AdvancedSubtensor, Reshape)


def _through_selections(var: Variable, target: type, depth: int = 3) -> tuple[Variable, list[Apply]] | None:
    """``(t, [selections...])`` when ``var`` is ``t``'s output seen through up to ``depth`` selections."""
    chain: list[Apply] = []
    while var.owner is not None and isinstance(var.owner.op, _SELECTIONS) and len(chain) < depth:
        chain.append(var.owner)
        var = var.owner.inputs[0]
    if var.owner is None or not isinstance(var.owner.op, target):
        return None
    return var, chain


def _reapply(var: Variable, chain: list[Apply]) -> Variable:
    """``var`` through the same selections (outermost last in ``chain`` order reversed)."""
    for node in reversed(chain):
        var = node.op(var, *node.inputs[1:])
    return var


@STABILIZE.node_rule(elemwise("log"), tags=("stability",))
def log_of_softmax(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """``log(softmax(x))`` is ``log_softmax(x)`` (finite where softmax underflows to 0), also through indexing
    and dimshuffles: ``log(softmax(x)[i, y])`` (the cross-entropy) is ``log_softmax(x)[i, y]``."""
    found = _through_selections(node.inputs[0], Softmax)
    if found is None:
        return None
    softmax_out, chain = found
    softmax_node = softmax_out.owner
    assert softmax_node is not None
    return _reapply(LogSoftmax(softmax_node.op.axes)(softmax_node.inputs[0]), chain)


@STABILIZE.node_rule(elemwise("log"), tags=("stability",))
def log_of_exp_ratio(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """``log(exp(a) / b)`` is ``a - log(b)``, also through selections of ``exp(a)``: a normalized exponential
    seen one element at a time (``log(exp(v) / sum(exp(v)))[1]``, a softmax that slicing reached before it was
    recognized) does not overflow where ``exp(a)`` would; ``log(b)`` then becomes a log-sum-exp."""
    ratio = node.inputs[0].owner
    if scalar_name(ratio) != "true_divide":
        return None
    assert ratio is not None
    numerator, denominator = ratio.inputs
    found = _through_selections(numerator, Elemwise)
    if found is None or scalar_name(found[0].owner) != "exp":
        return None
    exp_out, chain = found
    assert exp_out.owner is not None  # the test above
    a = exp_out.owner.inputs[0]
    if not is_real_float(a.type.dtype):
        return None
    result = _reapply(a, chain) - elemwise("log")(denominator)
    return result if result.type.dtype == node.outputs[0].type.dtype else None


@STABILIZE.node_rule(elemwise("log"), tags=("stability",))
def log_of_sum_of_exp(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """``log(sum(exp(x), axes))`` is ``logsumexp(x, axes)``, computed with the max shift, also through
    selections of the sum (``keepdims``' dimshuffle, an element picked): the log commutes with them."""
    found = _through_selections(node.inputs[0], Reduce)
    if found is None:
        return None
    total, chain = found
    reduce_node = total.owner
    assert reduce_node is not None
    source = reduce_node.inputs[0]
    if scalar_name(reduce_node) is not None or reduce_node.op.scalar_op.name != "add" or \
            scalar_name(source.owner) != "exp":
        return None
    assert source.owner is not None  # the test above
    x = source.owner.inputs[0]
    if not is_real_float(x.type.dtype) or reduce_node.op.dtype != source.type.dtype or \
            _shifted_by_its_max(x, reduce_node.op.axes):
        return None
    result = LogSumExp(reduce_node.op.axes)(x)
    return _reapply(result, chain) if result.type.dtype == node.outputs[0].type.dtype else None


def _keepdims_axes(node: Apply | None, reduction: str = "add") -> tuple[Variable, tuple[int, ...]] | None:
    """``(v, axes)`` for ``sum(v, axes, keepdims=True)`` (a dimshuffle putting back the axes), or for another
    ``reduction`` (``"maximum"``)."""
    if node is None or not isinstance(node.op, DimShuffle):
        return None
    reduce_node = node.inputs[0].owner
    if reduce_node is None or not isinstance(reduce_node.op, Reduce) or \
            reduce_node.op.scalar_op.name != reduction:
        return None
    axes = reduce_node.op.axes
    ndim = reduce_node.inputs[0].type.ndim
    kept = iter(range(ndim - len(axes)))
    expected = tuple("x" if i in axes else next(kept) for i in range(ndim))
    return (reduce_node.inputs[0], axes) if node.op.new_order == expected else None


def _shifted_by_its_max(x: Variable, axes: tuple[int, ...]) -> bool:
    """Whether ``x`` is ``v - max(v, some of axes, keepdims=True)``: then ``exp(x) <= 1`` with a 1 in every slice
    that a sum over ``axes`` adds up, so that sum neither overflows nor underflows (a non-finite max makes
    ``x`` nan, as it makes the log-sum-exp)."""
    node = x.owner
    name = scalar_name(node)
    if name not in ("add", "subtract"):
        return False
    assert node is not None
    first, second = node.inputs
    if name == "subtract":
        pairs = [(first, second)]
    else:
        pairs = [(v, m.owner.inputs[0]) for v, m in ((first, second), (second, first))  # type: ignore[union-attr]
                 if scalar_name(m.owner) == "negative"]
    for v, m in pairs:
        found = _keepdims_axes(m.owner, "maximum")
        if found is not None and found[0] is v and set(found[1]) <= set(axes):
            return True
    return False


@STABILIZE.node_rule(elemwise("true_divide"), tags=("stability",))
def softmax_from_exp(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """``exp(x) / sum(exp(x), axes, keepdims=True)`` is ``softmax(x, axes)`` (no overflow at large ``x``)."""
    numerator, denominator = node.inputs
    found = _keepdims_axes(denominator.owner)
    if found is None or found[0] is not numerator or scalar_name(numerator.owner) != "exp":
        return None
    assert numerator.owner is not None  # the test above
    x = numerator.owner.inputs[0]
    if not is_real_float(x.type.dtype):  # exp converts integers and booleans; softmax takes floats
        return None
    result = Softmax(found[1])(x)
    return result if result.type.dtype == node.outputs[0].type.dtype else None
