"""Nodes that only view their input (``DimShuffle``: axes reordered, added or dropped): on the device they are a
new shape and strides over the same memory, with no kernel and no copy, when their input is on the device."""

from __future__ import annotations

from arignote_core.graph import Apply
from arignote_core.tensors import DimShuffle

from .device_array import DeviceArray

#: what the report says of a view node
VIEW_REASON = "a view: over device memory when its input is on the device, else on the host"


def is_view(node: Apply) -> bool:
    """Whether ``node`` is a view the device runs without a kernel."""
    return isinstance(node.op, DimShuffle)


def device_view(node: Apply, array: DeviceArray) -> DeviceArray:
    """``node``'s output over ``array``'s memory (dropped axes have length 1; added ones stride 0)."""
    order = node.op.new_order
    shape = tuple(1 if d == "x" else array.shape[d] for d in order)
    strides = tuple(0 if d == "x" else array.strides[d] for d in order)
    return array.view(shape, strides)
