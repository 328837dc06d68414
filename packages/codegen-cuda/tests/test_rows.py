"""Softmax, log-softmax and logsumexp as row kernels (``ops/rows.py``), emulated: values against SciPy over
rows along any axes of strided, transposed and broadcast inputs, a warp per short row and a block per long one
(the row cached in shared memory or read again), NaN and infinite rows as the reference gives them, two launch
geometries; broken copies of the kernel fail; every variant compiles to PTX without local memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.special
from mutants import run_mutant

import arignote_core as ac
from arignote_c.cache import ModuleCache
from arignote_core import function
from arignote_core.graph import Apply
from arignote_core.mode import Mode, get_mode
from arignote_cuda import CudaBackend
from arignote_cuda.lowering import lower
from arignote_cuda.nvrtc import find_nvrtc
from arignote_cuda.ops.rows import CACHE_BYTES, WARP_ROW
from arignote_cuda.ptx import PtxBuilder, module_text

#: (threads per block, most blocks): two warps over a grid-stride loop of three blocks; one warp, one block
GEOMETRIES = [(64, 3), (32, 1)]
#: the conformance suite's float32 tolerance (the oracle is SciPy in float64); float64 tighter than its
TOLERANCE = {"float32": dict(rtol=2e-5, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-14)}


def _mode(cache_dir: Path, block: int = 64, max_grid: int = 3) -> Mode:
    return Mode(backend=CudaBackend(), options={"emulate": True, "cache_dir": str(cache_dir), "block": block,
                                                "max_grid": max_grid})


def _functions(ndim: int, dtype: str, axis: Any, mode: Mode) -> Any:
    x = ac.tensor("x", dtype=dtype, shape=(None,) * ndim)
    outs = [ac.softmax(x, axis=axis), ac.log_softmax(x, axis=axis), ac.logsumexp(x, axis=axis),
            ac.logsumexp(x, axis=axis, keepdims=True)]
    return function([x], outs, mode=mode)


def _scipy(x: np.ndarray, axis: Any) -> list[np.ndarray]:
    wide = x.astype(np.float64)
    if x.size == 0:
        soft = [np.empty(x.shape), np.empty(x.shape)]   # SciPy refuses empty softmax; it is empty
    else:
        soft = [scipy.special.softmax(wide, axis=axis), scipy.special.log_softmax(wide, axis=axis)]
    with np.errstate(divide="ignore"):
        lse = [scipy.special.logsumexp(wide, axis=axis), scipy.special.logsumexp(wide, axis=axis, keepdims=True)]
    return [np.asarray(v).astype(x.dtype) for v in [*soft, *lse]]


def _check(f: Any, x: np.ndarray, axis: Any) -> None:
    got = f(x)
    for name, g, want in zip(["softmax", "log_softmax", "logsumexp", "logsumexp keepdims"], got, _scipy(x, axis),
                             strict=True):
        assert g.shape == want.shape and g.dtype == want.dtype, name
        np.testing.assert_allclose(g, want, **TOLERANCE[x.dtype.name], err_msg=f"{name}, axis {axis}")


def _kernels_only(f: Any) -> None:
    """Every node of ``f`` ran as a kernel: the four ops, no host step."""
    report = f.report()
    assert report.count("  kernel ") == 4 and "host" not in report.split("\n", 2)[2], report


@pytest.mark.parametrize(("block", "max_grid"), GEOMETRIES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rows_of_matrices_agree_with_scipy(cache_dir: Path, dtype: str, block: int, max_grid: int) -> None:
    f = _functions(2, dtype, 1, _mode(cache_dir, block, max_grid))
    _kernels_only(f)
    rng = np.random.default_rng(0)
    # short rows (a warp each, several per block), long ones (a block each), single elements, none
    for shape in [(130, 7), (3, 1000), (1, 1), (0, 5), (5, 0), (9, WARP_ROW), (4, WARP_ROW + 1)]:
        _check(f, (rng.standard_normal(shape) * 3).astype(dtype), 1)


@pytest.mark.parametrize(("block", "max_grid"), GEOMETRIES)
def test_rows_along_any_axes_of_strided_transposed_and_broadcast_inputs(cache_dir: Path, block: int,
                                                                         max_grid: int) -> None:
    mode = _mode(cache_dir, block, max_grid)
    rng = np.random.default_rng(1)
    cube = rng.standard_normal((6, 70, 9)).transpose(1, 2, 0)[::3]   # 24 x 9 x 6, no contiguous axis
    for axis in [0, 1, 2, -1, (0, 1), (0, 2), (1, 2), None]:
        _check(_functions(3, "float64", axis, mode), cube, axis)
    f = _functions(2, "float64", 0, mode)
    _check(f, rng.standard_normal((50, 7)).T, 0)                        # transposed: rows contiguous
    _check(f, rng.standard_normal((40, 30))[::-2, 1::3], 0)             # reversed and strided
    _check(f, np.broadcast_to(rng.standard_normal(11), (300, 11)), 0)  # rows of one repeated value (stride 0)
    column = rng.standard_normal((5, 1)).astype(np.float32)
    _check(_functions(2, "float32", 1, mode), np.broadcast_to(column, (5, 600)), 1)


def test_a_long_row_not_cached_is_read_again(cache_dir: Path) -> None:
    m = CACHE_BYTES // 8 + 100   # float64 rows longer than the shared-memory cache
    rng = np.random.default_rng(2)
    f = _functions(2, "float64", 1, _mode(cache_dir))
    _check(f, rng.standard_normal((2, m)) * 5, 1)
    _check(f, rng.standard_normal((m, 2)).T, 1)   # and strided


@pytest.mark.parametrize("m", [7, 600])   # a warp's row, a block's row
def test_nan_and_infinite_rows_as_the_reference_gives_them(cache_dir: Path, m: int) -> None:
    x = np.random.default_rng(3).standard_normal((5, m))
    x[0, 3] = np.inf
    x[1] = -np.inf
    x[2, m - 1] = np.nan
    x[3, 0], x[3, 2] = np.inf, -np.inf
    f = _functions(2, "float64", 1, _mode(cache_dir))
    soft, log_soft, lse, _ = f(x)
    reference = function([v := ac.dmatrix("x")], [ac.softmax(v), ac.log_softmax(v), ac.logsumexp(v, axis=1)],
                         mode="reference")
    for got, want in zip([soft, log_soft, lse], reference(x), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13, equal_nan=True)
    # the naive formula's results: exp(inf) / inf, 0 / 0, NaN everywhere
    assert np.isnan(soft[0, 3]) and np.all(soft[0, np.arange(m) != 3] == 0) and np.all(np.isnan(soft[1:3]))
    assert np.all(log_soft[0, np.arange(m) != 3] == -np.inf) and np.all(np.isnan(log_soft[1:3]))
    assert lse[0] == np.inf and lse[1] == -np.inf and np.isnan(lse[2]) and lse[3] == np.inf
    np.testing.assert_allclose(soft[4], scipy.special.softmax(x[4]), rtol=1e-13)


def test_the_named_mode_keeps_the_ops_whole_for_the_row_kernels(cache_dir: Path) -> None:
    # graph-opt lowers these ops to max, exp, sum and divide (tag "lower_special"): four passes over memory; the
    # cuda mode leaves that rule set out
    mode = get_mode("cuda-emulated").with_options(cache_dir=str(cache_dir), block=64, max_grid=3)
    x = ac.fmatrix("x")
    f = function([x], ac.softmax(x * 2, axis=1), mode=mode)
    assert "Softmax{axes=[1]}" in f.report()
    xv = np.random.default_rng(5).standard_normal((6, 500)).astype(np.float32)
    np.testing.assert_allclose(f(xv), scipy.special.softmax(xv * 2, axis=1), **TOLERANCE["float32"])


def test_huge_logits_neither_overflow_nor_underflow(cache_dir: Path) -> None:
    x = (np.random.default_rng(4).standard_normal((4, 300)) * 1000).astype(np.float32)
    _check(_functions(2, "float32", 1, _mode(cache_dir)), x, 1)


# ---------------------------------------------------------------------------------------------------------
# broken kernels must fail


def _softmax_node() -> Apply:
    node = ac.softmax(ac.dmatrix("x"), axis=1).owner
    assert node is not None
    return node


def _rising_rows(rows: int, m: int) -> np.ndarray:
    """Fresh random rows (stale memory must not look right) whose max, rising from row to row, lies with the
    second warp, and whose sums differ: a warp that reads the other's partial result too early (the previous
    row's) takes another shift or another sum."""
    x = np.random.default_rng().standard_normal((rows, m)) * 2
    x[:, 40] = 10.0 + np.arange(rows)
    return x


