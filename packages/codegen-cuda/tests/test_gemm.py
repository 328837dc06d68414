"""Matrix products on the device (``ops/gemm.py``): the tiled GEMM and the GEMV kernels, emulated, against NumPy
over edge tiles, empty and degenerate sizes, transposed and strided views, batches and the BLAS forms' alpha,
beta and bias shapes; broken copies of the GEMM that must fail; the PTX; and the cuBLAS path through a fake
libcublas that checks each call's arguments and computes with NumPy on the emulated memory."""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

import arignote_core as ac
from arignote_c.cache import ModuleCache
from arignote_c.emit.context import EmitContext
from arignote_core import function
from arignote_core.graph import Apply
from arignote_core.mode import Mode
from arignote_core.tensors.blas_ops import Gemm, Gemv
from arignote_cuda import CudaBackend, pycuda_driver
from arignote_cuda.cublas import CuBlas, find_cublas
from arignote_cuda.device_array import DeviceArray
from arignote_cuda.dialect import CUDA_DIALECT
from arignote_cuda.emulation.build import EmulatedLibrary, find_cxx
from arignote_cuda.emulation.driver import EmulatedDriver
from arignote_cuda.environment import describe
from arignote_cuda.lowering import lower
from arignote_cuda.memory import MemoryPool
from arignote_cuda.nvrtc import find_nvrtc
from arignote_cuda.ops.gemm import product_plan
from arignote_cuda.ops.gemm_kernels import Tile
from arignote_cuda.plan import Geometry, KernelPlan, LaunchContext
from arignote_cuda.ptx import PtxBuilder, module_text
from arignote_opt import standard_rewriter

#: (threads per block of the GEMV, most blocks): two warps over three blocks; one warp, one block
GEOMETRIES = [(64, 3), (32, 1)]
#: a small tile (64 threads, 32 x 32 outputs), so that small matrices span several tiles and blocks
SMALL_TILE = Tile(bm=32, bn=32, bk=8, tm=4, tn=4, vec=4)
REPO = Path(__file__).resolve().parents[3]


def _mode(cache_dir: Path, block: int = 64, max_grid: int = 3) -> Mode:
    return Mode(backend=CudaBackend(), options={"emulate": True, "cache_dir": str(cache_dir), "block": block,
                                                "max_grid": max_grid})


def _on_host(f: Any) -> int:
    """How many nodes of ``f`` its report says run on the host."""
    found = re.search(r"(\d+) node\(s\) on the host", f.report())
    assert found is not None
    return int(found.group(1))


def _random(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    return rng.standard_normal(shape).astype(dtype)


def _assert_product(got: Any, want: np.ndarray, a: np.ndarray, b: np.ndarray, extra: Any = 0.0) -> None:
    """``got`` within the rounding error bound of a sum of ``k`` products (relative to ``|a| @ |b|``, so that
    cancellation does not fail it): the dtype's epsilon times ``k``, with a margin; plus ``extra``, the size of
    an added term."""
    got = np.asarray(got)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype, want.shape, want.dtype)
    k = a.shape[-1] if a.ndim else 1
    scale = np.abs(np.matmul(np.abs(a.astype("float64")), np.abs(b.astype("float64")))) if a.size and b.size \
        else np.zeros(want.shape)
    eps = np.finfo(want.dtype).eps
    bound = 2 * eps * (max(k, 1) + 2) * scale + np.abs(extra) * 2 * eps + np.finfo(want.dtype).tiny
    assert np.all(np.abs(got.astype("float64") - want) <= np.broadcast_to(bound, want.shape)), \
        np.abs(got.astype("float64") - want).max()


