"""Batch evaluation on Dask: a compiled function mapped over the blocks of dask arrays
(``arignote_dist.dask_blocks.map_blocks``) and over the partitions of a dask dataframe
(``arignote_dist.dask_partitions.map_partitions``), on a local cluster of worker processes.

Run ``python examples/dask_eval.py [--size 10000000] [--workers 2]`` (``pip install
'arignote-distributed[dask]'``): it evaluates ``exp(-x**2) * sin(y) + x * y`` over two chunked arrays, checks a
slice against NumPy and prints the time, then computes the same as a column of a dataframe of the first rows.
Point ``distributed.Client`` at any Dask cluster instead of the local one.
"""

from __future__ import annotations

import argparse
import time

import dask.array as da
import dask.dataframe as dd
import numpy as np
from distributed import Client, LocalCluster

import arignote as ar
from arignote_dist.dask_blocks import map_blocks
from arignote_dist.dask_partitions import map_partitions


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
        # the same function over a dataframe's columns, partition by partition
        frame = dd.from_dask_array(da.stack([xs[:100_000], ys[:100_000]], axis=1), columns=["x", "y"])
        table = map_partitions(f, frame, columns=["x", "y"], names=["value"]).compute()
    np.testing.assert_allclose(head, np.exp(-head_x**2) * np.sin(head_y) + head_x * head_y, rtol=1e-12)
    np.testing.assert_allclose(table["value"].to_numpy()[:1000], head, rtol=1e-12)
    print(f"sum over {args.size:,} elements: {total:.6f} in {seconds:.2f} s on {args.workers} workers; "
          f"a dataframe column of {len(table):,} rows")


if __name__ == "__main__":
    main()
