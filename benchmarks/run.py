"""Benchmark W1, ``exp(-x**2) * sin(y) + x*y`` in float64, against NumPy and whichever peers are installed.

Usage: ``python benchmarks/run.py [--quick]``. Prints a Markdown table of median times and ratios to NumPy and
writes it to ``benchmarks/results/quick.md`` (or ``full.md`` without ``--quick``).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
from collections.abc import Callable
from pathlib import Path

import numpy as np

from timing import median_times

Kernel = Callable[[np.ndarray, np.ndarray], object]
SIZES = [10**3, 10**6]
RESULTS = Path(__file__).resolve().parent / "results"


def numpy_w1() -> Kernel:
    return lambda x, y: np.exp(-(x**2)) * np.sin(y) + x * y


def arignote_reference_w1() -> Kernel:
    import arignote_core as ac

    x, y = ac.dvector("x"), ac.dvector("y")
    return ac.function([x, y], ac.exp(-(x**2)) * ac.sin(y) + x * y)


# Each peer builds its W1 kernel; a peer whose import fails is reported as "not installed".
PEERS: dict[str, Callable[[], Kernel]] = {
    "numpy": numpy_w1,
    "arignote (reference evaluator)": arignote_reference_w1,
}


def load_peers() -> tuple[dict[str, Kernel], list[str]]:
    """The kernels of the installed peers, and the names of the missing ones."""
    kernels: dict[str, Kernel] = {}
    missing: list[str] = []
    for name, build in PEERS.items():
        try:
            kernels[name] = build()
        except ImportError:
            missing.append(name)
    return kernels, missing


def measure(kernels: dict[str, Kernel], size: int, repeats: int, min_time: float) -> dict[str, float]:
    """Median seconds per call of every kernel at ``size`` elements, after checking each against NumPy."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(size), rng.standard_normal(size)
    expected = numpy_w1()(x, y)
    for name, kernel in kernels.items():
        np.testing.assert_allclose(np.asarray(kernel(x, y)), expected, rtol=1e-12, err_msg=name)
    return median_times(
        {name: (lambda k=kernel: k(x, y)) for name, kernel in kernels.items()}, repeats, min_time
    )


def format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def table(medians: dict[int, dict[str, float]], missing: list[str]) -> str:
    """Markdown table: one row per peer, median and ratio to NumPy per size."""
    header = "| peer | " + " | ".join(f"n=10^{round(math.log10(n))} median | ratio" for n in SIZES) + " |"
    rule = "|---|" + "---:|---:|" * len(SIZES)
    rows = [header, rule]
    for name in PEERS:
        if name in missing:
            rows.append(f"| {name} | " + " | ".join("not installed | –" for _ in SIZES) + " |")
            continue
        cells = [
            f"{format_seconds(medians[n][name])} | {medians[n][name] / medians[n]['numpy']:.2f}"
            for n in SIZES
        ]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats, short samples (for CI)")
    args = parser.parse_args()
    repeats, min_time = (5, 0.005) if args.quick else (21, 0.05)

    kernels, missing = load_peers()
    medians = {n: measure(kernels, n, repeats, min_time) for n in SIZES}
    report = "\n\n".join(
        [
            "# W1: `exp(-x**2) * sin(y) + x*y`, float64",
            f"{'quick' if args.quick else 'full'} run: median of {repeats} interleaved repeats, "
            f"ratio = time / NumPy time (lower is faster). Python {platform.python_version()}, "
            f"NumPy {np.__version__}, {platform.machine()}, {os.cpu_count()} CPUs.",
            table(medians, missing),
        ]
    )
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / ("quick.md" if args.quick else "full.md")).write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
