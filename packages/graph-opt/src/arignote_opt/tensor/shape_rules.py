"""Shape rewrites: ``shape(f(x))`` from the shapes of ``f``'s inputs (``Op.infer_shape``), without computing
``f``; sizes known statically become constants."""

from __future__ import annotations

import numpy as np

from arignote_core import Apply, FunctionGraph, MakeVector, Shape, Subtensor, Variable, constant

from ..engine import Replacement
from .guards import guard_broadcast, guard_dropped, keep_shape
from .rulesets import CANONICALIZE, SHAPE
from .shapes import shape_of
from .sizes import SizeTerms, size_scalar
from .util import scalar_constant
from .vocabulary import elemwise


@SHAPE.node_rule(Shape, tags=("shape",))
def static_shape(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """The shape of a variable whose type knows every size is a constant."""
    sizes = node.inputs[0].type.shape
    if None in sizes:
        return None
    return constant(np.array(sizes, dtype="int64"))


@SHAPE.node_rule(Shape, tags=("shape",))
def inferred_shape(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """``shape(f(x, y))`` computed from ``shape(x)`` and ``shape(y)`` by ``f``'s ``infer_shape`` (sizes the type
    knows are taken from the type)."""
    var = node.inputs[0]
    producer = var.owner
    if producer is None:
        return None
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


@SHAPE.node_rule(Subtensor, tags=("shape",))
def size_of_static_axis(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """``shape(x)[k]`` is a constant when the type of ``x`` knows that size."""
    source = node.inputs[0].owner
    if source is None or not isinstance(source.op, Shape) or len(node.op.entries) != 1:
        return None
    kind, k = node.op.entries[0][:2]
    if kind != "int" or not isinstance(k, int):
        return None
    size = source.inputs[0].type.shape[k]
    return None if size is None else constant(np.int64(size))


@SHAPE.node_rule(Subtensor, tags=("shape",))
def entry_of_make_vector(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """``make_vector(a, b, c)[1]`` is ``b``."""
    source = node.inputs[0].owner
    if source is None or not isinstance(source.op, MakeVector) or len(node.op.entries) != 1:
        return None
    kind, k = node.op.entries[0][:2]
    if kind != "int" or not isinstance(k, int) or not -len(source.inputs) <= k < len(source.inputs):
        return None
    return source.inputs[k]


@CANONICALIZE.node_rule(elemwise("switch"), tags=("algebra",))
def switch_of_equal_branches(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """``where(c, a, a)`` is ``a`` (broadcast to ``c``'s shape if that could be larger)."""
    cond, a, b = node.inputs
    if a is not b:
        return None
    return keep_shape(fgraph, a, [cond], node.outputs[0], [cond, a])


@CANONICALIZE.node_rule(elemwise("switch"), tags=("algebra",))
def switch_of_constant_condition(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """``where(True, a, b)`` is ``a`` and ``where(False, a, b)`` is ``b`` (for a one-element condition)."""
    cond, a, b = node.inputs
    value = scalar_constant(cond)
    if value is None:
        return None
    chosen, other = (a, b) if value else (b, a)
    out = node.outputs[0]
    if chosen.type.dtype != out.type.dtype:
        return None
    return keep_shape(fgraph, chosen, [cond, other], out, [cond, a, b])
