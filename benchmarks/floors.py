"""The machine's physical floors: memory bandwidth (a large copy) and GEMM rate (a large product)."""

from __future__ import annotations

import numpy as np

from timing import median_times


def memory_bandwidth(n_bytes: int = 256 * 2**20) -> float:
    """Bytes per second moved by ``np.copyto`` of a large float64 array (read + write counted)."""
    src = np.ones(n_bytes // 8)
    dst = np.empty_like(src)
    seconds = median_times({"copy": lambda: np.copyto(dst, src)}, repeats=5, min_time=0.05)["copy"]
    return 2 * n_bytes / seconds


def gemm_rate(n: int = 1024, dtype: str = "float64") -> float:
    """Floating-point operations per second of an n x n matrix product in ``dtype``."""
    a, b = np.ones((n, n), dtype), np.ones((n, n), dtype)
    seconds = median_times({"gemm": lambda: a @ b}, repeats=5, min_time=0.05)["gemm"]
    return 2 * n**3 / seconds