SHAPES = [((0, 5), (5, 4)), ((3, 0), (0, 4)), ((1, 1), (1, 1)), ((37, 53), (53, 29)), ((70, 130), (130, 66)),
          ((5, 7), (7, 1)), ((1, 9), (9, 6)), ((4, 3), (3, 0))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matrix_products_agree_with_numpy(cache_dir: Path, dtype: str) -> None:
    a, b = ac.matrix("a", dtype=dtype), ac.matrix("b", dtype=dtype)
    f = function([a, b], [ac.dot(a, b), ac.matmul(a, b)], mode=_mode(cache_dir))
    assert _on_host(f) == 0 and "tiled GEMM kernel" in f.report()
    rng = np.random.default_rng(1)
    for sa, sb in SHAPES:
        av, bv = _random(rng, sa, dtype), _random(rng, sb, dtype)
        for got in f(av, bv):
            _assert_product(got, av @ bv, av, bv)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nan_and_inf_propagate_as_in_numpy(cache_dir: Path, dtype: str) -> None:
    """Padding of edge tiles multiplies zeros only into outputs that are not stored: an infinity next to an edge
    makes no NaN elsewhere."""
    a, b = ac.matrix("a", dtype=dtype), ac.matrix("b", dtype=dtype)
    f = function([a, b], ac.dot(a, b), mode=_mode(cache_dir))
    av, bv = np.ones((37, 53), dtype), np.ones((53, 29), dtype)
    av[36, 52], av[0, 0], bv[52, 28], bv[3, 7], bv[4, 7] = np.inf, np.nan, np.inf, np.inf, -np.inf
    with np.errstate(invalid="ignore"):
        got, want = f(av, bv), av @ bv
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[np.isinf(want)], want[np.isinf(want)])


def test_several_tiles_and_blocks_in_float32(cache_dir: Path) -> None:
    """float32's 128 x 128 tiles: 150 x 140 spans 2 x 2 of them, taken by 3 blocks in a grid-stride loop."""
    a, b = ac.fmatrix("a"), ac.fmatrix("b")
    f = function([a, b], ac.dot(a, b), mode=_mode(cache_dir, max_grid=3))
    rng = np.random.default_rng(2)
    av, bv = _random(rng, (150, 21), "float32"), _random(rng, (21, 140), "float32")
    _assert_product(f(av, bv), av @ bv, av, bv)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_views_are_read_where_they_lie(cache_dir: Path, dtype: str) -> None:
    """Transposed, Fortran-ordered, every-other-row, reversed and column-strided operands, uploaded as they lie
    (their strides kept) and read by the kernel in place."""
    a, b = ac.matrix("a", dtype=dtype), ac.matrix("b", dtype=dtype)
    f = function([a, b], ac.dot(a, b), mode=_mode(cache_dir))
    rng = np.random.default_rng(3)
    big, other = _random(rng, (80, 45), dtype), _random(rng, (45, 80), dtype)
    cases = [(big[::2], other[:, :33]), (other.T, big[:45, :20]), (np.asfortranarray(big[:33, :45]),
             np.asfortranarray(other[:, 5:36])), (big[::-1, ::2][:9, :17], other[:17, ::-3]),
             (big.T[:, 3:40], other.T[3:40, ::2])]
    for av, bv in cases:
        _assert_product(f(av, bv), av @ bv, av, bv)


