"""Scalar ops taking complex numbers apart: ``real`` and ``imag`` (NumPy's functions, not ufuncs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..dtypes import DtypeSpec, result_dtype
from .basic import SCALAR_OPS, ScalarOp

_PART_DTYPES = {"complex64": "float32", "complex128": "float64"}


class _ComplexPart(ScalarOp):
    """A real part of a number: complex inputs give their real dtype, others keep theirs (NumPy's rule)."""

    def resolve(self, specs: Sequence[DtypeSpec]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        spec = specs[0]
        dtype = result_dtype(spec)
        return (dtype,), (_PART_DTYPES.get(dtype, dtype),)


@dataclass(frozen=True)
class Real(_ComplexPart):
    """The real part (the number itself for real inputs)."""

    name: ClassVar[str] = "real"

    def impl(self, x: Any) -> Any:
        return np.real(x)


@dataclass(frozen=True)
class Imag(_ComplexPart):
    """The imaginary part (zero for real inputs)."""

    name: ClassVar[str] = "imag"

    def impl(self, x: Any) -> Any:
        return np.imag(x)


real = SCALAR_OPS["real"] = Real()
imag = SCALAR_OPS["imag"] = Imag()
