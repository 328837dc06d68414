"""Dialects: what differs between the C and CUDA spellings of the same generated code.

The emitter writes scalar expressions and loops once; a dialect gives the type names, the qualifiers of helper
functions, the loop pragmas and the math-library names. codegen-cuda defines its own ``Dialect`` instance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

_C_STORAGE = {
    "bool": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "int64": "int64_t",
    "uint8": "uint8_t", "uint16": "uint16_t", "uint32": "uint32_t", "uint64": "uint64_t", "float16": "_Float16",
    "float32": "float", "float64": "double", "complex64": "float _Complex", "complex128": "double _Complex",
}


@dataclass(frozen=True)
class Dialect:
    """Spelling of generated code for one target language."""

    name: str
    #: the C type holding one element in memory, per dtype
    storage: Mapping[str, str]
    #: the type arithmetic happens in (float16 computes in float, as NumPy does)
    compute: Mapping[str, str]
    #: qualifiers of helper functions (``static inline``; CUDA adds ``__device__``)
    helper_qualifier: str = "static inline"
    #: pragma before a vectorizable loop, and the same with a reduction clause (``{op}``, ``{var}``)
    simd_pragma: str = "#pragma omp simd"
    simd_reduction: str = "reduction({op}:{var})"
    restrict: str = "restrict"
    #: declares a libm function as having vector variants (libmvec); ``{decl}`` is its prototype
    vector_declaration: str = "#pragma omp declare simd notinbranch\n{decl};"
    #: functions of the target's math library by NumPy-ish name, where they differ from C's
    math_names: Mapping[str, str] = field(default_factory=dict)
    headers: tuple[str, ...] = ("stdint.h", "math.h")
    complex_header: str = "complex.h"
    #: whether signed integer arithmetic wraps as written (C modules are built with -fwrapv); where it does not,
    #: the emitter spells int32/int64 sums, differences, products and negations in unsigned arithmetic, which
    #: wraps by definition, so that no optimizer may assume NumPy's wrap-around cannot happen
    signed_arithmetic_wraps: bool = True

    def math_function(self, name: str, dtype: str) -> str:
        """The library function ``name`` in the precision of ``dtype`` (float16 computes in float)."""
        base = self.math_names.get(name, name)
        if np.dtype(dtype).kind == "c":
            base = _COMPLEX_NAMES.get(base, "c" + base)
        suffix = "f" if dtype in ("float16", "float32", "complex64") else ""
        return base + suffix


#: complex functions whose C names are not the real name with a ``c`` in front
_COMPLEX_NAMES = {"real": "creal", "imag": "cimag", "conj": "conj"}


C_DIALECT = Dialect(
    name="c",
    storage=_C_STORAGE,
    compute={**_C_STORAGE, "float16": "float"},
)
