"""Stabilize: rewrite expressions that lose precision or overflow into forms that do not.

They run after canonicalization, so they match canonical forms (``exp(x) - 1`` is ``exp(x) + -1``,
``1 - sigmoid(x)`` is ``-sigmoid(x) + 1``); commutative matching finds ``1 + x`` written either way.
"""

from __future__ import annotations

from arignote_core import (
    AdvancedSubtensor,
    Apply,
    DimShuffle,
    Reduce,
    Reshape,
    Subtensor,
    Variable,
)
from arignote_core.tensors.special import LogSoftmax, LogSumExp, Softmax

from ..engine import AnyOf, Node, Pattern, Through, Var
from .rulesets import STABILIZE
from .util import is_real_float, kind
from .vocabulary import P, elemwise, reduction

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
_REAL_FLOAT = {"where": lambda v: is_real_float(v.type.dtype)}


def _selected(inner: Pattern) -> Through:
    """``inner`` seen through up to three selections, bound as ``chain``."""
    return Through(_SELECTIONS, inner, chain_as="chain", depth=3)


def _reapply(var: Variable, chain: tuple[Apply, ...]) -> Variable:
    """``var`` through the same selections (``chain`` outermost first)."""
    for node in reversed(chain):
        var = node.op(var, *node.inputs[1:])
    return var


@STABILIZE.rule(P.log(_selected(Node(Softmax, Var("x"), op_as="softmax"))), tags=("stability",))
def log_of_softmax(x: Variable, softmax: Softmax, chain: tuple[Apply, ...]) -> Variable:
    """``log(softmax(x))`` is ``log_softmax(x)`` (finite where softmax underflows to 0), also through indexing
    and dimshuffles: ``log(softmax(x)[i, y])`` (the cross-entropy) is ``log_softmax(x)[i, y]``."""
    return _reapply(LogSoftmax(softmax.axes)(x), chain)


@STABILIZE.rule(P.log(_selected(P.exp(Var("a", **_REAL_FLOAT))) / Var("b"), name="out"), tags=("stability",))
def log_of_exp_ratio(a: Variable, b: Variable, chain: tuple[Apply, ...], out: Variable) -> Variable | None:
    """``log(exp(a) / b)`` is ``a - log(b)``, also through selections of ``exp(a)``: a normalized exponential
    seen one element at a time (``log(exp(v) / sum(exp(v)))[1]``, a softmax that slicing reached before it was
    recognized) does not overflow where ``exp(a)`` would; ``log(b)`` then becomes a log-sum-exp."""
    result = _reapply(a, chain) - elemwise("log")(b)
    return result if result.type.dtype == out.type.dtype else None


_SUM = reduction("add")


@STABILIZE.rule(P.log(_selected(Node(_SUM, P.exp(Var("x", **_REAL_FLOAT), name="e"), op_as="total")),
                      name="out"), tags=("stability",))
def log_of_sum_of_exp(x: Variable, e: Variable, total: Reduce, chain: tuple[Apply, ...],
                      out: Variable) -> Variable | None:
    """``log(sum(exp(x), axes))`` is ``logsumexp(x, axes)``, computed with the max shift, also through
    selections of the sum (``keepdims``' dimshuffle, an element picked): the log commutes with them."""
    if total.dtype != e.type.dtype or _shifted_by_its_max(x, total.axes):
        return None
    result = LogSumExp(total.axes)(x)
    return _reapply(result, chain) if result.type.dtype == out.type.dtype else None


def _keepdims(reduced: Pattern, name: str) -> Node:
    """``reduced`` put back to its rank with length-1 axes where a reduction removed them (``keepdims``): a
    dimshuffle of a reduction, its op bound as ``name``."""

    def restores(node: Apply) -> bool:
        reduce_node = node.inputs[0].owner
        if reduce_node is None or not isinstance(reduce_node.op, Reduce):
            return False  # the reduction pattern refuses it too
        axes, ndim = reduce_node.op.axes, reduce_node.inputs[0].type.ndim
        kept = iter(range(ndim - len(axes)))
        return bool(node.op.new_order == tuple("x" if i in axes else next(kept) for i in range(ndim)))

    return Node(DimShuffle, reduced, where=restores, op_as=name + "_shuffle")


def _max_over(v: Pattern) -> Node:
    return _keepdims(Node(reduction("maximum"), v, op_as="max"), "max")


#: ``v - max(v, axes, keepdims=True)``, as written or as canonical sums write it.
_SHIFTED_BY_MAX = AnyOf(Var("v") - _max_over(Var("v")), Var("v") + -_max_over(Var("v")))


def _shifted_by_its_max(x: Variable, axes: tuple[int, ...]) -> bool:
    """Whether ``x`` is ``v - max(v, some of axes, keepdims=True)``: then ``exp(x) <= 1`` with a 1 in every slice
    that a sum over ``axes`` adds up, so that sum neither overflows nor underflows (a non-finite max makes
    ``x`` nan, as it makes the log-sum-exp)."""
    return any(set(found["max"].axes) <= set(axes) for found in _SHIFTED_BY_MAX.match(x, {}))


@STABILIZE.rule(Node(elemwise("true_divide"), P.exp(Var("x", **_REAL_FLOAT), name="e"),
                     _keepdims(Node(_SUM, Var("e"), op_as="total"), "sum"), name="out"), tags=("stability",))
def softmax_from_exp(x: Variable, total: Reduce, out: Variable, **_: object) -> Variable | None:
    """``exp(x) / sum(exp(x), axes, keepdims=True)`` is ``softmax(x, axes)`` (no overflow at large ``x``); only
    for a float ``x``: exp converts integers and booleans, softmax takes floats."""
    result = Softmax(total.axes)(x)
    return result if result.type.dtype == out.type.dtype else None