@pytest.mark.parametrize(("block", "max_grid"), GEOMETRIES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_vector_products(cache_dir: Path, dtype: str, block: int, max_grid: int) -> None:
    """Vector . vector (a block reduction), matrix . vector (a block per row, or a thread per row where the
    matrix is transposed), vector . matrix (the transposed problem)."""
    m, v, w = ac.matrix("m", dtype=dtype), ac.vector("v", dtype=dtype), ac.vector("w", dtype=dtype)
    f = function([m, v, w], [ac.dot(m, v), ac.dot(w, m), ac.dot(v, v), ac.matmul(m, v), ac.matmul(w, m)],
                 mode=_mode(cache_dir, block, max_grid))
    assert "GEMV kernel" in f.report() and _on_host(f) == 0
    rng = np.random.default_rng(4)
    for rows, k in [(70, 130), (100, 37), (1, 1), (3, 0), (0, 4)]:
        # row-major (a block per row) and transposed (a thread per row where there are enough rows)
        for mv in (_random(rng, (rows, k), dtype)[:, ::-1], _random(rng, (k, rows), dtype).T):
            vv, wv = _random(rng, (k,), dtype), _random(rng, (rows,), dtype)
            mv_, wm, vv_, mmv, mwm = f(mv, vv, wv)
            _assert_product(mv_, mv @ vv, mv, vv)
            _assert_product(wm, wv @ mv, wv, mv)
            _assert_product(vv_, np.dot(vv, vv), vv, vv)
            _assert_product(mmv, mv @ vv, mv, vv)
            _assert_product(mwm, wv @ mv, wv, mv)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batched_matmul_broadcasts_its_batch_axes(cache_dir: Path, dtype: str) -> None:
    x, y = ac.tensor4("x", dtype=dtype), ac.tensor3("y", dtype=dtype)
    u, v = ac.tensor3("u", dtype=dtype), ac.vector("v", dtype=dtype)
    f = function([x, y, u, v], [ac.matmul(x, y), ac.matmul(u, v), ac.matmul(v, u)], mode=_mode(cache_dir))
    rng = np.random.default_rng(5)
    xv = _random(rng, (2, 1, 13, 9), dtype)
    yv = _random(rng, (5, 11, 9), dtype).transpose(0, 2, 1)         # each matrix transposed in memory
    ut, vv = _random(rng, (3, 9, 9), dtype)[:, ::2].transpose(0, 2, 1)[:, :5], _random(rng, (5,), dtype)
    got_xy, got_uv, got_vu = f(xv, yv, ut, vv)
    _assert_product(got_xy, xv @ yv, xv, yv)
    _assert_product(got_uv, ut @ vv, ut, vv)
    _assert_product(got_vu, vv @ ut, vv, ut)
    empty = function([u, y], ac.matmul(u, y), mode=_mode(cache_dir))
    ue, ye = np.ones((2, 3, 0), dtype), np.ones((2, 0, 4), dtype)
    np.testing.assert_array_equal(empty(ue, ye), np.zeros((2, 3, 4), dtype))


def _gemm_inputs(rng: np.random.Generator, dtype: str, m: int, k: int, n: int, ta: bool, tb: bool
                 ) -> tuple[np.ndarray, np.ndarray]:
    av = _random(rng, (k, m) if ta else (m, k), dtype)
    bv = _random(rng, (n, k) if tb else (k, n), dtype)
    return av, bv


@pytest.mark.parametrize(("ta", "tb"), [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gemm_scales_adds_and_broadcasts_its_bias(cache_dir: Path, dtype: str, ta: bool, tb: bool) -> None:
    c2, c1, c0 = ac.matrix("c", dtype=dtype), ac.vector("c", dtype=dtype), ac.scalar("c", dtype=dtype)
    a, b = ac.matrix("a", dtype=dtype), ac.matrix("b", dtype=dtype)
    alpha, beta = ac.scalar("alpha", dtype=dtype), ac.scalar("beta", dtype=dtype)
    op = Gemm(ta, tb)
    f = function([c2, c1, c0, alpha, a, b, beta], [op(c2, alpha, a, b, beta), op(c1, alpha, a, b, beta),
                                                   op(c0, alpha, a, b, beta)], mode=_mode(cache_dir))
    rng = np.random.default_rng(6)
    for m, k, n in [(37, 53, 29), (5, 0, 3), (1, 4, 6), (6, 4, 1)]:
        av, bv = _gemm_inputs(rng, dtype, m, k, n, ta, tb)
        opa, opb = (av.T if ta else av), (bv.T if tb else bv)
        cv2, cv1, cv0 = _random(rng, (m, n), dtype), _random(rng, (n,), dtype), _random(rng, (), dtype)
        for al, be in [(1.5, -0.5), (-2.0, 0.0), (0.0, 2.0)]:
            al_, be_ = np.asarray(al, dtype), np.asarray(be, dtype)
            got = f(cv2, cv1, cv0, al_, av, bv, be_)
            for out, cv in zip(got, (cv2, cv1, cv0), strict=True):
                want = al_ * (opa @ opb) + (be_ * cv if be else 0)
                _assert_product(out, np.asarray(want, dtype), opa, opb * abs(al), be_ * cv)


def test_gemm_with_beta_zero_does_not_read_c(cache_dir: Path) -> None:
    c, a, b = ac.dmatrix("c"), ac.dmatrix("a"), ac.dmatrix("b")
    f = function([c, a, b], Gemm()(c, 2.0, a, b, 0.0), mode=_mode(cache_dir))
    av, bv = np.arange(12.0).reshape(3, 4), np.ones((4, 5))
    np.testing.assert_array_equal(f(np.full((3, 5), np.nan), av, bv), 2 * av @ bv)


def test_gemm_broadcasts_a_one_row_product_to_the_bias(cache_dir: Path) -> None:
    """As ``perform``: a product of one row, at run time, broadcast to c's rows."""
    c, a, b = ac.dmatrix("c"), ac.dmatrix("a"), ac.dmatrix("b")
    f = function([c, a, b], Gemm()(c, 1.0, a, b, 1.0), mode=_mode(cache_dir))
    rng = np.random.default_rng(7)
    cv, av, bv = rng.standard_normal((4, 3)), rng.standard_normal((1, 5)), rng.standard_normal((5, 3))
    np.testing.assert_allclose(f(cv, av, bv), av @ bv + cv, rtol=1e-14)


@pytest.mark.parametrize(("block", "max_grid"), GEOMETRIES)
@pytest.mark.parametrize("ta", [False, True])
def test_gemv(cache_dir: Path, ta: bool, block: int, max_grid: int) -> None:
    y, a, x = ac.fvector("y"), ac.fmatrix("a"), ac.fvector("x")
    y0 = ac.fscalar("y0")
    alpha, beta = np.float32(0.5), np.float32(-1.5)
    f = function([y, y0, a, x], [Gemv(ta)(y, alpha, a, x, beta), Gemv(ta)(y0, alpha, a, x, beta),
                                 Gemv(ta)(y, alpha, a, x, np.float32(0))], mode=_mode(cache_dir, block, max_grid))
    rng = np.random.default_rng(8)
    for m, k in [(70, 130), (1, 9), (9, 1), (5, 0), (0, 5)]:
        av = _random(rng, (k, m) if ta else (m, k), "float32")
        opa = av.T if ta else av
        xv, yv, y0v = _random(rng, (k,), "float32"), _random(rng, (m,), "float32"), _random(rng, (), "float32")
        got = f(yv, y0v, av, xv)
        _assert_product(got[0], alpha * (opa @ xv) + beta * yv, opa, xv * alpha, beta * yv)
        _assert_product(got[1], alpha * (opa @ xv) + beta * y0v, opa, xv * alpha, beta * y0v)
        _assert_product(got[2], alpha * (opa @ xv), opa, xv * alpha)


def test_after_graph_opt_products_become_gemm_on_the_device(cache_dir: Path) -> None:
    a, b, c = ac.fmatrix("a"), ac.fmatrix("b"), ac.fvector("c")
    mode = Mode(backend=CudaBackend(), rewriter=standard_rewriter(strict=True),
                options={"emulate": True, "cache_dir": str(cache_dir)})
    f = function([a, b, c], 2 * ac.dot(a.T, b) + c, mode=mode)
    assert "Gemm" in f.report() and _on_host(f) == 0
    rng = np.random.default_rng(9)
    av, bv, cv = _random(rng, (20, 30), "float32"), _random(rng, (20, 40), "float32"), _random(rng, (40,), "float32")
    _assert_product(f(av, bv, cv), 2 * av.T @ bv + cv, av.T, 2 * bv, cv)


def test_other_dtypes_and_shapes_run_on_the_host(cache_dir: Path) -> None:
    i, t = ac.lmatrix("i"), ac.dtensor3("t")
    d = ac.dmatrix("d")
    f = function([i, t, d], [ac.dot(i, i), ac.dot(t, d)], mode=_mode(cache_dir))
    report = f.report()
    assert _on_host(f) == 2 and "int64" in report and "more than 2 dimensions" in report
    iv, tv, dv = np.arange(4).reshape(2, 2), np.ones((2, 3, 4)), np.ones((4, 2))
    np.testing.assert_array_equal(f(iv, tv, dv)[0], iv @ iv)


def test_mismatched_shapes_raise_numpys_error(cache_dir: Path) -> None:
    a, b = ac.dmatrix("a"), ac.dmatrix("b")
    f = function([a, b], ac.dot(a, b), mode=_mode(cache_dir))
    with pytest.raises(ValueError, match="not aligned"):
        f(np.ones((3, 4)), np.ones((3, 4)))


# ---------------------------------------------------------------------------------------------------------
# launches of a plan as the program makes them, and broken copies of the GEMM


#: two warps over three blocks: the launch of the hand-built plans' GEMVs and of the mutants
PLAN_GEOMETRY = Geometry(64, 3)


def _run_plan(cache_dir: Path, plan: KernelPlan, values: list[Any], geometry: Geometry = PLAN_GEOMETRY
              ) -> np.ndarray:
    driver = EmulatedDriver(EmulatedLibrary(ModuleCache(cache_dir), find_cxx()))
    module = driver.load_module(list(plan.kernels))
    functions = {k.name: driver.get_function(module, k) for k in plan.kernels}
    pool = MemoryPool(driver)
    err = DeviceArray.from_host(pool, np.zeros(1, dtype=np.int32))
    ctx = LaunchContext(driver, functions, pool, geometry, err.pointer)
    operands = set(plan.operands)
    args = [DeviceArray.from_host(pool, v) if i in operands else v for i, v in enumerate(values)]
    result = plan.run(plan, args, ctx)
    assert result is not None and err.get()[0] == 0
    return result[0].get()


def _dot_node(dtype: str = "float32") -> Apply:
    node = ac.dot(ac.matrix("a", dtype=dtype), ac.matrix("b", dtype=dtype)).owner
    assert node is not None
    return node


def _small_plan(node: Apply) -> KernelPlan:
    return product_plan(EmitContext(CUDA_DIALECT), node, tile=SMALL_TILE)


@pytest.mark.parametrize("geometry", [Geometry(64, 3), Geometry(64, 1)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_second_tile_geometry(cache_dir: Path, dtype: str, geometry: Geometry) -> None:
    """32 x 32 tiles of 64 threads: (70, 130) x (130, 66) spans 3 x 3 tiles, over 3 blocks or 1."""
    plan = _small_plan(_dot_node(dtype))
    rng = np.random.default_rng(10)
    for sa, sb in [((70, 130), (130, 66)), ((37, 53), (53, 29)), ((3, 0), (0, 40))]:
        av, bv = _random(rng, sa, dtype), _random(rng, sb, dtype)
        _assert_product(_run_plan(cache_dir, plan, [av, bv.T.copy().T], geometry), av @ bv, av, bv)


def _mutant(plan: KernelPlan, old: str, new: str, count: int = 1) -> KernelPlan:
    gemm = plan.kernels[1]
    assert gemm.text.count(old) >= count, old
    name = gemm.name + "_mutant" + str(abs(hash((old, new, count))))
    mutant = replace(gemm, name=name, text=gemm.text.replace(old, new, count).replace(gemm.name, name))
    return replace(plan, kernels=(plan.kernels[0], mutant))


def _edge_operands() -> tuple[np.ndarray, np.ndarray]:
    """(37 x 53) @ (53 x 29) with data past each operand's last k (strided views of larger arrays), so that a
    guard letting k = 53 through reads numbers, not zeros."""
    rng = np.random.default_rng()  # fresh: stale memory must not look right
    a = rng.uniform(1, 2, (37, 60))[:, :53]
    b = rng.uniform(1, 2, (29, 60))[:, :53].T
    return a.astype("float32"), b.astype("float32")


def test_the_unbroken_gemm_runs_through_the_same_harness(cache_dir: Path) -> None:
    plan = _mutant(_small_plan(_dot_node()), "__syncthreads();", "__syncthreads();")
    av, bv = _edge_operands()
    _assert_product(_run_plan(cache_dir, plan, [av, bv]), av @ bv, av, bv)


@pytest.mark.parametrize(("old", "new", "count", "what"), [
    ("__syncthreads();", "", 1, "no barrier between the first slice's stores to shared memory and its use"),
    ("            __syncthreads();\n        }", "        }", 1, "no barrier between a slice's stores and its use"),
    ("#define K_IN(kg) ((kg) < a.k)", "#define K_IN(kg) ((kg) <= a.k)", 1, "a k guard one past the end"),
    ("buf ^= 1;", "", 1, "one shared buffer loaded while it is read"),
])
def test_a_broken_gemm_fails(cache_dir: Path, old: str, new: str, count: int, what: str) -> None:
    plan = _mutant(_small_plan(_dot_node()), old, new, count)
    av, bv = _edge_operands()
    got = _run_plan(cache_dir, plan, [av, bv])
    assert not np.allclose(got, av @ bv, rtol=1e-4), what


# ---------------------------------------------------------------------------------------------------------
# PTX


def _entries(ptx: str) -> set[str]:
    return set(re.findall(r"\.entry\s+(\w+)\(", ptx))


@pytest.mark.skipif(find_nvrtc() is None, reason="no NVRTC (pip install nvidia-cuda-nvrtc-cu12)")
def test_the_product_kernels_compile_to_ptx_without_local_memory() -> None:
    nodes = [_dot_node("float32"), _dot_node("float64"),
             ac.dot(ac.fmatrix("a"), ac.dmatrix("b")).owner, ac.matmul(ac.ftensor3("a"), ac.fvector("b")).owner]
    kernels = {k.name: k for node in nodes if node is not None for k in lower(node).kernels}
    kernels.update((k.name, k) for k in _small_plan(_dot_node()).kernels)
    with tempfile.TemporaryDirectory() as root:
        ptx = PtxBuilder(find_nvrtc(), ModuleCache(Path(root))).build(module_text(list(kernels.values())))
    assert _entries(ptx) == set(kernels)
    assert ".local" not in ptx
    assert "ld.shared.v4.f32" in ptx and "fma.rn.f32" in ptx  # vector reads of the tiles; the FMAs kept


# ---------------------------------------------------------------------------------------------------------
# cuBLAS


class FakeCublas:
    """The functions of libcublas the binding calls, checking their arguments as cuBLAS documents them (handle,
    operations, sizes, leading dimensions at least the stored rows, scalars by pointer) and computing in NumPy on
    the emulated device memory, column-major."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.handles = 0
        self.fail_create = False

    def cublasCreate_v2(self, handle: Any) -> int:  # noqa: N802 -- cuBLAS's name
        if self.fail_create:
            return 1  # CUBLAS_STATUS_NOT_INITIALIZED
        self.handles += 1
        handle._obj.value = 0x1000 + self.handles  # a ctypes.byref: what it points to
        return 0

    def cublasSgemm_v2(self, *args: Any) -> int:  # noqa: N802
        return self._gemm(np.float32, ctypes.c_float, *args)

    def cublasDgemm_v2(self, *args: Any) -> int:  # noqa: N802
        return self._gemm(np.float64, ctypes.c_double, *args)

    def _gemm(self, dtype: Any, scalar: Any, handle: Any, op_a: int, op_b: int, m: Any, n: Any, k: Any,
              alpha: Any, a: Any, lda: Any, b: Any, ldb: Any, beta: Any, c: Any, ldc: Any) -> int:
        assert isinstance(handle, ctypes.c_void_p) and handle.value == 0x1000 + self.handles
        assert op_a in (0, 1) and op_b in (0, 1)
        m, n, k, lda, ldb, ldc = (v.value for v in (m, n, k, lda, ldb, ldc))
        assert min(m, n, k) >= 0
        assert lda >= max(1, m if op_a == 0 else k) and ldb >= max(1, k if op_b == 0 else n) and ldc >= max(1, m)
        assert isinstance(alpha._obj, scalar) and isinstance(beta._obj, scalar)  # by pointer, of the GEMM's type
        alpha_v, beta_v = alpha._obj.value, beta._obj.value
        size = np.dtype(dtype).itemsize

        def matrix(pointer: Any, rows: int, cols: int, ld: int) -> np.ndarray:
            raw = (ctypes.c_char * (size * (ld * (cols - 1) + rows))).from_address(pointer.value)
            return as_strided(np.frombuffer(raw, dtype=dtype), (rows, cols), (size, size * ld))

        ma = matrix(a, *((m, k) if op_a == 0 else (k, m)), lda)
        mb = matrix(b, *((k, n) if op_b == 0 else (n, k)), ldb)
        mc = matrix(c, m, n, ldc)
        product = (ma.T if op_a else ma).astype("float64") @ (mb.T if op_b else mb).astype("float64")
        mc[...] = (alpha_v * product + (beta_v * mc if beta_v else 0)).astype(dtype)
        self.calls.append((dtype, op_a, op_b, m, n, k, lda, ldb, ldc, alpha_v, beta_v))
        return 0


@pytest.fixture
def fake_cublas(monkeypatch: pytest.MonkeyPatch) -> FakeCublas:
    fake = FakeCublas()
    blas = CuBlas(fake)
    monkeypatch.setattr(EmulatedDriver, "blas", lambda self: blas)
    return fake


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cublas_computes_the_transposed_product_in_place(fake_cublas: FakeCublas, cache_dir: Path,
                                                         dtype: str) -> None:
    a, b, c = ac.matrix("a", dtype=dtype), ac.matrix("b", dtype=dtype), ac.matrix("c", dtype=dtype)
    f = function([a, b, c], [ac.dot(a, b), Gemm(True, False)(c, np.asarray(2, dtype), a, b.T,
                                                              np.asarray(-1, dtype))], mode=_mode(cache_dir))
    assert "cuBLAS" in f.report()
    rng = np.random.default_rng(11)
    av, bv, cv = _random(rng, (9, 6), dtype), _random(rng, (6, 9), dtype), _random(rng, (6, 1), dtype)
    with pytest.raises(ValueError):  # c's shape does not broadcast: NumPy's error, from the host
        f(av, bv, _random(rng, (7, 7), dtype))
    fake_cublas.calls.clear()
    product, gemm = f(av, bv, cv)
    _assert_product(product, av @ bv, av, bv)
    _assert_product(gemm, 2 * av.T @ bv.T - cv, av.T, 2 * bv.T, cv)
    (d1, *call1), (d2, *call2) = fake_cublas.calls
    # C^T = B^T A^T: for dot, B and A row-major as they are (no transposes), m = n = 9, k = 6
    assert call1 == [0, 0, 9, 9, 6, 9, 6, 9, 1.0, 0.0]
    # Gemm{Ta}(c, 2, a, b.T, -1): op(b) = b.T is b's memory transposed, op(a) = a.T too; the bias went in first
    assert call2 == [1, 1, 6, 6, 9, 9, 6, 6, 2.0, 1.0]


def test_layouts_cublas_cannot_read_run_the_kernel(fake_cublas: FakeCublas, cache_dir: Path) -> None:
    a, b = ac.dmatrix("a"), ac.dmatrix("b")
    f = function([a, b], ac.dot(a, b), mode=_mode(cache_dir))
    rng = np.random.default_rng(12)
    av, bv = rng.standard_normal((20, 16)), rng.standard_normal((8, 10))
    for x, y in [(av[:, ::2], bv), (av[::-1, :8], bv), (av[:1, :8], bv[:, :1])]:  # strided, reversed, GEMV
        _assert_product(f(x, y), x @ y, x, y)
    assert fake_cublas.calls == []
    _assert_product(f(av[:, :8], bv), av[:, :8] @ bv, av[:, :8], bv)  # a leading dimension larger than k
    assert [(c[6], c[7]) for c in fake_cublas.calls] == [(10, 16)]


def test_pycuda_driver_makes_one_cublas_handle(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeCublas()
    library = type("Found", (), {"lib": fake, "path": "libcublas-fake.so"})()
    monkeypatch.setattr(pycuda_driver, "find_cublas", lambda: library)
    driver = object.__new__(pycuda_driver.PyCudaDriver)
    driver._blas, driver._blas_tried = None, False
    assert driver.blas() is driver.blas() is not None and fake.handles == 1
    fake.fail_create = True
    other = object.__new__(pycuda_driver.PyCudaDriver)
    other._blas, other._blas_tried = None, False
    with pytest.warns(UserWarning, match="status 1"):
        assert other.blas() is None


def test_info_says_whether_cublas_is_found() -> None:
    (line,) = [line for line in describe() if line.startswith("cuBLAS:")]
    found = find_cublas()
    assert (re.search(r"\d+\.\d+\.\d+ \(", line) is not None) == (found is not None), line


def test_the_gemm_benchmark_times_the_kernel_against_cublas(cache_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """``benchmarks/gpu_gemm.py``'s GPU part, on a small size, over the emulated driver and the fake cuBLAS."""
    spec = importlib.util.spec_from_file_location("gpu_gemm", REPO / "benchmarks" / "gpu_gemm.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    fake = FakeCublas()

    class Gpu(EmulatedDriver):
        name = "an emulated GPU"

        def __init__(self, builder: Any) -> None:
            super().__init__(EmulatedLibrary(ModuleCache(cache_dir), find_cxx()), blas=CuBlas(fake))

    monkeypatch.setattr(bench, "PyCudaDriver", Gpu)
    assert bench.run(40) == 0
    out = capsys.readouterr().out
    assert "tiled GEMM kernel, 40^3 float32" in out and "GEMM ratio (cuBLAS time / kernel time)" in out
    assert fake.calls and all(call[1:6] == (0, 0, 40, 40, 40) for call in fake.calls)


def test_the_gemm_benchmark_exits_cleanly_without_a_gpu() -> None:
    script = REPO / "benchmarks" / "gpu_gemm.py"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}, check=False)
    assert done.returncode == 0, done.stderr
    assert "no GPU" in done.stdout
