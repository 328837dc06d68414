"""The emulation runs the kernels' logic, so that a bug in their index arithmetic, reduction tree or barriers
fails without a GPU: the kernels agree with NumPy over strided, broadcast and transposed operands, every set of
reduced axes and several launch geometries, and deliberately broken copies of them fail."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from mutants import run_mutant

import arignote_core as ac
from arignote_core import function
from arignote_core.graph import Apply
from arignote_core.mode import Mode
from arignote_cuda import CudaBackend

#: (threads per block, most blocks): one warp, a grid-stride loop over few blocks, many warps, the largest block
GEOMETRIES = [(32, 1), (64, 3), (128, 4), (1024, 2)]


def _mode(cache_dir: Path, block: int, max_grid: int) -> Mode:
    return Mode(backend=CudaBackend(), options={"emulate": True, "cache_dir": str(cache_dir), "block": block,
                                                "max_grid": max_grid})


@pytest.mark.parametrize(("block", "max_grid"), GEOMETRIES)
def test_elementwise_over_strided_broadcast_and_transposed_operands(cache_dir: Path, block: int,
                                                                     max_grid: int) -> None:
    x, y, z = ac.dtensor3("x"), ac.dmatrix("y"), ac.lvector("z")
    f = function([x, y, z], ac.exp(-(x**2)) * ac.sin(y) + x * z, mode=_mode(cache_dir, block, max_grid))
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((4, 30, 14))[:, ::2, ::-1]           # strided, reversed
    yv = rng.standard_normal((14, 15)).T                           # transposed
    zv = np.arange(14, dtype=np.int64)                             # broadcast over two axes
    np.testing.assert_allclose(f(xv, yv, zv), np.exp(-(xv**2)) * np.sin(yv) + xv * zv, rtol=1e-13)


@pytest.mark.parametrize(("block", "max_grid"), GEOMETRIES)
def test_reductions_over_every_set_of_axes(cache_dir: Path, block: int, max_grid: int) -> None:
    x = ac.dtensor3("x")
    rng = np.random.default_rng(1)
    xv = rng.standard_normal((6, 70, 9)).transpose(1, 2, 0)[::3]   # 24 x 9 x 6, no contiguous axis
    mode = _mode(cache_dir, block, max_grid)
    for count in range(4):
        for axes in itertools.combinations(range(3), count):
            f = function([x], [x.sum(axis=axes), x.max(axis=axes), (x * x).prod(axis=axes)], mode=mode)
            for got, want in zip(f(xv), [xv.sum(axis=axes), xv.max(axis=axes), (xv * xv).prod(axis=axes)],
                                 strict=True):
                np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=f"axes {axes}")


@pytest.mark.parametrize("where", [0, 31, 32, 63, 64, 199])
def test_a_nan_anywhere_wins_the_maximum(cache_dir: Path, where: int) -> None:
    x = ac.fvector("x")
    f = function([x], x.max(), mode=_mode(cache_dir, 64, 2))
    values = np.arange(200, dtype=np.float32)
    values[where] = np.nan
    assert np.isnan(f(values))


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_signed_integers_wrap_around_as_numpys(emulated_fused: Mode, dtype: str) -> None:
    """Sums, differences, products and negations of int32 and int64 wrap as NumPy's; the kernels spell them in
    unsigned arithmetic, so no optimizer may assume they cannot overflow: clip(x - 127, x - 127, x) is x at the
    smallest integer (fuzz case 777:90 gave x - 127 where the compiler took x - 127 < x for granted)."""
    x = ac.tensor(dtype, (None,), "x")
    low = x - 127
    f = function([x], [low, x * 3, -x, x + x, ac.clip(low, low, x)], mode=emulated_fused)  # fused, as the named modes
    info = np.iinfo(dtype)
    xv = np.array([info.min, info.max, 0, -1, info.min + 100], dtype=dtype)
    with np.errstate(over="ignore"):
        want = [xv - 127, xv * 3, -xv, xv + xv, np.clip(xv - 127, xv - 127, xv)]
    for got, expected in zip(f(xv), want, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_integer_power_with_a_negative_exponent_raises(emulated: Mode) -> None:
    x, y = ac.lvector("x"), ac.lvector("y")
    f = function([x, y], x**y, mode=emulated)
    with pytest.raises(ValueError, match="negative integer powers"):
        f(np.arange(100), np.r_[np.arange(99), -1])


# ---------------------------------------------------------------------------------------------------------
# broken kernels must fail


def _sum_node() -> tuple[Apply, list[np.ndarray], np.ndarray]:
    x = ac.dmatrix("x")
    values = np.random.default_rng().standard_normal((5, 300))  # fresh: stale memory must not look right
    node = x.sum(axis=1).owner
    assert node is not None
    return node, [values], values.sum(axis=1)


def test_the_unbroken_reduction_runs_through_the_same_harness(cache_dir: Path) -> None:
    node, values, want = _sum_node()
    (got,) = run_mutant(cache_dir, node, values, "__syncthreads();", "__syncthreads();")
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize(("old", "new", "what"), [
    ("__syncthreads();", "", "the barrier before warp 0 reads the warps' partial results"),
    ("for (int off = 16;", "for (int off = 8;", "a warp reduction that skips the upper half-warp"),
    ("acc = lane < warps ? partial[lane]", "acc = lane < 1 ? partial[lane]", "partial results of one warp"),
    ("j += blockDim.x", "j += blockDim.x * 2", "a block-stride loop that skips elements"),
    ("o += gridDim.x", "o += gridDim.x + 1", "a grid-stride loop that skips outputs"),
])
def test_a_broken_reduction_tree_fails(cache_dir: Path, old: str, new: str, what: str) -> None:
    node, values, want = _sum_node()
    (got,) = run_mutant(cache_dir, node, values, old, new)
    assert not np.allclose(got, want, rtol=1e-12), what


def test_a_barrier_that_not_every_thread_reaches_is_an_error(cache_dir: Path) -> None:
    node, values, _ = _sum_node()
    with pytest.raises(RuntimeError, match="not every thread"):
        run_mutant(cache_dir, node, values, "__syncthreads();", "if (threadIdx.x < 32) __syncthreads();")


@pytest.mark.parametrize(("old", "new"), [
    ("r /= a.shape[d];", ""),                                   # the flat index not divided down
    ("const int64_t c = r % a.shape[d];", "const int64_t c = r % (a.shape[d] + 1);"),
    ("i += step", "i += step + 1"),                             # a grid-stride loop that skips elements
])
def test_broken_index_arithmetic_fails(cache_dir: Path, old: str, new: str) -> None:
    x, y = ac.dmatrix("x"), ac.dvector("y")
    node = (x + y).owner
    assert node is not None
    xv = np.random.default_rng().standard_normal((40, 48))[::2, ::3]   # 20 x 16: no dimension merges
    yv = np.arange(16.0)
    (got,) = run_mutant(cache_dir, node, [xv, yv], old, new)
    assert not np.allclose(got, xv + yv)
