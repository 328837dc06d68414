"""How a kernel sees its operands: element strides over the loop's shape (0 where broadcast), with dimensions of
size 1 dropped and dimensions contiguous in every operand merged, so most loops index one dimension."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Strided(Protocol):
    """An array as a kernel addresses it (a host ndarray or a device array)."""

    @property
    def ndim(self) -> int: ...

    @property
    def shape(self) -> tuple[int, ...]: ...

    @property
    def strides(self) -> tuple[int, ...]: ...

    @property
    def itemsize(self) -> int: ...


def element_strides(array: Strided, loop: Sequence[int]) -> list[int]:
    """``array``'s strides in elements over ``loop`` (its shape padded on the left, broadcast axes 0)."""
    pad = len(loop) - array.ndim
    strides = [0] * pad + [s // array.itemsize for s in array.strides]
    shape = [1] * pad + list(array.shape)
    return [0 if size == 1 and extent != 1 else stride for size, stride, extent in zip(shape, strides, loop,
                                                                                        strict=True)]


def merge_dims(shape: Sequence[int], strides: Sequence[Sequence[int]]) -> tuple[list[int], list[list[int]]]:
    """``shape`` and each operand's ``strides`` without dimensions of size 1, and with each dimension merged into
    the one before it where every operand steps over both as over one (C order)."""
    kept = [d for d, size in enumerate(shape) if size != 1]
    merged_shape: list[int] = []
    merged: list[list[int]] = [[] for _ in strides]
    for d in kept:
        if merged_shape and all(s[-1] == st[d] * shape[d] for s, st in zip(merged, strides, strict=True)):
            merged_shape[-1] *= shape[d]
            for s, st in zip(merged, strides, strict=True):
                s[-1] = st[d]
        else:
            merged_shape.append(shape[d])
            for s, st in zip(merged, strides, strict=True):
                s.append(st[d])
    return merged_shape, merged
