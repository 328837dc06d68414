"""A kernel's launch arguments: one struct passed by value, laid out once for the C text and the host's packing.

Every field is 8 bytes wide (``int64_t`` or a pointer), so the C struct has no padding and NumPy's structured
dtype with the same fields in the same order is its exact image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: the most dimensions a kernel indexes after contiguous ones are merged (more run on the host)
MAX_DIMS = 8


@dataclass(frozen=True)
class Field:
    """One field: ``int64_t`` (``pointer`` False) or ``char *`` (True), with array dimensions."""

    name: str
    dims: tuple[int, ...] = ()
    pointer: bool = False

    def declaration(self) -> str:
        ctype = "char *" if self.pointer else "int64_t "
        return ctype + self.name + "".join(f"[{d}]" for d in self.dims) + ";"


@dataclass(frozen=True)
class ArgLayout:
    """The fields of a kernel's argument struct, in order."""

    fields: tuple[Field, ...]

    def c_struct(self, tag: str) -> str:
        return f"struct {tag} {{\n    " + "\n    ".join(f.declaration() for f in self.fields) + "\n};"

    @property
    def dtype(self) -> np.dtype:
        return np.dtype([(f.name, "<u8" if f.pointer else "<i8", f.dims) for f in self.fields])

    def pack(self, **values: object) -> np.ndarray:
        """A zeroed struct with the given fields set (a 0-d structured array; its bytes are the argument)."""
        packed = np.zeros((), dtype=self.dtype)
        for name, value in values.items():
            packed[name] = value
        return packed


def elemwise_layout(operands: int) -> ArgLayout:
    """``n`` elements over ``dim`` merged dimensions of ``shape``; ``vec`` 1 where the kernel may take vectors
    (every operand contiguous over one dimension or broadcast, and 16-byte aligned); per operand (inputs then
    outputs) its ``strides`` in elements and its pointer; ``err``, the flag a failing check sets."""
    return ArgLayout((Field("n"), Field("dim"), Field("vec"), Field("shape", (MAX_DIMS,)),
                      Field("strides", (operands, MAX_DIMS)), Field("ptr", (operands,), True),
                      Field("err", pointer=True)))


def reduce_layout(operands: int) -> ArgLayout:
    """``n`` outputs over the kept dimensions (``dim``, ``shape``, ``strides``), each folding ``m`` elements over
    the reduced ones (``rdim``, ``rshape``, ``rstrides``); pointers: the operands, then the contiguous output."""
    return ArgLayout((Field("n"), Field("m"), Field("dim"), Field("rdim"), Field("shape", (MAX_DIMS,)),
                      Field("rshape", (MAX_DIMS,)), Field("strides", (operands, MAX_DIMS)),
                      Field("rstrides", (operands, MAX_DIMS)), Field("ptr", (operands + 1,), True),
                      Field("err", pointer=True)))
