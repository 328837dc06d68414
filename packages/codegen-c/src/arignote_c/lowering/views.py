"""Views and shape-making ops: DimShuffle, Reshape, Shape (views or shapes of their input, no kernel), MakeVector,
BroadcastTo, Alloc and integer ARange."""

from __future__ import annotations

import numpy as np

from arignote_core.graph import Apply
from arignote_core.tensors import Alloc, ARange, DimShuffle, MakeVector, Reshape, Shape, TensorType
from arignote_core.tensors.broadcast import BroadcastTo
from arignote_core.tensors.checks import CHECK_ERRORS, CheckAndRaise

from ..emit.context import EmitContext, Unsupported
from ..runtime.source import StepKind
from .base import StepPlan, copy_kernel, register_lowering


@register_lowering(DimShuffle)
def _lower_dimshuffle(ctx: EmitContext, node: Apply) -> StepPlan:
    op = node.op
    order = tuple(-1 if d == "x" else int(d) for d in op.new_order)
    return StepPlan(StepKind.DIMSHUFFLE, node, [node.inputs[0]],
                    params=dict(in_ndim=op.input_ndim, out_ndim=len(order), order=order), label="view")


@register_lowering(Reshape)
def _lower_reshape(ctx: EmitContext, node: Apply) -> StepPlan:
    return StepPlan(StepKind.RESHAPE, node, list(node.inputs), params=dict(ndim=node.op.ndim), label="view")


@register_lowering(CheckAndRaise)
def _lower_check(ctx: EmitContext, node: Apply) -> StepPlan:
    op = node.op
    return StepPlan(StepKind.CHECK, node, list(node.inputs), obj=(CHECK_ERRORS[op.error], op.message), label="view")


@register_lowering(Shape)
def _lower_shape(ctx: EmitContext, node: Apply) -> StepPlan:
    if not isinstance(node.inputs[0].type, TensorType):
        raise Unsupported("the shape of a value that is not an array (a sparse matrix) is read in Python")
    return StepPlan(StepKind.SHAPE, node, list(node.inputs), label="view")


@register_lowering(MakeVector)
def _lower_make_vector(ctx: EmitContext, node: Apply) -> StepPlan:
    if any(v.type.dtype != node.op.dtype for v in node.inputs):
        raise Unsupported("MakeVector of inputs of other dtypes")
    return StepPlan(StepKind.MAKE_VECTOR, node, list(node.inputs), label="view")


@register_lowering(BroadcastTo)
def _lower_broadcast_to(ctx: EmitContext, node: Apply) -> StepPlan:
    return StepPlan(StepKind.BROADCAST_TO, node, list(node.inputs), label="view")


@register_lowering(Alloc)
def _lower_alloc(ctx: EmitContext, node: Apply) -> StepPlan:
    value = node.inputs[0]
    return StepPlan(StepKind.ALLOC, node, list(node.inputs), [copy_kernel(ctx, value, node.outputs[0].type.dtype)])


@register_lowering(ARange)
def _lower_arange(ctx: EmitContext, node: Apply) -> StepPlan:
    if node.op.dtype != "int64" or any(np.dtype(v.type.dtype).kind not in "iu" for v in node.inputs):
        raise Unsupported("ARange other than of integers to int64 runs in NumPy")
    return StepPlan(StepKind.ARANGE, node, list(node.inputs))
