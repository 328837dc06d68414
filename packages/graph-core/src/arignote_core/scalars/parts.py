"""Scalar ops taking complex numbers apart and putting them together: ``real`` and ``imag`` (NumPy's
functions, not ufuncs) and ``complex`` (Theano's ``tensor.complex``)."""

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


@dataclass(frozen=True)
class Complex(ScalarOp):
    """``real + 1j * imag`` from two real numbers, exact also for infinite parts (which the arithmetic would
    turn into NaN); the dtype is the complex one of their common float dtype (complex64 for float32 and
    float16, complex128 for float64 and integers), as Theano's ``complex`` gives."""

    nin: ClassVar[int] = 2
    name: ClassVar[str] = "complex"

    def resolve(self, specs: Sequence[DtypeSpec]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        dtype = result_dtype(*specs)
        if dtype.startswith("complex"):
            raise TypeError(f"complex: the real and imaginary parts must be real, got dtype {dtype}")
        real = dtype if dtype in ("float32", "float64") else "float32" if dtype == "float16" else "float64"
        return (real, real), ({"float32": "complex64", "float64": "complex128"}[real],)

    def impl(self, re: Any, im: Any) -> Any:
        re, im = np.broadcast_arrays(re, im)
        out = np.empty(re.shape, np.result_type(re, im, np.complex64))
        out.real, out.imag = re, im
        return out


real = SCALAR_OPS["real"] = Real()
imag = SCALAR_OPS["imag"] = Imag()
complex_ = SCALAR_OPS["complex"] = Complex()
