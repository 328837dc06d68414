"""What SciPy's matrix functions share here: input checks that name the input, and running a function of single
matrices over stacks of them (the leading axes), as ``numpy.linalg`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..tensors.basic import as_tensor
from ..tensors.type import format_shape
from ..tensors.variable import TensorVariable
from .ops import LinAlgError


def matrix_input(x: Any, what: str, name: str, square: bool = False) -> TensorVariable:
    """``x`` as a tensor that is a stack of matrices (square where asked), as far as static shapes tell."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise LinAlgError(f"{what}: input {name} must be a matrix or a stack of them (at least 2-d), got a "
                          f"{x.ndim}-d {x.dtype} tensor of shape {format_shape(x.type.shape)}")
    rows, cols = x.type.shape[-2:]
    if square and rows is not None and cols is not None and rows != cols:
        raise LinAlgError(f"{what}: input {name} must be square (its last two axes equal), got shape "
                          f"{format_shape(x.type.shape)}")
    return x


def check_square_value(a: np.ndarray, what: str, name: str) -> None:
    """The run-time form of ``matrix_input``'s square check, for sizes unknown when the graph was built."""
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise LinAlgError(f"{what}: input {name} must be square (its last two axes equal), got shape "
                          f"{format_shape(a.shape)}")


def _dummy(core_shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray:
    """A harmless core input (half the identity, or zeros) to learn the results' shapes for an empty stack."""
    if len(core_shape) == 2:
        return (0.5 * np.eye(*core_shape)).astype(dtype)
    return np.zeros(core_shape, dtype)


def over_stack(fn: Callable[..., Sequence[Any]], arrays: Sequence[np.ndarray], core_ndims: Sequence[int]
               ) -> list[np.ndarray]:
    """``fn`` (of single matrices, giving a sequence of results) over the broadcast leading axes of ``arrays``,
    each of which has ``core_ndims`` trailing axes of its own."""
    batches = [a.shape[:a.ndim - k] for a, k in zip(arrays, core_ndims, strict=True)]
    batch = np.broadcast_shapes(*batches)
    cores = [a.shape[a.ndim - k:] for a, k in zip(arrays, core_ndims, strict=True)]
    if not batch:
        return [np.asarray(r) for r in fn(*arrays)]
    wide = [np.broadcast_to(a, batch + core) for a, core in zip(arrays, cores, strict=True)]
    if 0 in batch:
        shapes = [np.asarray(r) for r in fn(*(_dummy(c, a.dtype) for a, c in zip(arrays, cores, strict=True)))]
        return [np.empty(batch + r.shape, r.dtype) for r in shapes]
    results = [list(map(np.asarray, fn(*(a[index] for a in wide)))) for index in np.ndindex(*batch)]
    return [np.stack([r[k] for r in results]).reshape(batch + results[0][k].shape)
            for k in range(len(results[0]))]


__all__ = ["check_square_value", "matrix_input", "over_stack"]
