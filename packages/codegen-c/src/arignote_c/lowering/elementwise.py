"""Elementwise ops (``Elemwise``) as one loop kernel each, scalar constants inlined into it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeGuard

import numpy as np

from arignote_core.graph import Apply, Constant, Variable, dtype_spec
from arignote_core.tensors import Elemwise

from ..emit.context import EmitContext, Unsupported, Value
from ..emit.kernels import Body, Operand, elemwise_kernel
from ..emit.scalar import emit_scalar
from ..runtime.source import StepKind
from .base import StepPlan, register_lowering


def _inlinable(var: Variable) -> TypeGuard[Constant]:
    return isinstance(var, Constant) and np.size(var.data) == 1


def elemwise_body(ctx: EmitContext, node: Apply) -> tuple[list[int], Body]:
    """An Elemwise node's kernel body and the inputs it reads through pointers (by position): one-element
    constants are inlined as literals. Every backend's elementwise kernel wraps this body in its own loops."""
    pointers = [i for i, v in enumerate(node.inputs) if not _inlinable(v)]
    if len(pointers) + len(node.outputs) > 32:
        raise Unsupported("too many operands for one kernel")

    def body(xs: list[Value], assign: Callable[[str, str], str]) -> list[Value]:
        given = iter(xs)
        args = [Value(ctx.literal(np.asarray(v.data).item(), v.type.dtype), v.type.dtype, dtype_spec(v))
                if _inlinable(v) else next(given) for v in node.inputs]
        return emit_scalar(ctx, node.op.scalar_op, args, assign)

    return pointers, body


@register_lowering(Elemwise)
def _lower_elemwise(ctx: EmitContext, node: Apply) -> StepPlan:
    indices, body = elemwise_body(ctx, node)
    pointers = [node.inputs[i] for i in indices]
    operands = [Operand(v.type.dtype, dtype_spec(v)) for v in pointers]
    kernel = elemwise_kernel(ctx, operands, [o.type.dtype for o in node.outputs], body)
    return StepPlan(StepKind.ELEMWISE, node, pointers, [kernel], dict(ndim=node.outputs[0].type.ndim))