def test_the_unbroken_kernel_runs_through_the_same_harness(cache_dir: Path) -> None:
    x = _rising_rows(7, 300)
    got = run_mutant(cache_dir, _softmax_node(), [x], "__syncthreads();", "__syncthreads();")[0]
    np.testing.assert_allclose(got, scipy.special.softmax(x, axis=1), rtol=1e-13)


@pytest.mark.parametrize("old", ["__syncthreads();  // the warps' maxima", "__syncthreads();  // the warps' sums"])
def test_a_missing_barrier_fails(cache_dir: Path, old: str) -> None:
    x = _rising_rows(7, 300)
    got = run_mutant(cache_dir, _softmax_node(), [x], old, "")[0]
    assert not np.allclose(got, scipy.special.softmax(x, axis=1), rtol=1e-6), old


@pytest.mark.parametrize(("old", "new", "m"), [
    ("j * a.rstrides[0][0]", "j * a.rstrides[1][0]", 300),   # the output's row stride for the input's
    ("j * a.rstrides[0][0]", "j * a.rstrides[1][0]", 20),    # the same, a warp per row
    ("b0 = 0 + o * a.strides[0][0]", "b0 = 0 + (o / 2) * a.strides[0][0]", 300),   # rows read twice
])
def test_a_wrong_stride_fails(cache_dir: Path, old: str, new: str, m: int) -> None:
    x = np.random.default_rng().standard_normal((m, 7)).T   # elements 7 apart, the output's 1 apart
    got = run_mutant(cache_dir, _softmax_node(), [x], old, new)[0]
    assert not np.allclose(got, scipy.special.softmax(x, axis=1), rtol=1e-6)


def test_a_short_warp_butterfly_fails(cache_dir: Path) -> None:
    x = np.random.default_rng().standard_normal((9, 20))   # a warp per row: its butterfly is the whole reduction
    got = run_mutant(cache_dir, _softmax_node(), [x], "for (int off = 16;", "for (int off = 8;")[0]
    assert not np.allclose(got, scipy.special.softmax(x, axis=1), rtol=1e-6)


@pytest.mark.skipif(find_nvrtc() is None, reason="no NVRTC (pip install nvidia-cuda-nvrtc-cu12)")
def test_every_row_kernel_compiles_to_ptx_without_local_memory(cache_dir: Path) -> None:
    kernels = []
    for dtype in ("float32", "float64"):
        x = ac.tensor("x", dtype=dtype, shape=(None, None))
        for out in (ac.softmax(x), ac.log_softmax(x), ac.logsumexp(x, axis=1)):
            assert out.owner is not None
            kernels += lower(out.owner).kernels
    ptx = PtxBuilder(find_nvrtc(), ModuleCache(cache_dir)).build(module_text(kernels))
    for kernel in kernels:
        assert f".entry {kernel.name}(" in ptx
    assert ".local" not in ptx
    assert ".shared" in ptx   # the row cache and the warps' partial results
