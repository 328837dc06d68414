"""Vectorizing a graph over a new leading (batch) axis, for ``jacobian``.

``vectorize(outputs, {v: batched_v})`` rebuilds the part of the graph that depends on ``v`` so that it computes,
in one pass, what the original computes for each ``batched_v[k]``. Each op has a batching rule
``fn(op, node, inputs, batched) -> [(output, is_batched), ...]`` where a batched input carries the batch axis
first; nodes that do not depend on a batched variable are kept as they are. An op without a rule (or in a case
its rule does not handle: :class:`NotVectorizableError`) runs row by row (:class:`.batch_loop.BatchLoop`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from arignote_core import (
    AdvancedSubtensor,
    Alloc,
    Apply,
    DimShuffle,
    Dot,
    Elemwise,
    MatMul,
    Reduce,
    Reshape,
    Shape,
    Subtensor,
    Variable,
    alloc,
    as_tensor,
    toposort,
)
from arignote_core.tensors.basic import reshape
from arignote_core.tensors.broadcast import BroadcastTo, SumToShape, broadcast_to, static_shape_of, sum_to_shape
from arignote_core.tensors.checks import specify_shape
from arignote_core.tensors.cumulative import CumOp
from arignote_core.tensors.elemwise import dimshuffle
from arignote_core.tensors.math import matmul, multiply
from arignote_core.tensors.math import sum as tensor_sum
from arignote_core.tensors.subtensor_update import AdvancedIncSubtensor, IncSubtensor

from .batch_loop import BatchLoop
from .gradient_ops import GradientOp

BatchRule = Callable[[Any, Apply, list[Variable], list[bool]], list[tuple[Variable, bool]]]
_RULES: dict[type, BatchRule] = {}

_FULL_SLICE = ("slice", None, None, None)


class NotVectorizableError(NotImplementedError):
    """Some op of the graph cannot be vectorized over a batch axis."""


def register_batching(op_class: type) -> Callable[[BatchRule], BatchRule]:
    """Decorator: ``fn(op, node, inputs, batched)`` vectorizes nodes of ``op_class``."""

    def decorate(fn: BatchRule) -> BatchRule:
        _RULES[op_class] = fn
        return fn

    return decorate


def _rule(op: Any) -> BatchRule | None:
    for cls in type(op).__mro__:
        if cls in _RULES:
            return _RULES[cls]
    return None


def batch_size(x: Variable) -> Any:
    """The size of the batch axis of a batched ``x``."""
    size = x.type.shape[0]
    return size if size is not None else as_tensor(x).shape[0]


def shape_entries(x: Variable) -> list[Any]:
    """``x``'s shape as a list of ints (static sizes) and int64 scalars."""
    return [s if s is not None else as_tensor(x).shape[i] for i, s in enumerate(x.type.shape)]


def materialize(x: Variable, size: Any) -> Variable:
    """``x`` repeated along a new leading axis of ``size``."""
    return broadcast_to(dimshuffle(x, ["x", *range(x.type.ndim)]), [size, *shape_entries(x)])


def align(x_batched: Variable, ndim: int) -> Variable:
    """A batched ``x`` with size-1 axes inserted after the batch axis up to ``ndim`` unbatched axes (as NumPy
    broadcasting would pad the unbatched value on the left)."""
    missing = ndim - (x_batched.type.ndim - 1)
    if missing <= 0:
        return x_batched
    rest = range(1, x_batched.type.ndim)
    return dimshuffle(x_batched, [0, *(["x"] * missing), *rest])


def _vector_entries(vector: Variable) -> list[Any]:
    """A shape vector's entries: ints where known at build time, else int64 scalars."""
    return [s if s is not None else vector[i] for i, s in enumerate(static_shape_of(vector))]  # type: ignore


