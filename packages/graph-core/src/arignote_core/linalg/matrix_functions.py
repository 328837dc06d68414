"""SciPy's matrix square root and logarithm, ``sqrtm`` and ``logm``, on stacks of matrices (the last two axes).

A graph's dtype is fixed when it is built, while SciPy returns a complex result for a real matrix only when the
values call for one (a negative real eigenvalue). Here a real matrix has a real result, and a real matrix without
one (SciPy's result has an imaginary part) is an error saying so: pass a complex matrix to get SciPy's complex
result. float32 keeps its dtype (SciPy's ``logm`` computes it in float64), integers compute in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import Apply
from ..tensors.type import TensorType
from ..tensors.variable import TensorVariable
from .ops import LinAlgError, MatrixOp, linalg_dtype
from .stacks import check_square_value, matrix_input, over_stack


def _real_where_real(fn: Callable[[np.ndarray], Any], what: str) -> Callable[[np.ndarray], list[np.ndarray]]:
    """``fn`` of one matrix, its result made real for a real matrix (an error where it is really complex)."""
    def apply(a: np.ndarray) -> list[np.ndarray]:
        result = np.asarray(fn(a))
        if np.iscomplexobj(a) or not np.iscomplexobj(result):
            return [result]
        scale = max(float(np.max(np.abs(result), initial=0.0)), 1.0)
        if np.max(np.abs(result.imag), initial=0.0) > 1e3 * np.finfo(result.dtype).eps * scale:
            raise LinAlgError(f"{what}: the real matrix a has no real {what} (it has a negative real eigenvalue); "
                              f"pass a complex matrix for SciPy's complex result")
        return [result.real]

    return apply


class _MatrixFunction(MatrixOp):
    """A function of one square matrix with a result of its shape, computed by SciPy's ``name``."""

    name = ""

    def make_node(self, a: Any) -> Apply:
        a = matrix_input(a, self.name, "a", square=True)
        return Apply(self, [a], [TensorType(linalg_dtype(a.dtype, what=self.name), a.type.shape)])

    def compute(self, a: np.ndarray) -> Sequence[Any]:
        import scipy.linalg  # noqa: PLC0415  (lazily: importing SciPy's linalg costs 0.1 s)

        check_square_value(a, self.name, "a")
        return over_stack(_real_where_real(getattr(scipy.linalg, self.name), self.name), [a], [2])

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]


@dataclass(frozen=True)
class Sqrtm(_MatrixFunction):
    """``scipy.linalg.sqrtm``: the principal square root ``x`` with ``x @ x = a``."""

    name = "sqrtm"


@dataclass(frozen=True)
class Logm(_MatrixFunction):
    """``scipy.linalg.logm``: the principal logarithm ``x`` with ``expm(x) = a``."""

    name = "logm"


def sqrtm(A: Any) -> TensorVariable:  # noqa: N803
    """``scipy.linalg.sqrtm``: the principal matrix square root (real for a real matrix, see the module)."""
    return Sqrtm()(A)


def logm(A: Any) -> TensorVariable:  # noqa: N803
    """``scipy.linalg.logm``: the principal matrix logarithm (real for a real matrix, see the module)."""
    return Logm()(A)


__all__ = ["Logm", "Sqrtm", "logm", "sqrtm"]
