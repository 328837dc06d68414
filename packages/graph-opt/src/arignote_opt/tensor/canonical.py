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
    Op,
    Reshape,
    Shape,
    Subtensor,
    Variable,
)
from arignote_core.scalars import Cast
from arignote_core.tensors.broadcast import BroadcastTo

from ..engine import Const, Node, Var
from .guards import filled_like, guard_failure
from .rulesets import CANONICALIZE
from .util import apply_keeping_constants, is_real_float, only_client, scalar_constant
from .vocabulary import elemwise_of

X = Var("x")


@CANONICALIZE.rule(Node(DimShuffle, X, op_as="shuffle"), tags=("shape_ops",))
def useless_dimshuffle(x: Variable, shuffle: DimShuffle) -> Variable | None:
    """``x.dimshuffle(0, 1, ..., n-1)`` is ``x``."""
    return x if tuple(shuffle.new_order) == tuple(range(shuffle.input_ndim)) else None


@CANONICALIZE.rule(Node(DimShuffle, Node(DimShuffle, X, op_as="inner"), op_as="outer"), tags=("shape_ops",))
def compose_dimshuffles(x: Variable, inner: DimShuffle, outer: DimShuffle) -> Variable:
    """A dimshuffle of a dimshuffle is one dimshuffle (a transpose of a transpose is nothing)."""
    order = tuple(inner.new_order[d] if isinstance(d, int) else "x" for d in outer.new_order)
    if order == tuple(range(inner.input_ndim)):
        return x
    return DimShuffle(inner.input_ndim, order)(x)


@CANONICALIZE.rule(Node(DimShuffle, Node(Elemwise, ..., name="computed", op_as="f"), op_as="shuffle"),
                   tags=("shape_ops",))
def dimshuffle_through_elemwise(fgraph: FunctionGraph, node: Apply, computed: Variable, f: Elemwise,
                                shuffle: DimShuffle) -> Variable | None:
    """``f(x, y).dimshuffle(p)`` is ``f(x.dimshuffle(p), y.dimshuffle(p))`` when ``f(x, y)`` has no other
    use: the dimshuffle moves to the inputs, where it is free (a view) and out of the way of fusion."""
    source = computed.owner
    assert source is not None  # matched a node
    if len(source.outputs) != 1 or only_client(fgraph, computed) is not node:
        return None
    return f(*(apply_keeping_constants(shuffle, v) for v in source.inputs))


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


@CANONICALIZE.rule(Node(Reshape, X, Var("shape_vec"), op_as="reshape"), tags=("shape_ops",))
def useless_reshape(x: Variable, shape_vec: Variable, reshape: Reshape) -> Variable | None:
    """``x.reshape(x.shape)`` is ``x``; so is reshaping a vector to ``(-1,)``."""
    if x.type.ndim != reshape.ndim:
        return None
    if x.type.ndim == 1 and isinstance(shape_vec, Constant) and \
            int(np.asarray(shape_vec.data).reshape(-1)[0]) in (-1, x.type.shape[0]):
        return x
    return x if _describes_shape_of(shape_vec, x) else None


_SHAPE_OPS = (Reshape, BroadcastTo, Alloc)


@CANONICALIZE.rule(Node(_SHAPE_OPS, Node(_SHAPE_OPS, X, ..., name="computed", op_as="inner"), rest="shape",
                        op_as="outer"),
                   where=lambda inner, outer, **_: type(inner) is type(outer), tags=("shape_ops",))
def shape_op_of_itself(x: Variable, computed: Variable, outer: Reshape | BroadcastTo | Alloc,
                       shape: tuple[Variable, ...], **_: object) -> Variable:
    """A reshape of a reshape is one reshape (reshaping keeps the element order); a broadcast (``broadcast_to``,
    ``alloc``) of a broadcast of the same kind is one broadcast to the outer shape."""
    assert computed.owner is not None  # matched a node
    return guard_failure(outer(x, *shape), computed.owner)  # the inner reshape may not fit


def _identity_at_runtime(op: Op) -> bool:
    return bool(getattr(op, "identity_at_runtime", False))


@CANONICALIZE.rule(Node(_identity_at_runtime, X, where=lambda node: len(node.outputs) == 1), tags=("shape_ops",))
def identity_at_runtime(x: Variable) -> Variable:
    """An op that declares ``identity_at_runtime`` (autograd's ``zero_grad``, ``grad_clip``...) only changes
    how gradients are taken; in a graph rewritten to run, it is its input."""
    return x


_CAST = elemwise_of(Cast)


def _target(cast: Elemwise) -> str:
    """The dtype a cast (an elementwise op of a ``Cast``, as :data:`_CAST` matches) converts to."""
    scalar_op = cast.scalar_op
    assert isinstance(scalar_op, Cast)
    return scalar_op.dtype


@CANONICALIZE.rule(Node(_CAST, X, op_as="cast"), tags=("casts",))
def useless_cast(x: Variable, cast: Elemwise) -> Variable | None:
    """A cast to the dtype the input already has is the input."""
    return x if x.type.dtype == _target(cast) else None


@CANONICALIZE.rule(Node(_CAST, Node(_CAST, X, op_as="inner"), op_as="outer"), tags=("casts",))
def cast_of_cast(x: Variable, inner: Elemwise, outer: Elemwise) -> Variable | None:
    """``cast(cast(x, a), b)`` is ``cast(x, b)`` when the first cast loses nothing."""
    if not np.can_cast(x.type.dtype, _target(inner), "safe"):
        return None
    return x if x.type.dtype == _target(outer) else outer(x)


CANONICALIZE.pattern("log_of_exp", "log(exp(x)) -> x", constraints={"x": lambda v: is_real_float(v.type.dtype)},
                     tags=("algebra",))
CANONICALIZE.pattern("power_one", "x ** 1 -> x", tags=("algebra",))


@CANONICALIZE.rule(X ** Const(0, name="zero"), tags=("algebra",))
def power_zero(fgraph: FunctionGraph, node: Apply, x: Variable, zero: Variable) -> Variable | None:
    """``x ** 0`` is ones of the shape of ``x``."""
    return filled_like(fgraph, 1, node.outputs[0], [x, zero])
