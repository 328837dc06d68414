"""Elementwise ops (``Elemwise``, Composite included) as grid-stride kernels; ``Reduce`` and graph-opt's
``FusedReduce`` as reduction kernels with the elementwise work feeding them fused in."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from arignote_c.emit.context import EmitContext, Value
from arignote_c.emit.kernels import Operand, reduction_for
from arignote_c.emit.scalar import emit_scalar
from arignote_c.lowering.elementwise import elemwise_body
from arignote_core.graph import Apply, dtype_spec
from arignote_core.tensors import Elemwise, Reduce
from arignote_core.tensors.fused_reduce import FusedReduce

from ..kernels import elemwise_kernel, reduce_kernel
from ..launch import run_elemwise, run_reduce
from ..plan import KernelPlan
from ..registry import register_lowering


@register_lowering(Elemwise)
def lower_elemwise(ctx: EmitContext, node: Apply) -> KernelPlan:
    pointers, body = elemwise_body(ctx, node)
    operands = [Operand(node.inputs[i].type.dtype, dtype_spec(node.inputs[i])) for i in pointers]
    kernel = elemwise_kernel(ctx, operands, [o.type.dtype for o in node.outputs], body)
    return KernelPlan(node, (kernel,), tuple(pointers), run_elemwise)


@register_lowering(Reduce)
def lower_reduce(ctx: EmitContext, node: Apply) -> KernelPlan:
    op, x = node.op, node.inputs[0]
    red = reduction_for(op.scalar_op.name, op.dtype)
    kernel = reduce_kernel(ctx, [Operand(x.type.dtype, dtype_spec(x))], red, lambda xs, assign: xs)
    return KernelPlan(node, (kernel,), (0,), partial(run_reduce, axes=op.axes, empty_ok=red.has_identity))


@register_lowering(FusedReduce)
def lower_fused_reduce(ctx: EmitContext, node: Apply) -> KernelPlan:
    op = node.op
    red = reduction_for(op.scalar_op.name, op.dtype)

    def body(xs: list[Value], assign: Callable[[str, str], str]) -> list[Value]:
        return emit_scalar(ctx, op.composite, xs, assign)

    operands = [Operand(v.type.dtype, dtype_spec(v)) for v in node.inputs]
    kernel = reduce_kernel(ctx, operands, red, body, op.initial)
    empty_ok = red.has_identity or op.initial is not None
    run = partial(run_reduce, axes=op.axes, empty_ok=empty_ok)
    return KernelPlan(node, (kernel,), tuple(range(len(node.inputs))), run)
