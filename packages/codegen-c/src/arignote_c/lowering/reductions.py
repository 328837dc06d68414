"""Reductions: Reduce and graph-opt's FusedReduce (a reduction of an elementwise expression) as fold, accumulate
and combine kernels, SumToShape, and argmax/argmin as one kernel over the whole array."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from arignote_core.graph import Apply, Variable, dtype_spec
from arignote_core.tensors import ArgReduce, Reduce
from arignote_core.tensors.broadcast import SumToShape
from arignote_core.tensors.fused_reduce import FusedReduce

from ..emit.context import EmitContext, Unsupported, Value
from ..emit.kernels import Operand, Reduction, named_kernel, reduce_kernels, reduction_for
from ..emit.scalar import emit_scalar
from ..runtime.source import OutputShapes, StepKind
from .base import StepPlan, pass_through, register_lowering


def reduce_step(ctx: EmitContext, node: Apply, op_name: str, dtype: str, axes: tuple[int, ...], inputs: list[Variable],
                ndim: int, body: Callable[[list[Value], Callable[[str, str], str]], list[Value]],
                initial: float | None = None) -> StepPlan:
    """A reduction of ``body(inputs)`` (inputs broadcast together, of ``ndim`` dims) over ``axes``, starting from
    ``initial`` when given (then an empty reduction is not an error)."""
    red = reduction_for(op_name, dtype)
    operands = [Operand(v.type.dtype, dtype_spec(v)) for v in inputs]
    kernels = reduce_kernels(ctx, operands, red, body)
    identity = np.asarray(red.identity() if initial is None else initial).astype(dtype)
    no_identity = int(not red.has_identity and initial is None)
    params: dict[str, int | tuple[int, ...]] = dict(ndim=ndim, no_identity=no_identity, naxes=len(axes), axes=axes)
    return StepPlan(StepKind.REDUCE, node, inputs, kernels, params, (identity, op_name), label="reduce")


@register_lowering(Reduce)
def _lower_reduce(ctx: EmitContext, node: Apply) -> StepPlan:
    op = node.op
    x = node.inputs[0]
    return reduce_step(ctx, node, op.scalar_op.name, op.dtype, op.axes, [x], x.type.ndim, pass_through)


@register_lowering(FusedReduce)
def _lower_fused_reduce(ctx: EmitContext, node: Apply) -> StepPlan:
    op = node.op

    def body(xs: list[Value], assign: Callable[[str, str], str]) -> list[Value]:
        return emit_scalar(ctx, op.composite, xs, assign)

    return reduce_step(ctx, node, op.scalar_op.name, op.dtype, op.axes, list(node.inputs), node.inputs[0].type.ndim,
                       body, op.initial)


@register_lowering(SumToShape)
def _lower_sum_to_shape(ctx: EmitContext, node: Apply) -> StepPlan:
    x = node.inputs[0]
    if np.dtype(x.type.dtype).kind == "c":
        raise Unsupported("complex reductions run in NumPy")
    kernels = reduce_kernels(ctx, [Operand(x.type.dtype)], Reduction("add", x.type.dtype), pass_through)
    identity = np.zeros((), dtype=x.type.dtype)
    return StepPlan(StepKind.SUM_TO_SHAPE, node, list(node.inputs), kernels, obj=(identity, "add"), label="reduce")


@register_lowering(ArgReduce)
def _lower_arg_reduce(ctx: EmitContext, node: Apply) -> StepPlan:
    op = node.op
    dtype = node.inputs[0].type.dtype
    if np.dtype(dtype).kind == "c":
        raise Unsupported("argmax/argmin of complex numbers run in NumPy")
    better = ">" if op.function == "argmax" else "<"
    ct = ctx.ctype(dtype)
    load = ctx.load(f"*({ctx.storage(dtype)} *)p", dtype)
    nan_aware = np.dtype(dtype).kind == "f"
    wins = f"(v {better} best || (v != v && best == best))" if nan_aware else f"(v {better} best)"
    axis = -1 if op.axis is None else op.axis
    text = f"""int NAME(const ag_array *in, const ag_array *out) {{
    const ag_array *x = &in[0];
    int axis = {axis}, nd = x->ndim;
    int64_t n = 1, outer = 1, idx[64] = {{0}};
    for (int d = 0; d < nd; ++d) {{
        if (d == axis) n = x->shape[d]; else if (axis >= 0) outer *= x->shape[d]; else n *= x->shape[d];
    }}
    if (n == 0) {{
        PyErr_SetString(PyExc_ValueError, "attempt to get {op.function} of an empty sequence");
        return -1;
    }}
    int64_t *result = (int64_t *)out[0].data;
    for (int64_t o = 0; o < outer; ++o) {{
        /* the start of this run: counters over the dimensions other than axis, in C order */
        const char *base = x->data;
        for (int d = 0; d < nd; ++d) if (d != axis) base += idx[d] * x->strides[d];
        {ct} best = 0;
        int64_t where = 0;
        for (int64_t i = 0; i < n; ++i) {{
            const char *p = base;
            if (axis >= 0) {{
                p += i * x->strides[axis];
            }} else {{
                int64_t r = i;
                p = x->data;
                for (int d = nd - 1; d >= 0; --d) {{ p += (r % x->shape[d]) * x->strides[d]; r /= x->shape[d]; }}
            }}
            const {ct} v = {load};
            if (i == 0 || {wins}) {{ best = v; where = i; }}
            {"if (best != best) break;" if nan_aware else ""}
        }}
        result[o] = where;
        for (int d = nd - 1; d >= 0; --d) {{
            if (d == axis) continue;
            if (++idx[d] < x->shape[d]) break;
            idx[d] = 0;
        }}
    }}
    return 0;
}}"""
    source = named_kernel(text, "int NAME(const ag_array *, const ag_array *);", prefix="ag_user",
                          python=True)  # its ValueError on an empty axis
    return StepPlan(StepKind.ARRAY, node, [node.inputs[0]], [source],
                    dict(output_shapes=OutputShapes.WITHOUT_AXIS, shape_arg=axis), label="kernel")
