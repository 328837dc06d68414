"""Indexing and writing through an index.

The gradient of ``x[idx]`` is the output gradient scattered into zeros of ``x``'s shape; for integer array
indices the scatter adds (``numpy.add.at``), so a position read twice gets both gradients. For
``set_subtensor`` the overwritten region of ``x`` gets no gradient and the value gets the gradient of the
region (summed over the axes it was broadcast along). With repeated array indices NumPy keeps the last write,
and only that write gets a gradient (the others are overwritten: zero). Index inputs are integers and
disconnected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from arignote_core import AdvancedSubtensor, Apply, Subtensor, arange, constant
from arignote_core.tensors.basic import reshape
from arignote_core.tensors.broadcast import broadcast_to
from arignote_core.tensors.math import equal, prod, where
from arignote_core.tensors.subtensor_update import AdvancedIncSubtensor, IncSubtensor

from ..registry import register_linear, register_pullback, register_pushforward
from ..tensor_utils import cast_to, shape_of, unbroadcast_to, zeros_like

_READ_FOR_WRITE = {IncSubtensor: Subtensor, AdvancedIncSubtensor: AdvancedSubtensor}


@register_pullback(Subtensor)
def subtensor_pullback(op: Subtensor, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    x, *index = node.inputs
    if gz is None:
        return [None] * len(node.inputs)
    scattered = IncSubtensor(op.entries, set_instead_of_inc=True)(zeros_like(x), cast_to(gz, x), *index)
    return [scattered] + [None] * len(index)


@register_pullback(AdvancedSubtensor)
def advanced_subtensor_pullback(op: AdvancedSubtensor, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    x, *index = node.inputs
    if gz is None:
        return [None] * len(node.inputs)
    scattered = AdvancedIncSubtensor(op.entries)(zeros_like(x), cast_to(gz, x), *index)
    return [scattered] + [None] * len(index)


register_linear(Subtensor, AdvancedSubtensor)


@register_pullback(IncSubtensor)
@register_pullback(AdvancedIncSubtensor)
def inc_subtensor_pullback(op: Any, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    x, value, *index = node.inputs
    if gz is None:
        return [None] * len(node.inputs)
    read = _READ_FOR_WRITE[type(op)](op.entries)
    region = read(gz, *index)
    if isinstance(op, AdvancedIncSubtensor) and op.set_instead_of_inc:
        region = where(_surviving_writes(op, x, region, index), region, 0)
    g_value = unbroadcast_to(region, value)
    g_x = type(op)(op.entries, set_instead_of_inc=True)(gz, 0, *index) if op.set_instead_of_inc else gz
    return [g_x, g_value] + [None] * len(index)


def _surviving_writes(op: AdvancedIncSubtensor, x: Any, region: Any, index: Sequence[Any]) -> Any:
    """True where a write of ``set_subtensor`` with array indices is the one NumPy keeps (the last write to its
    position): numbered tickets are written the same way and read back."""
    tickets = reshape(arange(prod(region.shape), dtype="int64"), region.shape)
    zeros = broadcast_to(constant(np.zeros((), dtype="int64")), shape_of(x))
    written = AdvancedIncSubtensor(op.entries, set_instead_of_inc=True)(zeros, tickets, *index)
    return equal(AdvancedSubtensor(op.entries)(written, *index), tickets)


@register_pushforward(IncSubtensor)
@register_pushforward(AdvancedIncSubtensor)
def inc_subtensor_pushforward(op: Any, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    x, value, *index = node.inputs
    t_x, t_value = tangents[0], tangents[1]
    if t_value is None:
        if not op.set_instead_of_inc:
            return [t_x]
        t_value = 0
    return [op(zeros_like(x) if t_x is None else t_x, t_value, *index)]
