"""Run-time guards for rewrites that stop computing a broadcast or an indexing.

NumPy raises where operands' sizes do not broadcast. A rewrite that no longer computes the expression that
broadcast them (``x + 0 * c`` is ``x`` broadcast to the shape of ``x + c``; ``shape(x + y)`` is read off the
shapes of ``x`` and ``y``) must still fail there: its result carries a ``CheckAndRaise`` holding that every size
the expression was the broadcast of is 1 or the broadcast size. Sizes are the terms of
:class:`.sizes.SizeTerms`; sizes known at build time were checked when the graph was built, and sizes that the
kept computation still broadcasts check themselves. The rewrite engine moves such a guard onto whatever later
replaces the value it guards, so it stays until the graph is run. Likewise for indexing (``v[3] ** 0`` is 1):
the result holds that the indices it no longer takes are within bounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import AdvancedSubtensor, Elemwise, Subtensor, Variable, alloc
from arignote_core.tensors import math
from arignote_core.tensors.checks import check
from arignote_core.tensors.indexing import INDEX_ERROR, index_conditions

from .shapes import broadcast_shape, covers, filled
from .sizes import SizeTerms, representative, size_scalar, term_key

#: what a rewritten graph raises where the expression it replaced would have failed to broadcast
BROADCAST_ERROR = "operands could not be broadcast together (in an expression the rewritten graph no longer computes)"


def broadcast_conditions(fgraph: Any, out: Variable, kept: Variable | None = None) -> list[Variable]:
    """Conditions (bool scalars) that the sizes ``out`` is the broadcast of agree at run time, leaving out the
    sizes that ``kept`` (a value still computed, of ``out``'s ndim) broadcasts itself."""
    terms = SizeTerms(fgraph)
    own_ndim = kept is not None and kept.type.ndim == out.type.ndim  # type: ignore[attr-defined]
    conditions = []
    for axis in range(out.type.ndim):  # type: ignore[attr-defined]
        every = _broadcast_terms(terms, out, axis)
        if len(every) < 2:
            continue
        own = _broadcast_terms(terms, kept, axis) if own_ndim else frozenset()  # type: ignore[arg-type]
        full = size_scalar(fgraph, every)
        for k, term in enumerate(sorted(every, key=lambda t: term_key(fgraph, t))):
            # sizes known at build time agree already; the first of the broadcast's chain is the broadcast size
            # whenever it is not 1 (constants sort first, so it is unknown only when no size is known)
            if term[0] == "const" or term in own or k == 0:
                continue
            size = representative(term)
            conditions.append(math.logical_or(math.equal(size, 1), math.equal(size, full)))
    return conditions


def _broadcast_terms(terms: SizeTerms, var: Variable, axis: int) -> frozenset[Any]:
    """The sizes ``var`` broadcasts along ``axis``: an elementwise result's own static size assumes that its
    operands agree, so theirs are asked."""
    node = var.owner
    operands = node.inputs if node is not None and isinstance(node.op, Elemwise) else [var]
    return frozenset().union(*(terms.axis(v, axis) for v in operands))


def guard_broadcast(fgraph: Any, value: Variable, out: Variable, kept: Variable | None = None) -> Variable:
    """``value`` (standing for ``out``), failing at run time where the sizes ``out`` broadcasts do not agree."""
    return check(value, BROADCAST_ERROR, *broadcast_conditions(fgraph, out, kept))  # type: ignore[no-any-return]


#: how many nodes above a dropped value are searched for indexing that could fail
INDEXING_SEARCH = 32


def guard_indexing(value: Variable, dropped: Sequence[Variable]) -> Variable:
    """``value``, failing at run time where indexing that computed ``dropped`` (values a rewrite no longer
    computes) would have been out of bounds: ``v[3] ** 0`` is 1 only where ``v`` has 4 elements or more."""
    conditions: list[Variable] = []
    pending, seen = [v for v in dropped if v.owner is not None], set()
    while pending and len(seen) < INDEXING_SEARCH:
        node = pending.pop().owner
        if node is None or node in seen:
            continue
        seen.add(node)
        if isinstance(node.op, Subtensor | AdvancedSubtensor):
            x = node.inputs[0]
            sizes = [s if s is not None else math.shape(x)[k] for k, s in enumerate(x.type.shape)]  # type: ignore
            conditions += index_conditions(node, sizes)
        pending += [v for v in node.inputs if v.owner is not None]
    return check(value, INDEX_ERROR, *conditions)  # type: ignore[no-any-return]


def keep_shape(fgraph: Any, result: Variable, dropped: Sequence[Variable], out: Variable,
               contributors: Sequence[Variable]) -> Variable:
    """``result`` standing for ``out`` once the terms ``dropped`` no longer take part: broadcast to the shape
    ``contributors`` broadcast to when that could differ, and guarded where the dropped terms might not have
    broadcast."""
    value = result
    if not (result.type.ndim == out.type.ndim and covers(result, dropped, out)):  # type: ignore[attr-defined]
        value = alloc(result, *broadcast_shape(list(contributors)))
    return guard_indexing(guard_broadcast(fgraph, value, out, kept=result), dropped)


def filled_like(fgraph: Any, value: Any, out: Variable, contributors: Sequence[Variable]) -> Variable:
    """``value`` filling the shape and dtype of ``out``, the broadcast of ``contributors``, which it no longer
    computes (guarded where they might not broadcast)."""
    dtype = out.type.dtype  # type: ignore[attr-defined]
    filled_value = filled(value, dtype, broadcast_shape(list(contributors)))
    return guard_indexing(guard_broadcast(fgraph, filled_value, out), contributors)
