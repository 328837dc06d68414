"""GEMM on a GPU: the CUDA backend's tiled kernel against cuBLAS on the same ``n x n`` float32 operands (4096 by
default, ``GEMM_SIZE``), in the same run, and their ratio (issue 19's target: the kernel at least 0.90 of
cuBLAS's speed). Each is timed on device-resident operands, launches queued and one synchronization, best of 3
rounds; the two results are compared. ``benchmarks/gpu_check.sh`` runs it; without a GPU it says so and exits 0.

    python benchmarks/gpu_gemm.py
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import numpy as np

import arignote_core as ac
from arignote_c.cache import default_cache_dir
from arignote_c.cache_site import cache_site
from arignote_cuda.device_array import DeviceArray
from arignote_cuda.environment import require_gpu
from arignote_cuda.errors import CudaUnavailable
from arignote_cuda.lowering import lower
from arignote_cuda.memory import MemoryPool
from arignote_cuda.ops.gemm import Problem, pack_args
from arignote_cuda.ops.gemm_kernels import tile_for
from arignote_cuda.ptx import DEFAULT_ARCH, PtxBuilder, find_ptx_compiler
from arignote_cuda.pycuda_driver import PyCudaDriver


def main() -> int:
    try:
        require_gpu()
    except CudaUnavailable as exc:
        print(f"gpu_gemm: no GPU here, nothing to time ({exc})")
        return 0
    return run(int(os.environ.get("GEMM_SIZE", "4096")))


def timed(run: Callable[[], object], synchronize: Callable[[], None], repeats: int = 10) -> float:
    """Seconds per run: the best of 3 rounds of ``repeats`` runs queued, then one synchronization."""
    run()
    synchronize()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            run()
        synchronize()
        best = min(best, (time.perf_counter() - start) / repeats)
    return best


def run(n: int) -> int:
    driver = PyCudaDriver(PtxBuilder(find_ptx_compiler(), cache_site(default_cache_dir()).current(), DEFAULT_ARCH))
    print(f"device: {driver.name}")
    node = ac.dot(ac.fmatrix("a"), ac.fmatrix("b")).owner
    plan = lower(node)
    gemm = plan.kernels[1]
    function = driver.get_function(driver.load_module(list(plan.kernels)), gemm)
    pool = MemoryPool(driver)
    rng = np.random.default_rng(0)
    a = DeviceArray.from_host(pool, rng.standard_normal((n, n), dtype=np.float32))
    b = DeviceArray.from_host(pool, rng.standard_normal((n, n), dtype=np.float32))
    ours, theirs = DeviceArray(pool, (n, n), np.float32), DeviceArray(pool, (n, n), np.float32)
    flag = DeviceArray.from_host(pool, np.zeros(1, dtype=np.int32))
    st = {"sam": n, "sak": 1, "sbk": n, "sbn": 1, "scm": 0, "scn": 0, "som": n, "son": 1}
    args = pack_args(Problem(n, n, n, a, b, ours, st), gemm, 0, flag.pointer)
    tile = tile_for("float32")
    grid = -(-n // tile.bm) * -(-n // tile.bn)
    flops = 2.0 * n**3

    t_kernel = timed(lambda: driver.launch(function, grid, tile.threads, 0, args), driver.synchronize)
    print(f"tiled GEMM kernel, {n}^3 float32: {t_kernel * 1e3:.3f} ms, {flops / t_kernel / 1e12:.2f} TFLOP/s "
          f"({grid} blocks of {tile.threads} threads, {tile.bm} x {tile.bn} tiles)")
    assert flag.get()[0] == 0
    blas = driver.blas()
    if blas is None:
        print("cuBLAS: not found (pip install nvidia-cublas-cu12): no ratio")
        return 0
    # row-major C = A B is column-major C^T = B^T A^T: cuBLAS reads both as they lie
    t_blas = timed(lambda: blas.gemm("float32", False, False, n, n, n, 1.0, b.pointer, n, a.pointer, n, 0.0,
                                     theirs.pointer, n), driver.synchronize)
    print(f"cuBLAS sgemm,      {n}^3 float32: {t_blas * 1e3:.3f} ms, {flops / t_blas / 1e12:.2f} TFLOP/s")
    got, want = ours.get(), theirs.get()
    error = float(np.abs(got - want).max() / np.abs(want).max())
    print(f"largest difference from cuBLAS's result, relative to its largest element: {error:.2e}")
    print(f"GEMM ratio (cuBLAS time / kernel time): {t_blas / t_kernel:.2f} (target >= 0.90)")
    return 0 if error < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
