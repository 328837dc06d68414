"""Sparse times dense: a csr matrix of 10^5 x 10^5 with 10^6 stored values times a dense 10^5 x 64 matrix, float64.

Usage: ``python benchmarks/sparse_times_dense.py [--quick]`` (not ``sparse.py``: on the path of the other
benchmarks, it would stand for PyPI's ``sparse``, which dask imports). Times Arignote's compiled function
(``fast_run``: the C kernel of ``structured_dot``, on the runtime's threads, and on one thread) side by side
with ``scipy.sparse`` (the
reference of the ratios) and PyTorch's sparse csr tensors (skipped, saying so, when PyTorch is not installed),
as medians of interleaved repeats. Writes ``benchmarks/results/sparse.md``. Target: Arignote at most 1.0x
SciPy's time.
"""

from __future__ import annotations

import argparse
import platform
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers  # noqa: E402,I001  (first: it sets the thread pools' environment before NumPy loads its BLAS)

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from timing import median_times  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "sparse.md"


def problem(n: int, nnz: int, k: int, seed: int = 0) -> tuple[Any, np.ndarray]:
    """A random csr matrix (n x n, about ``nnz`` stored values; duplicates summed) and a dense n x k matrix."""
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(0, n, nnz), rng.integers(0, n, nnz)
    matrix = sp.coo_matrix((rng.normal(size=nnz), (rows, cols)), shape=(n, n)).tocsr()
    return matrix, rng.normal(size=(n, k))


def arignote_peer(matrix: Any, dense: np.ndarray, threads: int | None) -> Callable[[], Any]:
    ar = peers.arignote()
    mode = ar.get_mode("fast_run") if threads is None else ar.get_mode("fast_run").with_options(threads=threads)
    x, d = ar.sparse.csr_matrix("x"), ar.dmatrix("d")
    f = ar.function([x, d], ar.sparse.structured_dot(x, d), mode=mode)
    np.testing.assert_allclose(f(matrix, dense), matrix @ dense, rtol=1e-10, atol=1e-10)
    return lambda: f(matrix, dense)


def torch_peer(matrix: Any, dense: np.ndarray) -> Callable[[], Any] | str:
    try:
        torch = peers.torch()
    except ImportError as exc:
        return f"not installed ({exc})"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse csr support is in beta"
        a = torch.sparse_csr_tensor(torch.from_numpy(matrix.indptr.astype(np.int64)),
                                    torch.from_numpy(matrix.indices.astype(np.int64)),
                                    torch.from_numpy(matrix.data), size=matrix.shape, check_invariants=False)
    b = torch.from_numpy(dense)
    np.testing.assert_allclose((a @ b).numpy(), matrix @ dense, rtol=1e-10, atol=1e-10)
    return lambda: a @ b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 10x smaller problem, fewer repeats")
    args = parser.parse_args()
    n, nnz, k = (10**4, 10**5, 64) if args.quick else (10**5, 10**6, 64)
    repeats = 5 if args.quick else 9
    matrix, dense = problem(n, nnz, k)
    fns: dict[str, Callable[[], Any]] = {"scipy.sparse": lambda: matrix @ dense,
                                         "arignote C": arignote_peer(matrix, dense, None),
                                         "arignote C (1 thread)": arignote_peer(matrix, dense, 1)}
    notes = []
    torch_fn = torch_peer(matrix, dense)
    if isinstance(torch_fn, str):
        notes.append(f"PyTorch skipped: {torch_fn}")
    else:
        fns["torch (sparse csr)"] = torch_fn
    times = median_times(fns, repeats=repeats, min_time=0.3)
    base = times["scipy.sparse"]
    lines = [f"# Sparse x dense (csr {n} x {n}, {matrix.nnz} stored values, times dense {n} x {k}, float64)", "",
             f"Machine: {platform.machine()}, {peers.THREADS} thread(s) (`BENCH_THREADS`), shared with other work; "
             f"medians of {repeats} interleaved repeats "
             f"(`benchmarks/sparse_times_dense.py`{' --quick' if args.quick else ''}).",
             "", "| peer | median (ms) | ratio to SciPy |", "|---|---:|---:|"]
    lines += [f"| {name} | {t * 1e3:.2f} | {t / base:.2f}x |" for name, t in times.items()]
    lines += [""] + [f"- {note}" for note in notes]
    text = "\n".join(lines).rstrip() + "\n"
    print(text)
    if not args.quick:
        RESULTS.write_text(text)


if __name__ == "__main__":
    main()
