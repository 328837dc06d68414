"""``arignote bench``: a few quick timings of compiled functions beside NumPy, on this machine.

The full cross-peer suite (numexpr, JAX, PyTensor, PyTorch) lives in the repository's ``benchmarks/``.
"""

from __future__ import annotations

import statistics
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np


def _median_seconds(fn: Callable[[], Any], repeats: int = 7) -> float:
    fn()
    loops = max(1, int(0.02 / max(timeit.timeit(fn, number=1), 1e-7)))
    return statistics.median(timeit.repeat(fn, number=loops, repeat=repeats)) / loops


def _cases() -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    import arignote as ar  # noqa: PLC0415  (arignote imports this module's package first)

    rng = np.random.default_rng(0)
    x1, y1 = rng.standard_normal(10**6), rng.standard_normal(10**6)
    x, y = ar.dvector("x"), ar.dvector("y")
    w1 = ar.function([x, y], ar.exp(-(x**2)) * ar.sin(y) + x * y)
    m = rng.standard_normal((1000, 1000))
    a = ar.dmatrix("a")
    w2 = ar.function([a], ar.softmax(a, axis=1))
    small = np.arange(10.0)
    w5 = ar.function([x], x + 1)

    def np_softmax() -> Any:
        e = np.exp(m - m.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    return [
        ("exp(-x**2)*sin(y)+x*y, 1e6 float64", lambda: w1(x1, y1), lambda: np.exp(-(x1**2)) * np.sin(y1) + x1 * y1),
        ("row softmax 1000x1000", lambda: w2(m), np_softmax),
        ("x + 1 on 10 elements (call overhead)", lambda: w5(small), lambda: small + 1),
    ]


def main(args: list[str] | None = None) -> int:
    print(f"{'workload':40} {'arignote':>12} {'numpy':>12} {'ratio':>7}")
    for name, ours, theirs in _cases():
        np.testing.assert_allclose(ours(), theirs(), rtol=1e-10)
        t_ours, t_np = _median_seconds(ours), _median_seconds(theirs)
        print(f"{name:40} {t_ours * 1e6:10.1f}us {t_np * 1e6:10.1f}us {t_ours / t_np:7.2f}")
    return 0
