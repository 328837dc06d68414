"""The state of emitting one module: declared helpers, vector-math declarations, temporaries, literals, casts."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from arignote_core.dtypes import DtypeSpec

from .dialect import Dialect


class Unsupported(Exception):
    """The emitter has no C for this op and these dtypes; the node runs its reference ``perform``."""


@dataclass(frozen=True)
class Value:
    """A C expression of a dtype; ``spec`` is what dtype promotion sees (a Python type for weak constants)."""

    expr: str
    dtype: str
    spec: DtypeSpec | None = None

    @property
    def promotion_spec(self) -> DtypeSpec:
        return self.dtype if self.spec is None else self.spec


class EmitContext:
    """Shared by every kernel of a module: helpers and declarations are emitted once, in first-use order."""

    def __init__(self, dialect: Dialect, vector_math: frozenset[str] = frozenset()) -> None:
        self.dialect = dialect
        self.vector_math = vector_math
        self.helpers: dict[str, str] = {}
        self.vector_decls: dict[str, str] = {}
        self.uses_complex = False
        #: C expressions known to be constants, with their values (so emitters can specialize on them)
        self.known: dict[str, object] = {}
        #: run-time checks of the kernel being emitted: (condition, error code)
        self.checks: list[tuple[str, str]] = []

    def check(self, condition: str, code: str) -> None:
        """Make the kernel being emitted fail with ``code`` (an AG_ERR_* name) where ``condition`` holds."""
        self.checks.append((condition, code))

    # -- types and values -----------------------------------------------------------------------------------

    def ctype(self, dtype: str) -> str:
        if np.dtype(dtype).kind == "c":
            self.uses_complex = True
        return self.dialect.compute[dtype]

    def storage(self, dtype: str) -> str:
        if np.dtype(dtype).kind == "c":
            self.uses_complex = True
        return self.dialect.storage[dtype]

    def literal(self, value: Any, dtype: str) -> str:
        """``value`` as a C constant of ``dtype``'s compute type, exactly."""
        text = self._literal(value, dtype)
        self.known[text] = value
        return text

    def _literal(self, value: Any, dtype: str) -> str:
        kind = np.dtype(dtype).kind
        ctype = self.ctype(dtype)
        if kind == "b":
            return "1" if bool(value) else "0"
        if kind in "iu":
            v = int(value)
            if kind == "u":
                return f"(({ctype}){v}ULL)"
            if v == -(2**63):
                return "((int64_t)(-9223372036854775807LL - 1))"
            return f"(({ctype}){v}LL)"
        if kind == "f":
            return f"(({ctype}){_float_literal(float(value))})"
        c = complex(value)
        maker = "CMPLXF" if dtype == "complex64" else "CMPLX"
        return f"{maker}({_float_literal(c.real)}, {_float_literal(c.imag)})"

    def convert(self, expr: str, source: str, target: str) -> str:
        """``expr`` (compute type of ``source``) as ``target``'s compute value, with NumPy's astype rules."""
        if source == target:
            return expr
        if expr in self.known and np.dtype(target).kind != "c":
            return self.literal(np.asarray(self.known[expr]).astype(target).item(), target)
        skind, tkind = np.dtype(source).kind, np.dtype(target).kind
        if tkind == "b":
            if skind == "c":
                return f"(({self.math('real', source)}({expr}) != 0) || ({self.math('imag', source)}({expr}) != 0))"
            return f"(({expr}) != 0)"
        if skind == "c" and tkind != "c":
            expr = f"{self.math('real', source)}({expr})"
        if skind in "fc" and tkind in "iu":
            expr = self._truncated(expr, target)
        if target == "float16":
            return f"((float)(_Float16)({expr}))"
        return f"(({self.ctype(target)})({expr}))"

    def _truncated(self, expr: str, target: str) -> str:
        """A float ``expr`` ready to convert to the integer ``target``. gcc reads ``(double)(int8_t)x`` as
        ``trunc(x)`` when it may assume ``x`` in range (-fno-trapping-math): ``-0`` for ``x`` in (-1, 0), where
        the integer is 0. Through a wider integer (vectorized) the conversions no longer meet; 64-bit targets
        have none, so their ``x`` in (-1, 1) become +0 first."""
        size = np.dtype(target).itemsize
        if size < 8:
            return f"(({'int32_t' if size < 4 else 'int64_t'})({expr}))"
        return f"((fabs({expr}) < 1) ? 0 : ({expr}))"

    def load(self, expr: str, dtype: str) -> str:
        """A value in memory (storage type) as its compute value."""
        return f"(float)({expr})" if dtype == "float16" else expr

    def store(self, expr: str, dtype: str) -> str:
        """A compute value as its storage type."""
        return f"({self.storage(dtype)})({expr})" if dtype in ("float16", "bool") else expr

    # -- library functions ---------------------------------------------------------------------------------

    def math(self, name: str, dtype: str) -> str:
        """A math-library function for ``dtype``; declared vectorizable when libmvec has it."""
        function = self.dialect.math_function(name, dtype)
        if function in self.vector_math and function not in self.vector_decls:
            real = "float" if dtype in ("float16", "float32") else "double"
            arity = "double x" if real == "double" else "float x"
            params = ", ".join([arity.replace("x", p) for p in ("x", "y")][: 2 if _binary(name) else 1])
            self.vector_decls[function] = self.dialect.vector_declaration.format(
                decl=f"extern {real} {function}({params})")
        return function

    def helper(self, name: str, define: Callable[[str], str]) -> str:
        """The helper function ``name``, defined (once per module) by ``define(qualifier)``."""
        if name not in self.helpers:
            self.helpers[name] = define(self.dialect.helper_qualifier)
        return name

    def prelude(self) -> str:
        """Headers, vector-math declarations and helpers, to put before the kernels."""
        headers = list(self.dialect.headers) + ([self.dialect.complex_header] if self.uses_complex else [])
        lines = [f"#include <{h}>" for h in headers]
        lines += [self.vector_decls[name] for name in sorted(self.vector_decls)]
        # prototypes first: helpers call each other, and are listed in a canonical (sorted) order
        lines += [self.helpers[name].split("{", 1)[0].rstrip() + ";" for name in sorted(self.helpers)]
        lines += [self.helpers[name] for name in sorted(self.helpers)]
        return "\n".join(lines) + "\n"


def _binary(name: str) -> bool:
    return name in ("pow", "atan2", "hypot")


def _float_literal(value: float) -> str:
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INFINITY" if value > 0 else "(-INFINITY)"
    return value.hex()
