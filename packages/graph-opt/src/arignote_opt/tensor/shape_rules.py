"""Shape rewrites: ``shape(f(x))`` from the shapes of ``f``'s inputs (``Op.infer_shape``), without computing
``f``; sizes known statically become constants."""

from __future__ import annotations

import numpy as np

from arignote_core import Apply, FunctionGraph, MakeVector, Op, Shape, Subtensor, Variable, constant

from ..engine import Const, Node, Var
from .guards import guard_broadcast, guard_dropped, keep_shape
from .rulesets import CANONICALIZE, SHAPE
from .shapes import shape_of
from .sizes import SizeTerms, size_scalar
from .util import scalar_constant
from .vocabulary import P


@SHAPE.rule(Node(Shape, Var("x", lambda v: None not in v.type.shape)), tags=("shape",))
def static_shape(x: Variable) -> Variable:
    """The shape of a variable whose type knows every size is a constant."""
    return constant(np.array(x.type.shape, dtype="int64"))


@SHAPE.rule(Node(Shape, Node(Op, ..., name="var")), tags=("shape",))
def inferred_shape(fgraph: FunctionGraph, node: Apply, var: Variable) -> Variable | None:
    """``shape(f(x, y))`` computed from ``shape(x)`` and ``shape(y)`` by ``f``'s ``infer_shape`` (sizes the type
    knows are taken from the type)."""
    producer = var.owner
    assert producer is not None  # matched a node
    shapes = producer.op.infer_shape(producer, [shape_of(v) if hasattr(v.type, "shape") else ()
                                                for v in producer.inputs])
    if shapes is None:
        return None
    sizes = shapes[var.index]
    if len(sizes) != var.type.ndim:
        raise ValueError(f"{producer.op}.infer_shape gave {len(sizes)} sizes for a {var.type.ndim}-d output")
    if not sizes:
        return constant(np.zeros(0, dtype="int64"))
    static = var.type.shape
    entries = []
    for axis, (size, known) in enumerate(zip(sizes, static, strict=True)):
        source = None if known is not None else _source_size(fgraph, var, axis)
        entries.append(known if known is not None else size if source is None else source)
    shape = MakeVector("int64")(*entries)
    if any(user is not node for user, _ in fgraph.clients[var]):
        return shape  # f is computed for its other users, which checks that the sizes it broadcasts agree
    # nothing else computes f: the sizes it broadcasts must still be checked to agree, and the indices it takes
    # to be in bounds, as computing it would
    return guard_dropped(guard_broadcast(fgraph, shape, var), [var])


def _source_size(fgraph: FunctionGraph, var: Variable, axis: int) -> Variable | None:
    """The size of ``var`` along ``axis`` read where it comes from (``shape(x)[0]`` for ``exp(x * 2)``, the
    broadcast of the sizes of ``x`` and ``y`` for ``sin(x) + y``): one rewrite, however deep the graph, rather
    than one per op between them for every axis asked. None where ``var`` is where the size comes from."""
    found = SizeTerms(fgraph).axis(var, axis)
    if any(term[:2] == ("axis", var) for term in found):
        return None
    return size_scalar(fgraph, found)


def _constant_index(node: Apply) -> bool:
    """Whether a subtensor node takes one constant integer entry (``v[2]``)."""
    entries = node.op.entries
    return len(entries) == 1 and entries[0][0] == "int" and isinstance(entries[0][1], int)


@SHAPE.rule(Node(Subtensor, Node(Shape, Var("x")), where=_constant_index, op_as="index"), tags=("shape",))
def size_of_static_axis(x: Variable, index: Subtensor) -> Variable | None:
    """``shape(x)[k]`` is a constant when the type of ``x`` knows that size."""
    size = x.type.shape[index.entries[0][1]]
    return None if size is None else constant(np.int64(size))


@SHAPE.rule(Node(Subtensor, Node(MakeVector, rest="entries"), where=_constant_index, op_as="index"),
            tags=("shape",))
def entry_of_make_vector(entries: tuple[Variable, ...], index: Subtensor) -> Variable | None:
    """``make_vector(a, b, c)[1]`` is ``b``."""
    k = index.entries[0][1]
    return entries[k] if -len(entries) <= k < len(entries) else None


@CANONICALIZE.rule(P.switch(Var("cond"), Var("a"), Var("a"), name="out"), tags=("algebra",))
def switch_of_equal_branches(fgraph: FunctionGraph, cond: Variable, a: Variable, out: Variable) -> Variable | None:
    """``where(c, a, a)`` is ``a`` (broadcast to ``c``'s shape if that could be larger)."""
    return keep_shape(fgraph, a, [cond], out, [cond, a])


@CANONICALIZE.rule(P.switch(Const(name="cond"), Var("a"), Var("b"), name="out"), tags=("algebra",))
def switch_of_constant_condition(fgraph: FunctionGraph, cond: Variable, a: Variable, b: Variable,
                                 out: Variable) -> Variable | None:
    """``where(True, a, b)`` is ``a`` and ``where(False, a, b)`` is ``b`` (for a one-element condition)."""
    value = scalar_constant(cond)
    chosen, other = (a, b) if value else (b, a)
    if chosen.type.dtype != out.type.dtype:
        return None
    return keep_shape(fgraph, chosen, [cond, other], out, [cond, a, b])
