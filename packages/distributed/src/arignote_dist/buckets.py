"""Gradient buckets: the gradients of many parameters packed into a few large contiguous vectors, so that one
allreduce moves many of them at once.

Packing is part of the gradient graph (the compiled function's outputs are the buckets themselves) and unpacking
part of the update graph (slices and reshapes of its inputs), so no gradient is copied in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import arignote_core as ac
from arignote_core import TensorSharedVariable, TensorVariable

#: PyTorch DDP's default bucket size
DEFAULT_BUCKET_BYTES = 25 * 2**20


@dataclass(frozen=True)
class Slot:
    """Where one parameter's gradient lies in its bucket."""

    param: int
    offset: int
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass(frozen=True)
class Bucket:
    """Gradients of one dtype, back to back."""

    dtype: str
    slots: tuple[Slot, ...]

    @property
    def size(self) -> int:
        return sum(slot.size for slot in self.slots)


def plan(params: Sequence[TensorSharedVariable], bucket_bytes: int = DEFAULT_BUCKET_BYTES) -> list[Bucket]:
    """Buckets for ``params``' gradients: one dtype each, filled in reverse order of the parameters (the last
    layers' gradients are ready first in a backward pass) up to ``bucket_bytes``, and at least one gradient."""
    if bucket_bytes <= 0:
        raise ValueError(f"bucket_bytes must be positive, got {bucket_bytes}")
    open_slots: dict[str, list[Slot]] = {}
    buckets: list[Bucket] = []
    for index in reversed(range(len(params))):
        value = np.asarray(params[index].get_value(borrow=True))
        dtype = params[index].type.dtype
        slots = open_slots.setdefault(dtype, [])
        offset = sum(slot.size for slot in slots)
        if slots and (offset + value.size) * value.itemsize > bucket_bytes:
            buckets.append(Bucket(dtype, tuple(slots)))
            slots.clear()
            offset = 0
        slots.append(Slot(index, offset, value.shape))
    buckets += [Bucket(dtype, tuple(slots)) for dtype, slots in open_slots.items() if slots]
    return buckets


def pack(grads: Sequence[TensorVariable], bucket: Bucket) -> TensorVariable:
    """The bucket's gradients raveled and joined into one vector."""
    parts = [ac.ravel(grads[slot.param]) for slot in bucket.slots]
    return parts[0] if len(parts) == 1 else ac.concatenate(parts)


def unpack(flat: TensorVariable, bucket: Bucket) -> dict[int, TensorVariable]:
    """Each parameter's gradient (by index) as a view of the bucket vector ``flat``."""
    return {slot.param: flat[slot.offset: slot.offset + slot.size].reshape(slot.shape) for slot in bucket.slots}
