"""Matrix products through BLAS: Dot, MatMul, and graph-opt's GEMM/GEMV."""

from __future__ import annotations

from arignote_core.graph import Apply, Variable
from arignote_core.tensors import Dot, MatMul
from arignote_core.tensors.blas_ops import Gemm, Gemv

from ..emit.context import EmitContext, Unsupported
from ..runtime.source import StepKind
from .base import StepPlan, python_step, register_lowering


def blas_step(node: Apply, a: Variable, b: Variable) -> StepPlan:
    """``matmul(a, b)`` through BLAS, for float32/float64 operands of the output's dtype."""
    dtype = node.outputs[0].type.dtype
    if dtype not in ("float32", "float64") or a.type.dtype != dtype or b.type.dtype != dtype:
        raise Unsupported(f"BLAS products are for float32/float64, got {a.type.dtype} and {b.type.dtype}")
    return StepPlan(StepKind.MATMUL, node, [a, b], label="blas")


@register_lowering(Dot)
def _lower_dot(ctx: EmitContext, node: Apply) -> StepPlan:
    a, b = node.inputs
    if not (1 <= a.type.ndim <= 2 and 1 <= b.type.ndim <= 2):
        raise Unsupported("dot of scalars or of more than 2 dimensions")
    return blas_step(node, a, b)


@register_lowering(MatMul)
def _lower_matmul(ctx: EmitContext, node: Apply) -> StepPlan:
    return blas_step(node, *node.inputs)


@register_lowering(Gemm, Gemv)
def _lower_gemm(ctx: EmitContext, node: Apply) -> StepPlan:
    """graph-opt's GEMM/GEMV; the reference ``perform`` covers a bias larger than the product. Not in place here:
    the link sets ``in_place`` where the memory plan allows."""
    op = node.op
    params = dict(trans_a=int(op.trans_a), trans_b=int(getattr(op, "trans_b", False)), in_place=0)
    return StepPlan(StepKind.GEMM, node, list(node.inputs), params=params, obj=python_step(node), label="blas")
