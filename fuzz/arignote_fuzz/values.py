"""Input values: ordinary numbers, edge values (zeros of both signs, infinities, NaN, huge, tiny, integer
limits) and the dtypes and layouts inputs come in."""

from __future__ import annotations

import numpy as np

#: input dtypes and how often each is drawn
INPUT_DTYPES = {"float64": 8, "float32": 3, "int64": 2, "int32": 2, "int8": 1.5, "uint8": 1.5, "bool": 2}
#: the share of a value's elements replaced by an edge value when a case has edge values
EDGE_SHARE = 0.3


def float_edges(dtype: np.dtype) -> np.ndarray:
    """0, -0, +-inf, NaN, +-huge (the dtype's maximum and a tenth of it), +-tiny (subnormal and normal), +-1."""
    info = np.finfo(dtype)
    edges = [0.0, -0.0, np.inf, -np.inf, np.nan, info.max, -info.max, info.max / 10, -info.max / 10,
             info.smallest_subnormal, -info.smallest_subnormal, info.tiny, -info.tiny, 1.0, -1.0]
    return np.array(edges, dtype=dtype)


def int_edges(dtype: np.dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.array(sorted({0, 1, info.max, info.min, info.min + 1, info.max - 1, -1 if info.min < 0 else 2}),
                    dtype=dtype)


def ordinary(rng: np.random.Generator, dtype: np.dtype, shape: tuple[int, ...], *, positive: bool = False
             ) -> np.ndarray:
    """Numbers that make every op defined and exact enough: two-decimal floats, small integers, booleans."""
    if dtype.kind == "f":
        values = np.round(rng.normal(0.0, 1.5, shape), 2)
        return (np.abs(values) + 0.1 if positive else values).astype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    low = 0 if dtype.kind == "u" or positive else -5
    return rng.integers(low, 10 if dtype.kind == "u" else 6, shape).astype(dtype)


def value(rng: np.random.Generator, dtype: str, shape: tuple[int, ...], *, edge: bool) -> np.ndarray:
    """A random value of ``dtype`` and ``shape``; with ``edge``, about a third of its elements are edge values."""
    np_dtype = np.dtype(dtype)
    data = ordinary(rng, np_dtype, shape)
    if edge and np_dtype.kind in "fiu" and data.size:
        edges = float_edges(np_dtype) if np_dtype.kind == "f" else int_edges(np_dtype)
        where = rng.random(shape) < EDGE_SHARE
        data = np.where(where, rng.choice(edges, shape), data).astype(np_dtype)
    return np.asarray(data, dtype=np_dtype)
