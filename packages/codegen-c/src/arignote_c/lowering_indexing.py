"""Lowerings of shape-making and indexing ops: MakeVector, BroadcastTo, Alloc, SumToShape, integer ARange,
set/inc_subtensor, integer-array indexing and its set/inc, and argmax/argmin."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from arignote_core.graph import Apply, Variable, dtype_spec
from arignote_core.tensors import AdvancedSubtensor, Alloc, ARange, ArgReduce, MakeVector, Subtensor
from arignote_core.tensors.broadcast import BroadcastTo, SumToShape
from arignote_core.tensors.indexing import INPUT
from arignote_core.tensors.subtensor_update import AdvancedIncSubtensor, IncSubtensor

from .emit.context import EmitContext, Unsupported, Value
from .emit.kernels import KernelSource, Operand, Reduction, elemwise_kernel, named_kernel, reduce_kernels
from .lowering import StepPlan, register_lowering
from .runtime import StepKind

_SUBTENSOR_KINDS = {"int": 0, "slice": 1, "newaxis": 2}


def subtensor_encoding(entries: Sequence[tuple[Any, ...]]) -> tuple[int, ...]:
    """A basic index as the runtime reads it: the number of entries, then (kind, flags, a, b, c) for each."""
    ip: list[int] = [len(entries)]
    for entry in entries:
        parts = (list(entry[1:]) + [None, None, None])[:3]
        flags = 0
        values = []
        for j, part in enumerate(parts):
            if part is None:
                flags |= 1 << j
            elif part == INPUT:
                flags |= 1 << (3 + j)
            values.append(part if isinstance(part, int) else 0)
        ip += [_SUBTENSOR_KINDS[entry[0]], flags, *values]
    return tuple(ip)


@register_lowering(Subtensor)
def _lower_subtensor(ctx: EmitContext, node: Apply) -> StepPlan:
    return StepPlan(StepKind.SUBTENSOR, node, list(node.inputs), ip=subtensor_encoding(node.op.entries), label="view")


def _identity(xs: list[Value], assign: Callable[[str, str], str]) -> list[Value]:
    return xs


def copy_kernel(ctx: EmitContext, source: Variable, dtype: str) -> KernelSource:
    """``out = source`` converted to ``dtype`` (NumPy's astype)."""
    return elemwise_kernel(ctx, [Operand(source.type.dtype, dtype_spec(source))], [dtype], _identity)


def accumulate_kernel(ctx: EmitContext, source: Variable, dtype: str) -> KernelSource:
    """``acc += source``, the accumulator of ``dtype`` being the last operand."""
    return reduce_kernels(ctx, [Operand(source.type.dtype)], Reduction("add", dtype), _identity)[1]


def _sum_kernels(ctx: EmitContext, x: Variable) -> list[KernelSource]:
    if np.dtype(x.type.dtype).kind == "c":
        raise Unsupported("complex reductions run in NumPy")
    return reduce_kernels(ctx, [Operand(x.type.dtype)], Reduction("add", x.type.dtype), _identity)


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


@register_lowering(SumToShape)
def _lower_sum_to_shape(ctx: EmitContext, node: Apply) -> StepPlan:
    x = node.inputs[0]
    identity = np.zeros((), dtype=x.type.dtype)
    return StepPlan(StepKind.SUM_TO_SHAPE, node, list(node.inputs), _sum_kernels(ctx, x), obj=(identity, "add"),
                    label="reduce")


def _combine_kernel(ctx: EmitContext, node: Apply, set_instead_of_inc: bool) -> KernelSource:
    x, v = node.inputs[:2]
    if set_instead_of_inc:
        return copy_kernel(ctx, v, x.type.dtype)
    if np.dtype(x.type.dtype).kind == "c" or x.type.dtype == "bool":
        raise Unsupported(f"inc_subtensor of {x.type.dtype} runs in NumPy")
    return accumulate_kernel(ctx, v, x.type.dtype)


@register_lowering(IncSubtensor)
def _lower_inc_subtensor(ctx: EmitContext, node: Apply) -> StepPlan:
    op = node.op
    ip = (int(op.set_instead_of_inc), *subtensor_encoding(op.entries))
    return StepPlan(StepKind.INC_SUBTENSOR, node, list(node.inputs),
                    [_combine_kernel(ctx, node, op.set_instead_of_inc)], ip, label="kernel")


def _leading_integer_arrays(entries: Sequence[tuple[Any, ...]], arrays: Sequence[Variable], ndim: int) -> int:
    """How many leading axes integer arrays index, when that is the whole index (else Unsupported)."""
    if not entries or any(e != ("array",) for e in entries) or len(entries) > ndim:
        raise Unsupported("only integer arrays on the leading axes are indexed in C")
    if any(np.dtype(a.type.dtype).kind not in "iu" for a in arrays):
        raise Unsupported("boolean index arrays run in NumPy")
    return len(entries)


@register_lowering(AdvancedSubtensor)
def _lower_take(ctx: EmitContext, node: Apply) -> StepPlan:
    x, *arrays = node.inputs
    k = _leading_integer_arrays(node.op.entries, arrays, x.type.ndim)
    return StepPlan(StepKind.TAKE, node, list(node.inputs), ip=(k,), label="kernel")


@register_lowering(AdvancedIncSubtensor)
def _lower_advanced_inc(ctx: EmitContext, node: Apply) -> StepPlan:
    op = node.op
    x, _, *arrays = node.inputs
    k = _leading_integer_arrays(op.entries, arrays, x.type.ndim)
    return StepPlan(StepKind.ADVANCED_INC, node, list(node.inputs), [_combine_kernel(ctx, node, op.set_instead_of_inc)],
                    (k, int(op.set_instead_of_inc)), label="kernel")


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
    return StepPlan(StepKind.ARRAY, node, [node.inputs[0]], [source], (2, axis), label="kernel")
