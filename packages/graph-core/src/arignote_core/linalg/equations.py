"""SciPy's matrix equations: Sylvester's ``a x + x b = q`` and the continuous and discrete Lyapunov equations,
on stacks of matrices (the last two axes, leading axes broadcast). Dtypes as the other linalg ops: integers
compute in float64, float32 and the complex types keep theirs, float16 is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import Apply
from ..tensors.elemwise import broadcast_static_shapes
from ..tensors.shape_inference import broadcast_shapes
from ..tensors.type import TensorType, format_shape
from ..tensors.variable import TensorVariable
from .ops import LinAlgError, MatrixOp, linalg_dtype
from .stacks import check_square_value, matrix_input, over_stack


def _result_shape(what: str, a: TensorVariable, b: TensorVariable, q: TensorVariable) -> tuple[int | None, ...]:
    """The shape of ``x`` in ``a x + x b = q``: q's rows are a's size, its columns b's, batches broadcast."""
    rows, cols = q.type.shape[-2:]
    for name, size, want in (("a", a.type.shape[-1], rows), ("b", b.type.shape[-1], cols)):
        if size is not None and want is not None and size != want:
            raise LinAlgError(f"{what}: input q of shape {format_shape(q.type.shape)} does not fit input {name} "
                              f"of size {size}: q must be ({a.type.shape[-1]}, {b.type.shape[-1]})")
    batches = [x.type.shape[:-2] for x in (a, b, q)]
    ndim = max(len(x) for x in batches)
    batch = broadcast_static_shapes([(1,) * (ndim - len(x)) + x for x in batches], what)
    return batch + (rows if rows is not None else a.type.shape[-1], cols if cols is not None else b.type.shape[-1])


def _batch_shape(*shapes: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(broadcast_shapes([tuple(s[:-2]) for s in shapes]))


@dataclass(frozen=True)
class SolveSylvester(MatrixOp):
    """``scipy.linalg.solve_sylvester``: ``x`` with ``a @ x + x @ b = q`` (Bartels-Stewart)."""

    def make_node(self, a: Any, b: Any, q: Any) -> Apply:
        what = "solve_sylvester"
        a, b = matrix_input(a, what, "a", square=True), matrix_input(b, what, "b", square=True)
        q = matrix_input(q, what, "q")
        dtype = linalg_dtype(a.dtype, b.dtype, q.dtype, what=what)
        return Apply(self, [a, b, q], [TensorType(dtype, _result_shape(what, a, b, q))])

    def compute(self, a: np.ndarray, b: np.ndarray, q: np.ndarray) -> Sequence[Any]:
        import scipy.linalg  # noqa: PLC0415  (lazily: importing SciPy's linalg costs 0.1 s)

        check_square_value(a, "solve_sylvester", "a")
        check_square_value(b, "solve_sylvester", "b")
        return over_stack(lambda x, y, z: [scipy.linalg.solve_sylvester(x, y, z)], [a, b, q], [2, 2, 2])

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        a, b, q = (tuple(s) for s in input_shapes)
        return [_batch_shape(a, b, q) + (a[-1], b[-1])]


class _Lyapunov(MatrixOp):
    """An equation in square ``a`` and ``q`` whose solution has q's shape (batches broadcast)."""

    name = ""

    def make_node(self, a: Any, q: Any) -> Apply:
        a, q = matrix_input(a, self.name, "a", square=True), matrix_input(q, self.name, "q", square=True)
        dtype = linalg_dtype(a.dtype, q.dtype, what=self.name)
        return Apply(self, [a, q], [TensorType(dtype, _result_shape(self.name, a, a, q))])

    def compute(self, a: np.ndarray, q: np.ndarray) -> Sequence[Any]:
        check_square_value(a, self.name, "a")
        check_square_value(q, self.name, "q")
        return over_stack(lambda x, y: [self.solve(x, y)], [a, q], [2, 2])

    def solve(self, a: np.ndarray, q: np.ndarray) -> np.ndarray:
        """The solution for one matrix ``a`` and one ``q`` (SciPy's function)."""
        raise NotImplementedError

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        a, q = (tuple(s) for s in input_shapes)
        return [_batch_shape(a, q) + (a[-1], a[-1])]


@dataclass(frozen=True)
class SolveContinuousLyapunov(_Lyapunov):
    """``scipy.linalg.solve_continuous_lyapunov``: ``x`` with ``a @ x + x @ a^H = q``."""

    name = "solve_continuous_lyapunov"

    def solve(self, a: np.ndarray, q: np.ndarray) -> np.ndarray:
        import scipy.linalg  # noqa: PLC0415  (lazily: importing SciPy's linalg costs 0.1 s)

        return np.asarray(scipy.linalg.solve_continuous_lyapunov(a, q))


@dataclass(frozen=True)
class SolveDiscreteLyapunov(_Lyapunov):
    """``scipy.linalg.solve_discrete_lyapunov``: ``x`` with ``a @ x @ a^H - x + q = 0``, by a Kronecker-product
    solve (``method='direct'``, for small matrices) or the bilinear transformation to a continuous equation."""

    method: str = "direct"
    name = "solve_discrete_lyapunov"

    def make_node(self, a: Any, q: Any) -> Apply:
        if self.method not in ("direct", "bilinear"):
            raise ValueError(f"solve_discrete_lyapunov: method must be 'direct' or 'bilinear', got {self.method!r}")
        return super().make_node(a, q)

    def solve(self, a: np.ndarray, q: np.ndarray) -> np.ndarray:
        import scipy.linalg  # noqa: PLC0415  (lazily: importing SciPy's linalg costs 0.1 s)

        return np.asarray(scipy.linalg.solve_discrete_lyapunov(a, q, method=self.method))


def solve_sylvester(a: Any, b: Any, q: Any) -> TensorVariable:
    """``scipy.linalg.solve_sylvester``: ``x`` with ``a x + x b = q``."""
    return SolveSylvester()(a, b, q)


def solve_continuous_lyapunov(a: Any, q: Any) -> TensorVariable:
    """``scipy.linalg.solve_continuous_lyapunov``: ``x`` with ``a x + x a^H = q``."""
    return SolveContinuousLyapunov()(a, q)


def solve_discrete_lyapunov(a: Any, q: Any, method: str | None = None) -> TensorVariable:
    """``scipy.linalg.solve_discrete_lyapunov``: ``x`` with ``a x a^H - x + q = 0``; ``method`` is 'direct' or
    'bilinear' (SciPy's default: direct below size 10, bilinear from 10, when the size is known)."""
    if method is None:
        size = matrix_input(a, "solve_discrete_lyapunov", "a", square=True).type.shape[-1]
        method = "bilinear" if size is not None and size >= 10 else "direct"
    return SolveDiscreteLyapunov(method)(a, q)


__all__ = ["SolveContinuousLyapunov", "SolveDiscreteLyapunov", "SolveSylvester", "solve_continuous_lyapunov",
           "solve_discrete_lyapunov", "solve_sylvester"]
