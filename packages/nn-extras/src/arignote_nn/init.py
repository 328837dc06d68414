"""Weight initializers: Glorot (Xavier) and He (Kaiming), uniform and normal, and orthogonal. Each returns a
NumPy array to put in a shared variable; randomness comes from ``rng`` (a Generator, a seed, or None).

Fans: a 2-d shape is ``(fan_in, fan_out)`` (the weight of ``x @ W``); a convolution filter bank
``(F, C, KH, KW)`` has ``fan_in = C * KH * KW`` and ``fan_out = F * KH * KW``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

RngLike = np.random.Generator | int | None


def fans(shape: Sequence[int]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape``."""
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2:
        raise ValueError(f"initializers need a weight of at least 2 dimensions, got shape {shape}")
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fan(shape: Sequence[int], mode: str) -> int:
    fan_in, fan_out = fans(shape)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")


def _uniform(shape: Sequence[int], limit: float, rng: RngLike, dtype: Any) -> np.ndarray:
    return np.random.default_rng(rng).uniform(-limit, limit, size=tuple(shape)).astype(dtype)


def _normal(shape: Sequence[int], std: float, rng: RngLike, dtype: Any) -> np.ndarray:
    return np.random.default_rng(rng).normal(0.0, std, size=tuple(shape)).astype(dtype)


def glorot_uniform(shape: Sequence[int], gain: float = 1.0, rng: RngLike = None,
                   dtype: Any = "float64") -> np.ndarray:
    """Uniform on ``±gain * sqrt(6 / (fan_in + fan_out))`` (Glorot and Bengio, 2010)."""
    fan_in, fan_out = fans(shape)
    return _uniform(shape, gain * math.sqrt(6.0 / (fan_in + fan_out)), rng, dtype)


def glorot_normal(shape: Sequence[int], gain: float = 1.0, rng: RngLike = None, dtype: Any = "float64") -> np.ndarray:
    """Normal with standard deviation ``gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = fans(shape)
    return _normal(shape, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def he_uniform(shape: Sequence[int], gain: float = math.sqrt(2.0), mode: str = "fan_in", rng: RngLike = None,
               dtype: Any = "float64") -> np.ndarray:
    """Uniform on ``±gain * sqrt(3 / fan)`` (He et al., 2015; the default gain suits ReLU)."""
    return _uniform(shape, gain * math.sqrt(3.0 / _fan(shape, mode)), rng, dtype)


def he_normal(shape: Sequence[int], gain: float = math.sqrt(2.0), mode: str = "fan_in", rng: RngLike = None,
              dtype: Any = "float64") -> np.ndarray:
    """Normal with standard deviation ``gain / sqrt(fan)``."""
    return _normal(shape, gain / math.sqrt(_fan(shape, mode)), rng, dtype)


def orthogonal(shape: Sequence[int], gain: float = 1.0, rng: RngLike = None, dtype: Any = "float64") -> np.ndarray:
    """``gain`` times a (semi-)orthogonal matrix, reshaped: rows are orthonormal when ``shape[0]`` is at most the
    product of the other sizes, columns otherwise (Saxe et al., 2014)."""
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2:
        raise ValueError(f"orthogonal needs a shape of at least 2 dimensions, got {shape}")
    rows, cols = shape[0], math.prod(shape[1:])
    a = np.random.default_rng(rng).normal(size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))  # unique, uniformly distributed
    matrix = q if rows >= cols else q.T
    return (gain * matrix).reshape(shape).astype(dtype)
