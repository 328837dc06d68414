"""Indexing: basic indexing (Subtensor, a view) and set/inc_subtensor, integer-array indexing and its set/inc."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from arignote_core.graph import Apply, Variable
from arignote_core.tensors import AdvancedSubtensor, Subtensor
from arignote_core.tensors.indexing import INPUT
from arignote_core.tensors.subtensor_update import AdvancedIncSubtensor, IncSubtensor

from ..emit.context import EmitContext, Unsupported
from ..emit.kernels import KernelSource, Operand, Reduction, reduce_kernels
from ..runtime.source import INDEX_ENTRY, IndexFlag, IndexKind, StepKind
from .base import StepPlan, copy_kernel, pass_through, register_lowering

_INDEX_KINDS = {"int": IndexKind.INT, "slice": IndexKind.SLICE, "newaxis": IndexKind.NEW_AXIS}


def index_params(entries: Sequence[tuple[Any, ...]]) -> dict[str, int | tuple[int, ...]]:
    """A basic index as the runtime reads it: ``n_entries``, and ``entries``, each laid out as ``INDEX_ENTRY``."""
    encoded: list[int] = []
    for entry in entries:
        parts = (list(entry[1:]) + [None, None, None])[:3]
        fields = dict(kind=_INDEX_KINDS[entry[0]], flags=0)
        for j, part in enumerate(parts):
            if part is None:
                fields["flags"] |= IndexFlag.NONE << j
            elif part == INPUT:
                fields["flags"] |= IndexFlag.SYMBOLIC << j
            fields[f"part{j}"] = part if isinstance(part, int) else 0
        encoded += (fields[name] for name in INDEX_ENTRY)
    return dict(n_entries=len(entries), entries=tuple(encoded))


@register_lowering(Subtensor)
def _lower_subtensor(ctx: EmitContext, node: Apply) -> StepPlan:
    return StepPlan(StepKind.SUBTENSOR, node, list(node.inputs), params=index_params(node.op.entries), label="view")


def _combine_kernel(ctx: EmitContext, node: Apply, set_instead_of_inc: bool) -> KernelSource:
    """``out = v`` (set) or ``acc += v`` (inc, the accumulator of x's dtype the last operand)."""
    x, v = node.inputs[:2]
    if set_instead_of_inc:
        return copy_kernel(ctx, v, x.type.dtype)
    if np.dtype(x.type.dtype).kind == "c" or x.type.dtype == "bool":
        raise Unsupported(f"inc_subtensor of {x.type.dtype} runs in NumPy")
    return reduce_kernels(ctx, [Operand(v.type.dtype)], Reduction("add", x.type.dtype), pass_through)[1]


@register_lowering(IncSubtensor)
def _lower_inc_subtensor(ctx: EmitContext, node: Apply) -> StepPlan:
    op = node.op
    params = dict(set_instead_of_inc=int(op.set_instead_of_inc), **index_params(op.entries))
    return StepPlan(StepKind.INC_SUBTENSOR, node, list(node.inputs),
                    [_combine_kernel(ctx, node, op.set_instead_of_inc)], params, label="kernel")


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
    return StepPlan(StepKind.TAKE, node, list(node.inputs), params=dict(n_arrays=k), label="kernel")


@register_lowering(AdvancedIncSubtensor)
def _lower_advanced_inc(ctx: EmitContext, node: Apply) -> StepPlan:
    op = node.op
    x, _, *arrays = node.inputs
    k = _leading_integer_arrays(op.entries, arrays, x.type.ndim)
    params = dict(n_arrays=k, set_instead_of_inc=int(op.set_instead_of_inc))
    return StepPlan(StepKind.ADVANCED_INC, node, list(node.inputs), [_combine_kernel(ctx, node, op.set_instead_of_inc)],
                    params, label="kernel")
