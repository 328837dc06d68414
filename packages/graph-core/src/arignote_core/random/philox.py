"""Philox4x64-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"), vectorized in NumPy.

A counter-based generator: block ``philox4x64(counter, key)`` is a pure function of a 256-bit counter and a
128-bit key, so any element of a random array can be computed alone, in any order, by any backend (a C loop or
a CUDA thread) and give the very same bits. It is the generator of ``numpy.random.Philox``, which the tests
use to check this implementation bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

M0 = np.uint64(0xD2E7470EE14C6C93)
M1 = np.uint64(0xCA5A826395121157)
W0 = np.uint64(0x9E3779B97F4A7C15)
W1 = np.uint64(0xBB67AE8584CAA73B)
ROUNDS = 10
_LOW = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)


def mulhilo(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """The high and low 64-bit words of the 128-bit products ``a * b`` (uint64 arrays)."""
    a, b = np.asarray(a, np.uint64), np.asarray(b, np.uint64)
    a_lo, a_hi = a & _LOW, a >> _32
    b_lo, b_hi = b & _LOW, b >> _32
    lo_lo, lo_hi, hi_lo, hi_hi = a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi
    middle = (lo_lo >> _32) + (lo_hi & _LOW) + (hi_lo & _LOW)
    high = hi_hi + (lo_hi >> _32) + (hi_lo >> _32) + (middle >> _32)
    low = a * b
    return high, low


def philox4x64(counter: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Blocks of 4 random uint64 words for counters of shape (..., 4) under the 2-word ``key``."""
    c = np.asarray(counter, np.uint64)
    c0, c1, c2, c3 = (c[..., i] for i in range(4))
    k0, k1 = np.uint64(key[0]), np.uint64(key[1])
    with np.errstate(over="ignore"):
        for r in range(ROUNDS):
            if r:
                k0, k1 = k0 + W0, k1 + W1
            hi0, lo0 = mulhilo(M0, c0)
            hi1, lo1 = mulhilo(M1, c2)
            c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return np.stack([c0, c1, c2, c3], axis=-1)


def to_unit(words: np.ndarray) -> np.ndarray:
    """Doubles uniform on [0, 1) from the top 53 bits of each word (NumPy's conversion)."""
    return (np.asarray(words, np.uint64) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def to_open_unit(words: np.ndarray) -> np.ndarray:
    """Doubles uniform on (0, 1): never 0, so their logarithm is finite."""
    return ((np.asarray(words, np.uint64) >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0 ** -53
