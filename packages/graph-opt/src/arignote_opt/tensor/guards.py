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

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from arignote_core import (
    AdvancedSubtensor,
    Apply,
    ArgReduce,
    Constant,
    Elemwise,
    Reduce,
    Reshape,
    Subtensor,
    TensorVariable,
    Variable,
    alloc,
)
from arignote_core.tensors import math
from arignote_core.tensors.checks import check
from arignote_core.tensors.indexing import INDEX_ERROR, index_conditions
from arignote_core.tensors.subtensor_update import AdvancedIncSubtensor, IncSubtensor

from .shapes import broadcast_shape, covers, filled
from .sizes import SizeTerms, representative, size_scalar, term_key

#: what a rewritten graph raises where the expression it replaced would have failed to broadcast
BROADCAST_ERROR = "operands could not be broadcast together (in an expression the rewritten graph no longer computes)"


def broadcast_conditions(fgraph: Any, out: Variable, kept: Variable | None = None) -> list[TensorVariable]:
    """Conditions (bool scalars) that the sizes ``out`` is the broadcast of agree at run time, leaving out the
    sizes that ``kept`` (a value still computed, of ``out``'s ndim) broadcasts itself."""
    terms = SizeTerms(fgraph)
    own_ndim = kept is not None and kept.type.ndim == out.type.ndim
    conditions = []
    for axis in range(out.type.ndim):
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
    return check(value, BROADCAST_ERROR, *broadcast_conditions(fgraph, out, kept))


#: how many nodes above a dropped value are searched for a computation that could fail
DROPPED_SEARCH = 32
#: what a rewritten graph raises where a reshape it no longer computes did not fit the array's size
RESHAPE_ERROR = "cannot reshape the array into the shape asked (in a reshape that the rewritten graph no longer " \
    "computes)"
#: what a rewritten graph raises where a reduction without identity it no longer computes met an empty axis
EMPTY_REDUCTION_ERROR = "a reduction without identity (max, min, argmax, argmin) of an empty axis (in a reduction " \
    "that the rewritten graph no longer computes)"
#: what a rewritten graph raises where a set/inc_subtensor it no longer computes had a value that does not
#: broadcast into the indexed region
UPDATE_BROADCAST_ERROR = "could not broadcast the value into the indexed region (in a set_subtensor or " \
    "inc_subtensor that the rewritten graph no longer computes)"


#: the read each in-place update of a region indexes as (its index checks are the read's)
_READS: dict[type, type] = {IncSubtensor: Subtensor, AdvancedIncSubtensor: AdvancedSubtensor}


def _failure_conditions(node: Apply) -> list[tuple[str, list[Variable]]]:
    """The conditions under which computing ``node`` raises no error, each with the error's message, for the ops
    that fail on their values' shapes or indices: indexing out of bounds, max, min, argmax or argmin of an empty
    axis, a reshape that does not fit, an update whose value does not broadcast into the indexed region."""
    fails_on_values = isinstance(node.op, Subtensor | AdvancedSubtensor | ArgReduce | Reshape | IncSubtensor |
                                 AdvancedIncSubtensor) or (
        isinstance(node.op, Reduce) and node.op.scalar_op.name in ("maximum", "minimum"))
    if not fails_on_values:
        return []
    x = node.inputs[0]
    sizes = [s if s is not None else math.shape(x)[k] for k, s in enumerate(x.type.shape)]
    if isinstance(node.op, Subtensor | AdvancedSubtensor):
        return [(INDEX_ERROR, index_conditions(node, sizes))]
    if isinstance(node.op, IncSubtensor | AdvancedIncSubtensor):  # x[index] += value: the read's index checks
        read = _READS[type(node.op)](node.op.entries).make_node(x, *node.inputs[2:])
        return [(INDEX_ERROR, index_conditions(read, sizes)),
                (UPDATE_BROADCAST_ERROR, _fits_region(node.inputs[1], read.outputs[0]))]
    if isinstance(node.op, ArgReduce | Reduce):
        axis = node.op.axis if isinstance(node.op, ArgReduce) else node.op.axes
        axes = range(len(sizes)) if axis is None else [axis] if isinstance(axis, int) else axis
        reduced = [sizes[a] for a in axes]
        if all(isinstance(size, int) for size in reduced):
            return []  # known when the graph was built
        return [(EMPTY_REDUCTION_ERROR, [math.greater(functools.reduce(math.multiply, reduced), 0)])]
    return [(RESHAPE_ERROR, [_reshape_fits(sizes, node.inputs[1], node.outputs[0].type.ndim)])]  # type: ignore


