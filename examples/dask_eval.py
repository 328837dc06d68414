"""Batch evaluation on Dask: a compiled function mapped over the blocks of dask arrays
(``arignote_dist.dask_blocks.map_blocks``), on a local cluster of worker processes.

Run ``python examples/dask_eval.py [--size 10000000] [--workers 2]`` (``pip install
'arignote-distributed[dask]'``): it evaluates ``exp(-x**2) * sin(y) + x * y`` over two chunked arrays, checks a
slice against NumPy and prints the time. Point ``distributed.Client`` at any Dask cluster instead of the local one.
"""

from __future__ import annotations

import argparse
import time

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

import arignote as ar
from arignote_dist.dask_blocks import map_blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--chunk", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    x, y = ar.dvector("x"), ar.dvector("y")
    f = ar.function([x, y], ar.exp(-x**2) * ar.sin(y) + x * y)
    xs = da.random.default_rng(0).standard_normal(args.size, chunks=args.chunk)
    ys = da.random.default_rng(1).standard_normal(args.size, chunks=args.chunk)
    result = map_blocks(f, xs, ys)  # float64 and 1-d, from f's output type

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster):
        start = time.perf_counter()
        total = float(result.sum().compute())
        seconds = time.perf_counter() - start
        head_x, head_y, head = da.compute(xs[:1000], ys[:1000], result[:1000])
    np.testing.assert_allclose(head, np.exp(-head_x**2) * np.sin(head_y) + head_x * head_y, rtol=1e-12)
    print(f"sum over {args.size:,} elements: {total:.6f} in {seconds:.2f} s on {args.workers} workers")


if __name__ == "__main__":
    main()
