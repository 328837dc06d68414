"""Canonicalize: useless shape ops and casts removed, dimshuffles composed and moved to the inputs of
elementwise ops (so that sums and products see through them), ``log(exp(x))``, trivial powers."""

from __future__ import annotations

import numpy as np

from arignote_core import (
    Alloc,
    Apply,
    Constant,
    DimShuffle,
    Elemwise,
    FunctionGraph,
    MakeVector,
    Reshape,
    Shape,
    Subtensor,
    Variable,
)
from arignote_core.scalars import Cast
from arignote_core.tensors.broadcast import BroadcastTo

from ..engine import Replacement
from .guards import filled_like, guard_failure
from .rulesets import CANONICALIZE
from .util import apply_keeping_constants, is_real_float, only_client, scalar_constant
from .vocabulary import elemwise


@CANONICALIZE.node_rule(DimShuffle, tags=("shape_ops",))
def useless_dimshuffle(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """``x.dimshuffle(0, 1, ..., n-1)`` is ``x``."""
    op = node.op
    if tuple(op.new_order) == tuple(range(op.input_ndim)):
        return node.inputs[0]
    return None


@CANONICALIZE.node_rule(DimShuffle, tags=("shape_ops",))
def compose_dimshuffles(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """A dimshuffle of a dimshuffle is one dimshuffle (a transpose of a transpose is nothing)."""
    inner = node.inputs[0].owner
    if inner is None or not isinstance(inner.op, DimShuffle):
        return None
    first = inner.op.new_order
    order = tuple("x" if d == "x" else first[d] for d in node.op.new_order)
    source = inner.inputs[0]
    if order == tuple(range(inner.op.input_ndim)):
        return source
    return DimShuffle(inner.op.input_ndim, order)(source)


@CANONICALIZE.node_rule(DimShuffle, tags=("shape_ops",))
def dimshuffle_through_elemwise(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """``f(x, y).dimshuffle(p)`` is ``f(x.dimshuffle(p), y.dimshuffle(p))`` when ``f(x, y)`` has no other
    use: the dimshuffle moves to the inputs, where it is free (a view) and out of the way of fusion."""
    inner = node.inputs[0].owner
    if inner is None or not isinstance(inner.op, Elemwise) or len(inner.outputs) != 1:
        return None
    if only_client(fgraph, inner.outputs[0]) is not node:
        return None
    shuffled = [apply_keeping_constants(node.op, v) for v in inner.inputs]
    return inner.op(*shuffled)


def _is_size_of(entry: Variable, var: Variable, axis: int) -> bool:
    """Whether the int64 scalar ``entry`` is the size of ``var`` along ``axis``."""
    static = var.type.shape[axis]
    value = scalar_constant(entry)
    if static is not None and value is not None and isinstance(entry, Constant):
        return bool(value == static)
    node = entry.owner
    if node is None or not isinstance(node.op, Subtensor) or node.op.entries != (("int", axis),):
        return False
    shape_node = node.inputs[0].owner
    return shape_node is not None and isinstance(shape_node.op, Shape) and shape_node.inputs[0] is var


def _describes_shape_of(shape_vec: Variable, var: Variable) -> bool:
    """Whether the int64 vector ``shape_vec`` is ``var``'s shape."""
    ndim = var.type.ndim
    if shape_vec.type.shape != (ndim,):
        return False
    static = var.type.shape
    if isinstance(shape_vec, Constant):
        return None not in static and tuple(int(s) for s in np.asarray(shape_vec.data)) == tuple(static)
    node = shape_vec.owner
    if node is None:
        return False
    if isinstance(node.op, Shape):
        return node.inputs[0] is var
    if isinstance(node.op, MakeVector):
        return all(_is_size_of(entry, var, axis) for axis, entry in enumerate(node.inputs))
    return False


@CANONICALIZE.node_rule(Reshape, tags=("shape_ops",))
def useless_reshape(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """``x.reshape(x.shape)`` is ``x``; so is reshaping a vector to ``(-1,)``."""
    x, shape_vec = node.inputs
    if x.type.ndim != node.op.ndim:
        return None
    if x.type.ndim == 1 and isinstance(shape_vec, Constant) and \
            int(np.asarray(shape_vec.data).reshape(-1)[0]) in (-1, x.type.shape[0]):
        return x
    return x if _describes_shape_of(shape_vec, x) else None


@CANONICALIZE.node_rule(Reshape, BroadcastTo, Alloc, tags=("shape_ops",))
def shape_op_of_itself(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """A reshape of a reshape is one reshape (reshaping keeps the element order); a broadcast (``broadcast_to``,
    ``alloc``) of a broadcast of the same kind is one broadcast to the outer shape."""
    inner = node.inputs[0].owner
    if inner is None or type(inner.op) is not type(node.op):
        return None
    return guard_failure(node.op(inner.inputs[0], *node.inputs[1:]), inner)  # the inner reshape may not fit


@CANONICALIZE.node_rule(tags=("shape_ops",))
def identity_at_runtime(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """An op that declares ``identity_at_runtime`` (autograd's ``zero_grad``, ``grad_clip``...) only changes
    how gradients are taken; in a graph rewritten to run, it is its input."""
    if not getattr(node.op, "identity_at_runtime", False) or len(node.inputs) != 1 or len(node.outputs) != 1:
        return None
    return node.inputs[0]


def _cast_dtype(node: Apply | None) -> str | None:
    if node is None or not isinstance(node.op, Elemwise) or not isinstance(node.op.scalar_op, Cast):
        return None
    return node.op.scalar_op.dtype


@CANONICALIZE.node_rule((Elemwise, Cast), tags=("casts",))
def useless_cast(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """A cast to the dtype the input already has is the input."""
    dtype = _cast_dtype(node)
    if dtype is None or node.inputs[0].type.dtype != dtype:
        return None
    return node.inputs[0]


@CANONICALIZE.node_rule((Elemwise, Cast), tags=("casts",))
def cast_of_cast(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """``cast(cast(x, a), b)`` is ``cast(x, b)`` when the first cast loses nothing."""
    outer = _cast_dtype(node)
    inner_node = node.inputs[0].owner
    inner = _cast_dtype(inner_node)
    if outer is None or inner is None:
        return None
    assert inner_node is not None
    source = inner_node.inputs[0]
    if not np.can_cast(source.type.dtype, inner, "safe"):
        return None
    if source.type.dtype == outer:
        return source
    return node.op(source)


CANONICALIZE.pattern("log_of_exp", "log(exp(x)) -> x", constraints={"x": lambda v: is_real_float(v.type.dtype)},
                     tags=("algebra",))
CANONICALIZE.pattern("power_one", "x ** 1 -> x", tags=("algebra",))


@CANONICALIZE.node_rule(elemwise("power"), tags=("algebra",))
def power_zero(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """``x ** 0`` is ones of the shape of ``x``."""
    base, exponent = node.inputs
    if scalar_constant(exponent) != 0 or not isinstance(exponent, Constant):
        return None
    out = node.outputs[0]
    return filled_like(fgraph, 1, out, [base, exponent])