def _fits_region(value: Variable, region: Variable) -> list[Variable]:
    """``value`` broadcasts into ``region`` (``x[index]``, the part of ``x`` an update writes): each of its sizes,
    aligned on the right, is 1 or the region's. Sizes known when the graph was built were checked then."""
    conditions: list[Variable] = []
    for j in range(1, value.type.ndim + 1):
        have, want = value.type.shape[-j], region.type.shape[-j]
        if have == 1 or (have is not None and have == want):
            continue
        have_size = have if have is not None else math.shape(value)[value.type.ndim - j]
        want_size = want if want is not None else math.shape(region)[region.type.ndim - j]
        conditions.append(math.logical_or(math.equal(have_size, 1), math.equal(have_size, want_size)))
    return conditions


def _reshape_fits(sizes: list[Any], shape_vector: Variable, ndim: int) -> Variable | bool:
    """NumPy's reshape succeeds: the sizes multiply to the array's size, or with one -1 the others divide it
    (and are not 0: a -1 beside a 0 is ambiguous)."""
    if all(isinstance(s, int) for s in sizes) and isinstance(shape_vector, Constant):
        try:  # known when the graph is built
            np.empty(sizes, dtype=np.int8).reshape(np.asarray(shape_vector.data).tolist())
        except ValueError:
            return False
        return True
    one: Any = 1  # the folds' start (a Python number, as NumPy's size of no axes)
    size = functools.reduce(math.multiply, sizes, one)
    entries = [shape_vector[k] for k in range(ndim)]  # type: ignore[index]
    false: Any = False
    free = functools.reduce(math.logical_or, [math.equal(e, -1) for e in entries], false)
    known = functools.reduce(math.multiply, [math.where(math.equal(e, -1), 1, e) for e in entries], one)
    divides = math.logical_and(math.not_equal(known, 0),
                               math.equal(math.remainder(size, math.where(math.equal(known, 0), 1, known)), 0))
    return math.where(free, divides, math.equal(known, size))


def _check(value: Variable, message: str, conditions: list[Variable]) -> Variable:
    """``value`` checked against ``conditions``, raising what computing the dropped node would have raised: an
    IndexError for an index out of bounds, else a ValueError."""
    return check(value, message, *conditions, error="IndexError" if message == INDEX_ERROR else "ValueError")


def guard_failure(value: Variable, node: Apply) -> Variable:
    """``value``, failing at run time where computing ``node`` (which a rewrite no longer computes, its inputs
    still being computed) would have failed."""
    for message, conditions in _failure_conditions(node):
        value = _check(value, message, conditions)
    return value


def guard_dropped(value: Variable, dropped: Sequence[Variable]) -> Variable:
    """``value``, failing at run time where a computation of ``dropped`` (values a rewrite no longer computes)
    would have failed: indexing out of bounds (``v[3] ** 0`` is 1 only where ``v`` has 4 elements or more), the
    max or argmin of an empty axis (``argmin(x) - argmin(x)`` is 0 only where it has an element)."""
    pending = [v for v in dropped if v.owner is not None]
    seen: set[Apply] = set()
    while pending and len(seen) < DROPPED_SEARCH:
        node = pending.pop().owner
        if node is None or node in seen:
            continue
        seen.add(node)
        value = guard_failure(value, node)
        pending += [v for v in node.inputs if v.owner is not None]
    return value


def keep_shape(fgraph: Any, result: Variable, dropped: Sequence[Variable], out: Variable,
               contributors: Sequence[Variable]) -> Variable:
    """``result`` standing for ``out`` once the terms ``dropped`` no longer take part: broadcast to the shape
    ``contributors`` broadcast to when that could differ, and guarded where the dropped terms might not have
    broadcast."""
    value = result
    if not (result.type.ndim == out.type.ndim and covers(result, dropped, out)):
        value = alloc(result, *broadcast_shape(list(contributors)))
    return guard_dropped(guard_broadcast(fgraph, value, out, kept=result), dropped)


def filled_like(fgraph: Any, value: Any, out: Variable, contributors: Sequence[Variable]) -> Variable:
    """``value`` filling the shape and dtype of ``out``, the broadcast of ``contributors``, which it no longer
    computes (guarded where they might not broadcast)."""
    dtype = out.type.dtype
    filled_value = filled(value, dtype, broadcast_shape(list(contributors)))
    return guard_dropped(guard_broadcast(fgraph, filled_value, out), contributors)
