"""Broadcasts made explicit (``broadcast_to``, ``alloc``) and undone (``sum_to_shape``), removed or narrowed
where the sizes they deal with are provably there already (:mod:`.sizes`).

Gradients are full of them: the gradient of a sum is its output gradient broadcast to the summed shape, and
the gradient of an input that an elementwise op may have broadcast is summed back to its shape. Where the
shapes turn out equal, or an elementwise op would broadcast the value anyway, they only cost nodes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from arignote_core import Alloc, Apply, Constant, Elemwise, FunctionGraph, MakeVector, Subtensor, Variable, constant
from arignote_core.tensors.broadcast import BroadcastTo, SumToShape
from arignote_core.tensors.elemwise import pad_left

from ..engine import Node, Var
from .rulesets import CANONICALIZE
from .sizes import SizeTerms, Terms, size_scalar


def _has_sizes(terms: SizeTerms, x: Variable, targets: Sequence[Terms]) -> bool:
    """Whether ``x`` provably has the sizes ``targets`` (one entry per axis)."""
    return x.type.ndim == len(targets) and terms.shape(x) == list(targets)


@CANONICALIZE.rule(Node((BroadcastTo, SumToShape), Var("x"), Var("shape_vec")), tags=("shape_ops",))
def useless_broadcast(fgraph: FunctionGraph, x: Variable, shape_vec: Variable) -> Variable | None:
    """``broadcast_to(x, s)`` and ``sum_to_shape(x, s)`` are ``x`` when ``x`` provably has the shape ``s``
    (gradients of broadcasts that did not broadcast)."""
    terms = SizeTerms(fgraph)
    return x if _has_sizes(terms, x, terms.vector(shape_vec)) else None


@CANONICALIZE.rule(Node(Alloc, Var("value"), rest="dims"), tags=("shape_ops",))
def useless_alloc(fgraph: FunctionGraph, value: Variable, dims: tuple[Variable, ...]) -> Variable | None:
    """``alloc(v, *v.shape)`` is ``v`` (the broadcast adds nothing)."""
    terms = SizeTerms(fgraph)
    return value if _has_sizes(terms, value, [terms.scalar(d) for d in dims]) else None


def _entries(node: Apply) -> list[Variable]:
    """The int64 scalar sizes a ``broadcast_to`` or ``alloc`` node broadcasts to."""
    if isinstance(node.op, Alloc):
        return list(node.inputs[1:])
    shape_vec = node.inputs[1]
    source = shape_vec.owner
    if source is not None and isinstance(source.op, MakeVector):
        return list(source.inputs)
    if isinstance(shape_vec, Constant):
        return [constant(np.int64(s)) for s in np.asarray(shape_vec.data).reshape(-1)]
    return [Subtensor((("int", d),))(shape_vec) for d in range(shape_vec.type.shape[0])]


def _narrowed(terms: SizeTerms, node: Apply, provided: list[Terms]) -> Variable | None:
    """What an elementwise op may take instead of the broadcast ``node`` computes, given the sizes its other
    inputs ``provided`` along each axis: the value itself when nothing is left to broadcast, a broadcast to
    the sizes not provided along axes where the value has size 1, or None when that changes nothing."""
    value = node.inputs[0]
    ndim = len(provided)
    padded = pad_left(value, ndim)
    entries = _entries(node)
    targets = [terms.scalar(e) for e in entries] if isinstance(node.op, Alloc) else terms.vector(node.inputs[1])
    own = terms.shape(padded)
    if all(t <= p or t == o for t, p, o in zip(targets, provided, own, strict=True)):
        return padded
    static = padded.type.shape
    changed = False
    for d, (target, given) in enumerate(zip(targets, provided, strict=True)):
        left = target - given
        if static[d] == 1 and left != target:
            entries[d] = size_scalar(terms.fgraph, left)
            changed = True
    if not changed:
        return None
    if isinstance(node.op, Alloc):
        return node.op(value, *entries)
    return node.op(value, MakeVector("int64")(*entries))


def _takes_a_broadcast(node: Apply) -> bool:
    return any(v.owner is not None and isinstance(v.owner.op, BroadcastTo | Alloc) for v in node.inputs)


@CANONICALIZE.rule(Node(Elemwise, ..., where=_takes_a_broadcast), tags=("shape_ops",))
def broadcast_into_elemwise(fgraph: FunctionGraph, node: Apply) -> Variable | None:
    """An elementwise op broadcasts its inputs itself: an input ``broadcast_to(a, s)`` (or ``alloc(a, *s)``) is
    ``a`` where the other inputs provably give the result the sizes ``s`` would, and broadcasts only to the
    sizes they do not give otherwise (``broadcast_to(c, (n, m)) * y``, ``y`` of ``m`` columns and a number of
    rows that broadcasts with ``n``, is ``broadcast_to(c, (n, 1)) * y``)."""
    terms = SizeTerms(fgraph)
    inputs = list(node.inputs)
    ndim = node.outputs[0].type.ndim
    for i, inp in enumerate(inputs):
        source = inp.owner
        if source is None or not isinstance(source.op, BroadcastTo | Alloc):
            continue
        others = [x for j, x in enumerate(inputs) if j != i]
        provided = [frozenset().union(*(terms.axis(x, d) for x in others)) for d in range(ndim)]
        narrowed = _narrowed(terms, source, provided)
        if narrowed is not None:
            inputs[i] = narrowed
            return node.op(*inputs)
    return None
