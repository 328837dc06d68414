"""Shared timing helpers: warm-up, calibrated inner loops, interleaved repeats, medians."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping

Thunk = Callable[[], object]


def _time_loops(fn: Thunk, loops: int) -> float:
    """Seconds for ``loops`` calls of ``fn``, with the garbage collector paused."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        return time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()


def calibrate(fn: Thunk, min_time: float) -> int:
    """The number of calls (1, 2, 5, 10, 20, ...) that together take at least ``min_time`` seconds."""
    base = 1
    while True:
        for loops in (base, 2 * base, 5 * base):
            if _time_loops(fn, loops) >= min_time:
                return loops
        base *= 10


#: Pause before each sample: worker threads the previous callable left spinning (XLA's, OpenBLAS's) go to sleep
#: rather than take the cores from the one being timed.
SETTLE_SECONDS = 0.01


def sample_times(fns: Mapping[str, Thunk], loops: Mapping[str, int], repeats: int) -> dict[str, list[float]]:
    """``repeats`` interleaved samples (one per callable per round) of seconds per call; each sample follows a
    short pause and one untimed call, so that it measures the callable, not the switch from the previous one."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            time.sleep(SETTLE_SECONDS)
            fn()
            samples[name].append(_time_loops(fn, loops[name]) / loops[name])
    return samples


def median_times(fns: Mapping[str, Thunk], repeats: int, min_time: float) -> dict[str, float]:
    """Median seconds per call of each callable.

    Each callable is warmed up and calibrated first; the timed repeats are interleaved (one sample of each
    callable per round) so that drift in machine load affects all of them alike.
    """
    for fn in fns.values():
        fn()
    loops = {name: calibrate(fn, min_time) for name, fn in fns.items()}
    return {name: statistics.median(values) for name, values in sample_times(fns, loops, repeats).items()}
