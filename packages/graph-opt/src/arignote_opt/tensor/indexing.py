"""Indexing rewrites on basic indexing (``Subtensor``) with constant entries: full slices dropped, a slice of
a slice merged into one, and slicing moved before an elementwise op so that only the kept part is computed.

Entries follow graph-core's format (``("int", k)``, ``("slice", start, stop, step)``, ``("newaxis",)``); only
entries without symbolic parts are rewritten.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from arignote_core import Apply, Composite, Constant, Elemwise, FunctionGraph, Shape, Subtensor, Variable
from arignote_core.tensors.indexing import INPUT

from ..engine import Node, Var
from .rulesets import INDEXING
from .shapes import shape_source
from .util import apply_keeping_constants, only_client

Entry = tuple[Any, ...]
FULL: Entry = ("slice", None, None, None)


def is_static(entries: tuple[Entry, ...]) -> bool:
    """No symbolic part and no new axis: each entry uses one axis and is known now."""
    return all(e[0] in ("int", "slice") and INPUT not in e[1:] for e in entries)


def is_full(entry: Entry, size: int | None) -> bool:
    """Whether a slice entry keeps every element of an axis of ``size``."""
    if entry[0] != "slice":
        return False
    start, stop, step = entry[1:]
    if start not in (None, 0) or step not in (None, 1):
        return False
    return stop is None or (isinstance(stop, int) and size is not None and stop >= size)


def _input_axis(entries: list[Entry], k: int) -> int:
    """The axis of the indexed array that entry ``k`` applies to (a new axis takes none)."""
    return sum(1 for e in entries[:k] if e[0] != "newaxis")


@INDEXING.rule(Node(Subtensor, Var("x"), rest="indices", op_as="index"), tags=("indexing",))
def drop_full_slices(x: Variable, indices: tuple[Variable, ...], index: Subtensor) -> Variable | None:
    """``x[:, :]`` is ``x``; ``x[1:, :]`` is ``x[1:]`` (trailing full slices say nothing)."""
    entries = index.entries
    kept = list(entries)
    while kept and kept[-1][0] == "slice" and INPUT not in kept[-1] and \
            is_full(kept[-1], x.type.shape[_input_axis(kept, len(kept) - 1)]):
        kept.pop()
    if len(kept) == len(entries):
        return None
    if not kept:
        return x
    return Subtensor(tuple(kept))(x, *indices)


def _slice(start: int | None, stop: int | None, step: int | None) -> Entry:
    """A slice entry with defaults written as None (``0:5:1`` is ``:5``)."""
    return ("slice", None if start == 0 and (step or 1) > 0 else start, stop, None if step == 1 else step)


def _as_slice(r: range) -> Entry:
    if not r:
        return _slice(0, 0, 1)
    return _slice(r.start, None if r.stop < 0 else r.stop, r.step)


def compose(first: Entry, second: Entry, size: int | None) -> Entry | None:
    """One entry doing what the slice ``first`` then ``second`` (a slice or an int) do to an axis of ``size``;
    None when that cannot be known without the size (negative bounds, steps) or would hide an IndexError."""
    if second == FULL:
        return first
    if size is not None:
        r = range(size)[slice(*first[1:])]
        if second[0] == "int":
            k = second[1]
            return ("int", r[k]) if -len(r) <= k < len(r) else None
        return _as_slice(r[slice(*second[1:])])
    a, b, s = (first[1] or 0), first[2], (first[3] or 1)
    if a < 0 or s < 0 or (b is not None and b < 0):
        return None
    if second[0] == "int":
        k = second[1]
        return ("int", a + k * s) if k >= 0 and b is None else None
    c, d, t = (second[1] or 0), second[2], (second[3] or 1)
    if c < 0 or t < 0 or (d is not None and d < 0):
        return None
    stops = [v for v in (b, None if d is None else a + d * s) if v is not None]
    return _slice(a + c * s, min(stops) if stops else None, s * t)


def _static_index(node: Apply) -> bool:
    return is_static(node.op.entries)


@INDEXING.rule(Node(Subtensor, Node(Subtensor, Var("x"), where=_static_index, op_as="inner"), where=_static_index,
                    op_as="outer"), tags=("indexing",))
def merge_slices(x: Variable, inner: Subtensor, outer: Subtensor) -> Variable | None:
    """``x[a:b][c:d]`` is one slice of ``x`` (``x[2:][1]`` is ``x[3]``)."""
    first, second = inner.entries, outer.entries
    shape = x.type.shape
    applied = iter(second)
    combined: list[Entry] = []
    for axis in range(len(shape)):
        entry = first[axis] if axis < len(first) else FULL
        if entry[0] == "int":
            combined.append(entry)
            continue
        merged = compose(entry, next(applied, FULL), shape[axis])
        if merged is None:
            return None
        combined.append(merged)
    if next(applied, None) is not None:
        return None
    return Subtensor(tuple(combined))(x)


def _entry_for(entry: Entry, var: Variable, out: Variable, axis: int) -> Entry:
    """The entry to apply to an input of an elementwise op for ``entry`` applied to its output. An input of size
    1 there that broadcasts, or a one-element constant (which the sliced inputs broadcast, and which must stay
    one number to be inlined), is not sliced."""
    if var.type.shape[axis] == 1 and (out.type.shape[axis] != 1 or isinstance(var, Constant)):
        return ("int", 0) if entry[0] == "int" else FULL
    return entry


def _unambiguous(inputs: list[Variable], axis: int) -> bool:
    """Whether indexing an axis of every input alike is right: the inputs that may be larger than 1 there
    all have the same known size, or provably the same shape."""
    wide = [v for v in inputs if v.type.shape[axis] != 1]
    sizes = {v.type.shape[axis] for v in wide}
    if len(sizes) <= 1 and None not in sizes:
        return True
    return len({id(shape_source(v)) for v in wide}) <= 1


@INDEXING.rule(Node(Subtensor, Node(Elemwise, ..., name="source", where=lambda n: len(n.outputs) == 1),
                    where=_static_index, op_as="index"), tags=("indexing",))
def slice_before_elemwise(fgraph: FunctionGraph, node: Apply, source: Variable, index: Subtensor) -> Variable | None:
    """``f(x, y)[i]`` is ``f(x[i], y[i])`` when ``f(x, y)`` has no other use: only the kept part is computed."""
    inner = source.owner
    assert inner is not None  # matched a node
    entries = index.entries
    if only_client(fgraph, source) is not node or all(isinstance(v, Constant) for v in inner.inputs):
        return None
    if _may_raise(inner):
        return None  # the elements sliced away would not be computed, nor raise
    for axis, entry in enumerate(entries):
        if not is_full(entry, None) and not _unambiguous(inner.inputs, axis):
            return None
    indexed = []
    for var in inner.inputs:
        own = tuple(_entry_for(e, var, source, axis) for axis, e in enumerate(entries))
        indexed.append(var if all(is_full(e, None) for e in own) else apply_keeping_constants(Subtensor(own), var))
    return inner.op(*indexed)


def _may_raise(node: Apply) -> bool:
    """Whether an elementwise node can raise on some values, as NumPy's integer power does on a negative exponent
    (the only elementwise error NumPy raises rather than warns about)."""
    scalar = node.op.scalar_op
    ops = [n.op for n in scalar.nodes] if isinstance(scalar, Composite) else [scalar]
    names = {getattr(op, "name", None) for op in ops}
    return "power" in names and any(np.dtype(v.type.dtype).kind in "iu" for v in node.inputs)


def _is_own_length(x: Variable, axis: int, stop: Variable) -> bool:
    """Whether ``stop`` is ``shape(x)[axis]``."""
    owner = stop.owner
    if owner is None or not isinstance(owner.op, Subtensor) or owner.op.entries != (("int", axis),):
        return False
    source = owner.inputs[0].owner
    return source is not None and isinstance(source.op, Shape) and source.inputs[0] is x


@INDEXING.rule(Node(Subtensor, Var("x"), rest="indices", op_as="index"), tags=("indexing",))
def slice_to_own_length(x: Variable, indices: tuple[Variable, ...], index: Subtensor) -> Variable | None:
    """``x[:x.shape[0]]`` is ``x[:]``: a slice from the start stopping at the axis's own length keeps it whole
    (a gradient's loop reads ``x[0:T]`` of a sequence of T entries; as ``x`` it is what the forward loop reads,
    and what the two compute from it is computed once)."""
    entries, symbolic = list(index.entries), list(indices)
    position = 0
    for k, entry in enumerate(entries):
        n_inputs = sum(part is INPUT for part in entry[1:])
        if entry[0] == "slice" and entry[1] in (None, 0) and entry[3] in (None, 1) and entry[2] is INPUT \
                and _is_own_length(x, _input_axis(entries, k), symbolic[position]):
            entries[k] = FULL
            del symbolic[position]
            return Subtensor(tuple(entries))(x, *symbolic)
        position += n_inputs
    return None