def vectorize(outputs: Sequence[Variable], replacements: Mapping[Variable, Variable]) -> list[Variable]:
    """``outputs`` recomputed for every entry of the batched replacements; each result is batched."""
    memo: dict[Variable, tuple[Variable, bool]] = {v: (b, True) for v, b in replacements.items()}
    size = batch_size(next(iter(replacements.values())))
    for node in toposort(outputs, stop_at=list(replacements)):
        entries = [memo.get(v, (v, False)) for v in node.inputs]
        batched = [b for _, b in entries]
        inputs = [v for v, _ in entries]
        if not any(batched):
            if any(new is not old for new, old in zip(inputs, node.inputs, strict=True)):
                # an unbatched value recomputed from batched ones (a shape): the node reads the new one
                memo.update((o, (n, False)) for o, n in zip(node.outputs, node.op.make_node(*inputs).outputs,
                                                             strict=True))
            continue
        rule = _rule(node.op)
        try:
            if rule is None:
                raise NotVectorizableError(f"{node.op} has no batching rule")
            results = rule(node.op, node, inputs, batched)
        except NotVectorizableError:
            results = _all_batched(BatchLoop(node.op, tuple(batched))(*inputs))
        memo.update(zip(node.outputs, results, strict=True))
    final = []
    for out in outputs:
        value, is_batched = memo.get(out, (out, False))
        final.append(value if is_batched else materialize(value, size))
    return final


def _all_batched(outputs: Any) -> list[tuple[Variable, bool]]:
    outs = outputs if isinstance(outputs, list) else [outputs]
    return [(o, True) for o in outs]


def _unbatched_only(node: Apply, batched: list[bool], positions: Sequence[int]) -> None:
    if any(batched[k] for k in positions if k < len(batched)):
        raise NotVectorizableError(f"{node.op}: a batched index or shape argument is not supported")


