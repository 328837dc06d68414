"""Which sizes are provably equal, with NumPy's run-time broadcasting.

The size of a variable along an axis is described by the set of *terms* it is the broadcast of: a static size
(``("const", n)``), the size of an axis this analysis cannot see past (``("axis", var, k)``), an int scalar it
cannot read (``("scalar", s)``) or an entry of a shape vector it cannot read (``("entry", vec, k)``). An
elementwise result has the union of its inputs' terms, a dimshuffle, a reduction or a matrix product passes its
inputs' terms on, and a shape vector (``shape(x)``, a ``make_vector`` of ``shape(x)[k]``, the
``where(a == 1, b, a)`` that shape inference writes for a broadcast) has the terms of the sizes it holds. A
static size 1 has no term (it is the identity of broadcasting).

Equal sets mean equal sizes in every run where the graph is valid (broadcast sizes agree), which is all that a
rewrite may assume. Nodes are immutable, so the terms of a variable never change: they are memoized per graph.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

from arignote_core import (
    Alloc,
    CheckAndRaise,
    Constant,
    DimShuffle,
    Dot,
    Elemwise,
    FunctionGraph,
    MakeVector,
    MatMul,
    Reduce,
    Shape,
    Subtensor,
    Variable,
    constant,
)
from arignote_core.tensors.blas_ops import Gemm
from arignote_core.tensors.broadcast import BroadcastTo, SumToShape
from arignote_core.tensors.fused_reduce import FusedReduce
from arignote_core.tensors.special import LogSoftmax, Softmax
from arignote_core.tensors.subtensor_update import AdvancedIncSubtensor, IncSubtensor

from .ordering import order_key
from .shapes import Size, broadcast_size, size_of
from .util import scalar_name

Term = tuple[Any, ...]
Terms = frozenset[Term]

_CACHES: weakref.WeakKeyDictionary[FunctionGraph, dict[Hashable, Terms]] = weakref.WeakKeyDictionary()
_NONE: Terms = frozenset()
#: Ops whose result has the shape of their first input.
_SHAPE_OF_FIRST_INPUT = (Softmax, LogSoftmax, IncSubtensor, AdvancedIncSubtensor, CheckAndRaise)


Query = tuple[Any, ...]  # ("size", var, axis) or ("scalar", int scalar): what the terms are asked of
Parts = Terms | list[Query]  # the terms themselves, or the queries whose terms' union they are


class SizeTerms:
    """The terms of sizes in one graph, memoized, found without recursion (graphs may be deep)."""

    def __init__(self, fgraph: FunctionGraph) -> None:
        cache = _CACHES.get(fgraph)
        if cache is None:
            cache = _CACHES[fgraph] = {}
        self.cache = cache
        self.fgraph = fgraph

    def axis(self, var: Variable, axis: int) -> Terms:
        """The terms of the size of ``var`` along ``axis``."""
        return self._resolve(("size", var, axis))

    def scalar(self, size: Variable) -> Terms:
        """The terms of an int scalar used as a size."""
        return self._resolve(("scalar", size))

    def entry(self, shape_vec: Variable, axis: int) -> Terms:
        """The terms of entry ``axis`` of the int vector ``shape_vec`` (a shape)."""
        parts = _entry_parts(shape_vec, axis)
        return parts if isinstance(parts, frozenset) else _union(self._resolve(q) for q in parts)

    def shape(self, var: Variable) -> list[Terms]:
        return [self.axis(var, d) for d in range(var.type.ndim)]

    def vector(self, shape_vec: Variable) -> list[Terms]:
        return [self.entry(shape_vec, d) for d in range(shape_vec.type.shape[0])]

    def _resolve(self, query: Query) -> Terms:
        cache = self.cache
        stack = [query]
        while stack:
            top = stack[-1]
            if top in cache:
                stack.pop()
                continue
            parts = _parts(top)
            if isinstance(parts, frozenset):
                cache[top] = parts
                stack.pop()
                continue
            missing = [q for q in parts if q not in cache]
            if missing:
                stack.extend(missing)
                continue
            cache[top] = _union(cache[q] for q in parts)
            stack.pop()
        return cache[query]


def _parts(query: Query) -> Parts:
    if query[0] == "scalar":
        return _scalar_parts(query[1])
    _, var, axis = query
    static = var.type.shape[axis]
    if static is not None:
        return _NONE if static == 1 else frozenset({("const", static)})
    node = var.owner
    op = None if node is None else node.op
    if isinstance(op, Elemwise):
        return [("size", x, axis) for x in node.inputs]
    if isinstance(op, DimShuffle) and op.new_order[axis] != "x":
        return [("size", node.inputs[0], op.new_order[axis])]
    if isinstance(op, Reduce | FusedReduce):
        kept = [d for d in range(node.inputs[0].type.ndim) if d not in op.axes]
        return [("size", x, kept[axis]) for x in node.inputs]
    if isinstance(op, BroadcastTo | SumToShape):
        return _entry_parts(node.inputs[1], axis)
    if isinstance(op, Alloc):
        return [("scalar", node.inputs[1 + axis])]
    if isinstance(op, _SHAPE_OF_FIRST_INPUT):
        return [("size", node.inputs[0], axis)]
    if isinstance(op, Dot | MatMul | Gemm) and var.type.ndim == 2:
        product = _product_parts(node, axis)
        if product is not None:
            return product
    return frozenset({("axis", var, axis)})


def _product_parts(node: Any, axis: int) -> list[Query] | None:
    """A 2-d matrix product's size along ``axis``: its operand's (broadcast with a GEMM's added term)."""
    op = node.op
    if isinstance(op, Dot | MatMul):
        a, b = node.inputs
        if a.type.ndim != 2 or b.type.ndim != 2:
            return None
        return [("size", a, 0)] if axis == 0 else [("size", b, 1)]
    c, _, a, b, _ = node.inputs
    found = [("size", a, 1 if op.trans_a else 0)] if axis == 0 else [("size", b, 0 if op.trans_b else 1)]
    c_axis = axis - (2 - c.type.ndim)
    return found + [("size", c, c_axis)] if c_axis >= 0 else found


def _unchecked(var: Variable) -> Variable:
    """``var`` without the run-time checks around it (their value is their first input's)."""
    while var.owner is not None and isinstance(var.owner.op, CheckAndRaise):
        var = var.owner.inputs[0]
    return var


def _entry_parts(shape_vec: Variable, axis: int) -> Parts:
    shape_vec = _unchecked(shape_vec)
    if isinstance(shape_vec, Constant):
        value = int(np.asarray(shape_vec.data).reshape(-1)[axis])
        return _NONE if value == 1 else frozenset({("const", value)})
    node = shape_vec.owner
    if node is not None and isinstance(node.op, Shape):
        return [("size", node.inputs[0], axis)]
    if node is not None and isinstance(node.op, MakeVector):
        return [("scalar", node.inputs[axis])]
    return frozenset({("entry", shape_vec, axis)})


def _scalar_parts(size: Variable) -> Parts:
    value = _constant_int(size)
    if value is not None:
        return _NONE if value == 1 else frozenset({("const", value)})
    node = size.owner
    if node is not None and isinstance(node.op, Subtensor) and len(node.op.entries) == 1 \
            and node.op.entries[0][0] == "int" and isinstance(node.op.entries[0][1], int):
        k = node.op.entries[0][1]
        source = _unchecked(node.inputs[0])
        inner = source.owner
        length = source.type.shape[0]
        if inner is not None and isinstance(inner.op, Shape | MakeVector) and -length <= k < length:
            return _entry_parts(source, k % length)
    broadcast = _broadcast_operands(size)
    if broadcast is not None:
        return [("scalar", broadcast[0]), ("scalar", broadcast[1])]
    return frozenset({("scalar", size)})


def _union(parts: Iterable[Terms]) -> Terms:
    result: set[Term] = set()
    for part in parts:
        result |= part
    return frozenset(result)


def _constant_int(var: Variable) -> int | None:
    if not isinstance(var, Constant) or np.size(var.data) != 1:
        return None
    value = np.asarray(var.data).reshape(()).item()
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _broadcast_operands(size: Variable) -> tuple[Variable, Variable] | None:
    """``(a, b)`` when ``size`` is ``where(a == 1, b, a)``: the broadcast of the sizes ``a`` and ``b``."""
    node = size.owner
    if scalar_name(node) != "switch":
        return None
    assert node is not None  # the test above
    cond, b, a = node.inputs
    test = cond.owner
    if scalar_name(test) != "equal":
        return None
    assert test is not None  # the test above
    left, right = test.inputs
    if _same(left, a) and _constant_int(right) == 1 or _same(right, a) and _constant_int(left) == 1:
        return a, b
    return None


def _same(a: Variable, b: Variable, depth: int = 4) -> bool:
    """Whether ``a`` and ``b`` are provably one value: the same variable, or the same small computation."""
    if a is b:
        return True
    if isinstance(a, Constant) and isinstance(b, Constant):
        return a.type == b.type and bool(np.array_equal(a.data, b.data))
    node, other = a.owner, b.owner
    if depth == 0 or node is None or other is None or node.op != other.op or a.index != b.index:
        return False
    return len(node.inputs) == len(other.inputs) and all(
        _same(x, y, depth - 1) for x, y in zip(node.inputs, other.inputs, strict=True))


def representative(term: Term) -> Size:
    """A size (an int or an int64 scalar) equal to ``term``."""
    kind = term[0]
    if kind == "const":
        return term[1]
    if kind == "axis":
        return size_of(term[1], term[2])
    if kind == "entry":
        return Subtensor((("int", term[2]),))(term[1])
    return term[1]


def size_scalar(fgraph: FunctionGraph, terms: Terms) -> Variable:
    """An int64 scalar holding the broadcast of ``terms`` (1 for none), its operands in a reproducible order."""
    ordered = sorted(terms, key=lambda term: term_key(fgraph, term))
    size = broadcast_size([representative(term) for term in ordered])
    return size if isinstance(size, Variable) else constant(np.int64(size))


def term_key(fgraph: FunctionGraph, term: Term) -> tuple[Any, ...]:
    """A reproducible order of terms: static sizes first, by value."""
    kind = term[0]
    if kind == "const":
        return (0, term[1], 0)
    return ({"axis": 1, "scalar": 2, "entry": 3}[kind], order_key(fgraph, term[1]), term[2] if len(term) > 2 else 0)