@register_batching(Elemwise)
def _batch_elemwise(op: Elemwise, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    ndim = node.outputs[0].type.ndim
    aligned = [align(x, ndim) if b else x for x, b in zip(inputs, batched, strict=True)]
    return _all_batched(op(*aligned))


@register_batching(GradientOp)
def _batch_identity(op: Any, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    return _all_batched(op(inputs[0]))


@register_batching(DimShuffle)
def _batch_dimshuffle(op: DimShuffle, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    order = [0, *("x" if d == "x" else int(d) + 1 for d in op.new_order)]
    x = inputs[0]
    # the batched value may not know that the axes dropped are of size 1 (a reshape of the identity's rows)
    x = specify_shape(x, [None, *(1 if d in op.dropped else None for d in range(op.input_ndim))])
    return _all_batched(DimShuffle(op.input_ndim + 1, tuple(order))(x))


@register_batching(Reduce)
def _batch_reduce(op: Reduce, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    return _all_batched(Reduce(op.scalar_op, tuple(a + 1 for a in op.axes), op.dtype)(inputs[0]))


@register_batching(CumOp)
def _batch_cumulative(op: CumOp, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    return _all_batched(CumOp(op.axis + 1, op.mode, op.dtype)(inputs[0]))


@register_batching(Shape)
def _batch_shape(op: Shape, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    return [(as_tensor(inputs[0]).shape[1:], False)]


@register_batching(Reshape)
def _batch_reshape(op: Reshape, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    _unbatched_only(node, batched, [1])
    x, shape_vector = inputs
    return _all_batched(reshape(x, [batch_size(x), *_vector_entries(shape_vector)]))


@register_batching(Alloc)
def _batch_alloc(op: Alloc, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    _unbatched_only(node, batched, range(1, len(inputs)))
    value, *dims = inputs
    return _all_batched(alloc(align(value, len(dims)), batch_size(value), *dims))


@register_batching(BroadcastTo)
def _batch_broadcast_to(op: BroadcastTo, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    _unbatched_only(node, batched, [1])
    x, shape_vector = inputs
    entries = _vector_entries(shape_vector)
    return _all_batched(broadcast_to(align(x, len(entries)), [batch_size(x), *entries]))


@register_batching(SumToShape)
def _batch_sum_to_shape(op: SumToShape, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    _unbatched_only(node, batched, [1])
    x, shape_vector = inputs
    entries = _vector_entries(shape_vector)
    lead = x.type.ndim - 1 - len(entries)
    if lead > 0:
        x = tensor_sum(x, axis=list(range(1, 1 + lead)))
    return _all_batched(sum_to_shape(x, [batch_size(x), *entries]))


def _advanced_adjacent(entries: Sequence[tuple[Any, ...]]) -> bool:
    positions = [k for k, e in enumerate(entries) if e[0] in ("array", "int")]
    return positions == list(range(positions[0], positions[-1] + 1)) if positions else True


@register_batching(Subtensor)
@register_batching(AdvancedSubtensor)
def _batch_subtensor(op: Any, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    _unbatched_only(node, batched, range(1, len(inputs)))
    if isinstance(op, AdvancedSubtensor) and not _advanced_adjacent(op.entries):
        raise NotVectorizableError(f"{op}: separated advanced indices move the batch axis")
    return _all_batched(type(op)((_FULL_SLICE, *op.entries))(*inputs))


@register_batching(IncSubtensor)
@register_batching(AdvancedIncSubtensor)
def _batch_inc_subtensor(op: Any, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    _unbatched_only(node, batched, range(2, len(inputs)))
    if isinstance(op, AdvancedIncSubtensor) and not _advanced_adjacent(op.entries):
        raise NotVectorizableError(f"{op}: separated advanced indices move the batch axis")
    x, value, *index = inputs
    if batched[0]:
        size = batch_size(x)
    else:
        size = batch_size(value)
        x = materialize(x, size)
    if batched[1]:
        value = align(value, _region_ndim(node))
    return _all_batched(type(op)((_FULL_SLICE, *op.entries), op.set_instead_of_inc)(x, value, *index))


def _region_ndim(node: Apply) -> int:
    """Number of axes of the indexed region ``x[idx]`` of an (Advanced)IncSubtensor node."""
    read = AdvancedSubtensor if isinstance(node.op, AdvancedIncSubtensor) else Subtensor
    x, _, *index = node.inputs
    return read(node.op.entries)(x, *index).type.ndim


@register_batching(MatMul)
def _batch_matmul(op: MatMul, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    a, b = inputs
    a_nd, b_nd = node.inputs[0].type.ndim, node.inputs[1].type.ndim
    if a_nd < 2 or b_nd < 2:
        raise NotVectorizableError("matmul of a vector: not vectorized")
    batch_nd = max(a_nd, b_nd)
    if batched[0]:
        a = align(a, batch_nd)
    if batched[1]:
        b = align(b, batch_nd)
    return _all_batched(matmul(a, b))


@register_batching(Dot)
def _batch_dot(op: Dot, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    a, b = inputs
    shapes = (node.inputs[0].type.ndim, node.inputs[1].type.ndim)
    if 0 in shapes:
        ndim = node.outputs[0].type.ndim
        return _all_batched(multiply(align(a, ndim) if batched[0] else a, align(b, ndim) if batched[1] else b))
    if shapes[0] > 2 or shapes[1] > 2:
        raise NotVectorizableError("dot of operands with more than 2 axes: not vectorized")
    # turn vectors into matrices, use the batched matrix product, then drop the added axes
    a2 = a if shapes[0] == 2 else dimshuffle(a, [0, "x", 1] if batched[0] else ["x", 0])
    b2 = b if shapes[1] == 2 else dimshuffle(b, [0, 1, "x"] if batched[1] else [0, "x"])
    product = matmul(a2, b2)
    drop = [d for d, vec in ((-2, shapes[0] == 1), (-1, shapes[1] == 1)) if vec]
    nd = product.type.ndim
    keep = [d for d in range(nd) if d - nd not in drop]
    return _all_batched(dimshuffle(product, keep))
