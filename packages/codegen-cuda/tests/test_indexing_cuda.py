"""Indexing on the device, emulated, against NumPy: basic indexing, reshapes and broadcasts as views (NumPy's
shapes, strides and offsets; no kernel, no copy), gathers with integer arrays (negative indices wrapped, out of
bounds an IndexError naming the node), scatters (increments accumulate repeated positions as ``numpy.add.at``,
sets keep NumPy's last write), basic set/inc over a region; broken copies of the kernels must fail, and every
kernel compiles to PTX."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import arignote_core as ac
from arignote_c.cache import ModuleCache
from arignote_core import function
from arignote_core.graph import Apply
from arignote_core.mode import Mode
from arignote_core.tensors.broadcast import broadcast_to
from arignote_core.tensors.checks import check
from arignote_cuda import CudaBackend
from arignote_cuda.device_array import DeviceArray
from arignote_cuda.emulation.build import EmulatedLibrary, find_cxx
from arignote_cuda.emulation.driver import EmulatedDriver
from arignote_cuda.lowering import lower
from arignote_cuda.memory import MemoryPool
from arignote_cuda.nvrtc import find_nvrtc
from arignote_cuda.plan import Geometry, LaunchContext
from arignote_cuda.program import CudaProgram
from arignote_cuda.ptx import PtxBuilder, module_text

#: (threads per block, most blocks): two warps over three blocks, and one warp in one block
GEOMETRIES = [(64, 3), (32, 1)]


def _mode(cache_dir: Path, block: int = 64, max_grid: int = 3, outputs: str = "host") -> Mode:
    return Mode(backend=CudaBackend(), options={"emulate": True, "cache_dir": str(cache_dir), "block": block,
                                                "max_grid": max_grid, "outputs": outputs})


def _driver(f: Any) -> EmulatedDriver:
    program = getattr(f, "executable", f)
    assert isinstance(program, CudaProgram) and isinstance(program.driver, EmulatedDriver)
    return program.driver


def _counted(f: Any, *args: Any) -> tuple[Any, Counter[str]]:
    driver = _driver(f)
    before = Counter(driver.counts)
    result = f(*args)
    return result, driver.counts - before


def _assert_view_of(got: DeviceArray, base: DeviceArray, want: np.ndarray, host: np.ndarray) -> None:
    """``got`` is ``base``'s memory seen as NumPy sees ``want`` in ``host`` (``base``'s host copy)."""
    assert isinstance(got, DeviceArray)
    assert (got.shape, got.strides) == (want.shape, want.strides)
    assert got.pointer - base.pointer == want.__array_interface__["data"][0] - host.__array_interface__["data"][0]
    np.testing.assert_array_equal(got.get(), want)


# ---------------------------------------------------------------------------------------------------------
# views


S = slice
BASIC = [(S(1, None), S(None, None, -2)), 2, -1, (S(None, None, -1), 2), (None, S(1, 4), -2),
         (Ellipsis, S(5, 0, -3)), (1, S(None), None, S(2, 5, 2)), (S(-100, 100), S(None, None, -1), 0), S(2, 2),
         (0, 1, 2), (S(3, None, 5), Ellipsis, S(None, None, 4))]


def test_basic_indexing_reshapes_and_broadcasts_are_views_without_copies_or_kernels(cache_dir: Path) -> None:
    x, s, t = ac.dtensor3("x"), ac.lscalar("s"), ac.lscalar("t")
    outs = [x[index] for index in BASIC]
    outs += [x[s:, ::t], x[s, 1:t], x.reshape((6, 20)), x[::2].reshape((2, 30)), x[:, :, ::2].reshape((2, 6, 5)),
             x.dimshuffle(2, "x", 0, 1), broadcast_to(x[:, 0, None, :], (2, 4, 3, 10)),
             ac.specify_shape(x[::-1], (4, 3, 10))]
    f = function([x, s, t], outs, mode=_mode(cache_dir, outputs="device"))
    host = np.random.default_rng(0).standard_normal((4, 3, 10))
    program = f.executable               # called directly: graph-core's Function copies outputs that view inputs
    base = DeviceArray.from_host(program.pool, host)
    got, counts = _counted(program, [base, np.int64(1), np.int64(-3)])
    assert sum(counts.values()) == 0, counts                       # no copy, no allocation, no launch
    wants = [host[index] if index != (0, 1, 2) else host[0, 1, 2, ...] for index in BASIC]   # a 0-d view
    wants += [host[1:, ::-3], host[1, 1:-3], host.reshape((6, 20)), host[::2].reshape((2, 30)),
              host[:, :, ::2].reshape((2, 6, 5)), host.transpose(2, 0, 1)[:, None],
              np.broadcast_to(host[:, 0, None, :], (2, 4, 3, 10)), host[::-1]]
    for k, (out, want) in enumerate(zip(got, wants, strict=True)):
        assert want.size == 0 or np.shares_memory(want, host), k
        _assert_view_of(out, base, want, host)
    assert " host " not in f.report() and "kernel" not in f.report().split("\n", 2)[-1]


def test_an_out_of_bounds_integer_raises_numpys_index_error(cache_dir: Path) -> None:
    x, s = ac.dmatrix("x"), ac.lscalar("s")
    f = function([x, s], x[s] * 2, mode=_mode(cache_dir))
    np.testing.assert_array_equal(f(np.ones((3, 4)), np.int64(-3)), np.full(4, 2.0))
    with pytest.raises(IndexError, match=r"index 3 is out of bounds for axis 0 with size 3(.|\n)*Subtensor"):
        f(np.ones((3, 4)), np.int64(3))


def test_checks_are_views_that_check_on_the_host(cache_dir: Path) -> None:
    x, ok = ac.dvector("x"), ac.scalar(dtype="bool", name="ok")
    y = ac.exp(x)
    f = function([x, ok], [check(y[::-1], "not ok", ok) * 2, ac.specify_shape(y, (4,)) + 1], mode=_mode(cache_dir))
    xv = np.linspace(-1, 1, 4)
    (twice, plus), counts = _counted(f, xv, np.bool_(True))
    np.testing.assert_allclose(twice, np.exp(xv)[::-1] * 2, rtol=1e-14)
    np.testing.assert_allclose(plus, np.exp(xv) + 1, rtol=1e-14)
    assert (counts["htod"], counts["dtoh"]) == (1, 3)      # x up; the two results and the flags down
    assert " host " not in f.report()
    with pytest.raises(ValueError, match="not ok(.|\n)*CheckAndRaise"):
        f(xv, np.bool_(False))
    with pytest.raises(ValueError, match="specify_shape(.|\n)*SpecifyShape"):
        f(np.ones(3), np.bool_(True))


def test_a_reshape_numpy_would_copy_runs_on_the_host(cache_dir: Path) -> None:
    x = ac.dmatrix("x")
    y = ac.exp(x)
    f = function([x], [y.T.reshape((-1,)) + 1, (y * 2).reshape((2, -1))], mode=_mode(cache_dir))
    xv = np.arange(12.0).reshape(3, 4) / 10
    (flat, rows), counts = _counted(f, xv)
    np.testing.assert_allclose(flat, np.exp(xv).T.reshape(-1) + 1, rtol=1e-14)
    np.testing.assert_allclose(rows, (np.exp(xv) * 2).reshape(2, -1), rtol=1e-14)
    # down: y.T for the host's reshape, the two results and the flags; up: x, and the reshaped y.T for the add
    assert (counts["htod"], counts["dtoh"]) == (2, 4)
    with pytest.raises(ValueError, match="cannot reshape"):
        function([x], (x * 2).reshape((5, -1)), mode=_mode(cache_dir))(xv)


# ---------------------------------------------------------------------------------------------------------
# gathers


def _gather_cases(x: Any, i: Any, j: Any, k: Any) -> list[tuple[Any, Any]]:
    """(index of the graph, of NumPy given the values of x, i, j, k)"""
    return [((i,), lambda v: (v[1],)), ((S(None), i), lambda v: (S(None), v[1])),
            ((S(None, None, -1), S(None), i), lambda v: (S(None, None, -1), S(None), v[1])),
            ((i, j), lambda v: (v[1], v[2])),                                   # broadcast together
            ((i, S(1, None), k), lambda v: (v[1], S(1, None), v[3])),           # split by a slice: first
            ((1, S(None), i), lambda v: (1, S(None), v[1])),                    # an int counts as advanced
            ((S(None), 2, j), lambda v: (S(None), 2, v[2])),                    # adjacent int and array
            ((None, j, S(None, None, 2)), lambda v: (None, v[2], S(None, None, 2))),
            ((Ellipsis, k), lambda v: (Ellipsis, v[3])), ((j, None, k), lambda v: (v[2], None, v[3]))]


@pytest.mark.parametrize(("block", "max_grid"), GEOMETRIES)
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_gathers_agree_with_numpy(cache_dir: Path, block: int, max_grid: int, dtype: str) -> None:
    x, i, j, k = ac.tensor3(dtype=dtype, name="x"), ac.lvector("i"), ac.imatrix("j"), ac.tensor(
        dtype="uint16", shape=(None,), name="k")
    cases = _gather_cases(x, i, j, k)
    f = function([x, i, j, k], [x[graph] for graph, _ in cases], mode=_mode(cache_dir, block, max_grid))
    assert " host " not in f.report()
    rng = np.random.default_rng(1)
    xv = (rng.standard_normal((6, 7, 9)) * 100).astype(dtype).transpose(1, 0, 2)[:, ::-1]   # 7 x 6 x 9, strided
    values = (xv, np.array([0, -1, 3, -6, 5, 3]), np.array([[2], [-6], [5]], dtype=np.int32),
              np.array([5, 0, 4, 4, 1, 2], dtype=np.uint16))
    for got, (_, index) in zip(f(*values), cases, strict=True):
        want = xv[index(values)]
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_empty_index_arrays_and_empty_regions(cache_dir: Path) -> None:
    x, i = ac.dmatrix("x"), ac.lvector("i")
    f = function([x, i], [x[i], x[:, i], x[1:1, i]], mode=_mode(cache_dir))
    xv, none = np.arange(12.0).reshape(3, 4), np.zeros(0, np.int64)
    (a, b, c), counts = _counted(f, xv, none)
    assert (a.shape, b.shape, c.shape) == ((0, 4), (3, 0), (0, 0)) and counts["launch"] == 0
    with pytest.raises(IndexError, match="out of bounds"):   # NumPy checks indices into an empty region too
        f(xv, np.array([9]))


@pytest.mark.parametrize("bad", [[0, 6], [-7, 1], [2, 1 << 40]])
def test_an_index_out_of_bounds_raises_index_error_naming_the_node(cache_dir: Path, bad: list[int]) -> None:
    x, i = ac.dmatrix("x"), ac.lvector("i")
    f = function([x, i], ac.exp(x[:, i]), mode=_mode(cache_dir))
    with pytest.raises(IndexError, match=r"index out of bounds(.|\n)*AdvancedSubtensor\{:, \[\]\}(.|\n)*"
                                         r"test_indexing_cuda.py"):
        f(np.ones((2, 6)), np.array(bad))


def test_a_boolean_mask_runs_on_the_host_and_says_why(cache_dir: Path) -> None:
    x, m = ac.dmatrix("x"), ac.bvector("m")
    f = function([x, m], x[m.astype("bool")], mode=_mode(cache_dir))
    xv, mv = np.arange(12.0).reshape(3, 4), np.array([1, 0, 1], dtype=np.int8)
    np.testing.assert_array_equal(f(xv, mv), xv[mv.astype(bool)])
    assert "host   AdvancedSubtensor{[]}: boolean masks run on the host" in f.report()


# ---------------------------------------------------------------------------------------------------------
# scatters


@pytest.mark.parametrize(("block", "max_grid"), GEOMETRIES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_increments_at_repeated_indices_accumulate_as_numpy_add_at(cache_dir: Path, block: int, max_grid: int,
                                                                      dtype: str) -> None:
    x, v, w, i, j = (ac.matrix(dtype=dtype, name="x"), ac.matrix(dtype=dtype, name="v"),
                     ac.vector(dtype=dtype, name="w"), ac.lvector("i"), ac.ivector("j"))
    outs = [ac.inc_subtensor(x[i], v), ac.inc_subtensor(x[i, j], w), ac.inc_subtensor(x[::-1, j], w[0])]
    f = function([x, v, w, i, j], outs, mode=_mode(cache_dir, block, max_grid))
    assert " host " not in f.report()
    rng = np.random.default_rng(2)
    xv = (rng.standard_normal((9, 5)) * 10).astype(dtype).T.copy().T          # column-major: the copy kernel
    iv = rng.integers(-9, 9, 150)                                             # many repeats of each row
    jv = rng.integers(0, 5, 150).astype(np.int32)
    vv = (rng.standard_normal((150, 5)) * 10).astype(dtype)
    wv = (rng.standard_normal(150) * 10).astype(dtype)
    wants = []
    for index, value in [(iv, vv), ((iv, jv), wv), ((S(None, None, -1), jv), wv[0])]:
        want = xv.copy()
        np.add.at(want, index, np.broadcast_to(value, want[index].shape))
        wants.append(want)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    for got, want in zip(f(xv, vv, wv, iv, jv), wants, strict=True):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 100)


@pytest.mark.parametrize(("block", "max_grid"), GEOMETRIES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "int8"])
def test_sets_at_repeated_indices_keep_numpys_last_write(cache_dir: Path, block: int, max_grid: int,
                                                        dtype: str) -> None:
    x, v, w, i, j = (ac.matrix(dtype=dtype, name="x"), ac.matrix(dtype=dtype, name="v"),
                     ac.vector(dtype=dtype, name="w"), ac.lvector("i"), ac.ivector("j"))
    outs = [ac.set_subtensor(x[i], v), ac.set_subtensor(x[i, j], w), ac.set_subtensor(x[1:, j], w)]
    f = function([x, v, w, i, j], outs, mode=_mode(cache_dir, block, max_grid))
    assert " host " not in f.report()
    rng = np.random.default_rng(3)
    xv = rng.integers(-100, 100, (8, 5)).astype(dtype)
    iv = rng.integers(-8, 8, 120)
    jv = rng.integers(0, 5, 120).astype(np.int32)
    vv = np.arange(600).reshape(120, 5).astype(dtype)        # every write a different value
    wv = np.arange(120).astype(dtype)
    wants = []
    for index, value in [(iv, vv), ((iv, jv), wv), ((S(1, None), jv), wv)]:
        want = xv.copy()
        want[index] = value
        wants.append(want)
    for got, want in zip(f(xv, vv, wv, iv, jv), wants, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(("block", "max_grid"), GEOMETRIES)
def test_basic_set_and_inc_write_the_region_of_a_copy(cache_dir: Path, block: int, max_grid: int) -> None:
    x, v, s, b = ac.dtensor3("x"), ac.dmatrix("v"), ac.lscalar("s"), ac.tensor(dtype="bool", shape=(None,), name="b")
    outs = [ac.inc_subtensor(x[1:, ::-2, 0], v), ac.set_subtensor(x[s], v[0]), ac.inc_subtensor(x[..., s:], 1.5),
            ac.set_subtensor(x[:, None, 1], v[None, :1]), ac.inc_subtensor(b[::2], b[1::2])]
    f = function([x, v, s, b], outs, mode=_mode(cache_dir, block, max_grid))
    assert " host " not in f.report()
    rng = np.random.default_rng(4)
    xv = rng.standard_normal((5, 8, 4))[:, ::-1]                   # reversed: copied by the copy kernel
    vv, bv = rng.standard_normal((4, 4)), rng.integers(0, 2, 12).astype(bool)
    wants = [xv.copy() for _ in range(4)] + [bv.copy()]
    wants[0][1:, ::-2, 0] += vv
    wants[1][-2] = vv[0]
    wants[2][..., -2:] += 1.5
    wants[3][:, None, 1] = vv[None, :1]
    wants[4][::2] += bv[1::2]
    for got, want in zip(f(xv, vv, np.int64(-2), bv), wants, strict=True):
        np.testing.assert_array_equal(got, want)


def test_an_update_out_of_bounds_raises_and_a_contiguous_x_is_copied_on_the_device(cache_dir: Path) -> None:
    x, v, i = ac.fvector("x"), ac.fvector("v"), ac.lvector("i")
    f = function([x, v, i], [ac.inc_subtensor(x[i], v), ac.set_subtensor(x[i], v)], mode=_mode(cache_dir))
    xv, vv = np.zeros(10, np.float32), np.ones(3, np.float32)
    (inc, _), counts = _counted(f, xv, vv, np.array([1, 1, -1]))
    np.testing.assert_array_equal(inc, np.r_[0, 2, np.zeros(7), 1])
    assert counts["dtod"] == 2      # each output starts as a device copy of x
    with pytest.raises(IndexError, match=r"out of bounds(.|\n)*AdvancedIncSubtensor"):
        f(xv, vv, np.array([1, 10, 2]))


# ---------------------------------------------------------------------------------------------------------
# broken kernels must fail


def _run_plan(cache_dir: Path, node: Apply, values: list[Any], old: str = "", new: str = "",
              kernel: int = -1) -> tuple[list[np.ndarray], int]:
    """``node``'s plan run on ``values`` with ``old`` replaced by ``new`` in its kernel at ``kernel``; the
    results and the error flag."""
    plan = lower(node)
    original = plan.kernels[kernel]
    assert old in original.text, old
    name = original.name + "_mutant" + str(abs(hash((old, new))))
    mutant = replace(original, name=name, text=original.text.replace(old, new, 1).replace(original.name, name))
    kernels = list(plan.kernels)
    kernels[kernel] = mutant
    driver = EmulatedDriver(EmulatedLibrary(ModuleCache(cache_dir), find_cxx()))
    module = driver.load_module(kernels)
    pool = MemoryPool(driver)
    err = DeviceArray.from_host(pool, np.zeros(1, dtype=np.int32))
    ctx = LaunchContext(driver, {k.name: driver.get_function(module, k) for k in kernels}, pool, Geometry(64, 3),
                        err.pointer)
    args = [DeviceArray.from_host(pool, v) if k in plan.operands else v for k, v in enumerate(values)]
    result = plan.run(replace(plan, kernels=tuple(kernels)), args, ctx)
    assert result is not None
    return [out.get() for out in result], int(err.get()[0])


def _scatter_add() -> tuple[Apply, list[np.ndarray], np.ndarray]:
    x, v, i = ac.dvector("x"), ac.dvector("v"), ac.lvector("i")
    node = ac.inc_subtensor(x[i], v).owner
    assert node is not None
    iv = np.arange(192) % 4                       # three blocks of two warps, all 32 lanes of a warp busy
    vv = np.random.default_rng().standard_normal(192)
    want = np.zeros(4)
    np.add.at(want, iv, vv)
    return node, [np.zeros(4), vv, iv], want


def test_the_unbroken_scatter_runs_through_the_same_harness(cache_dir: Path) -> None:
    node, values, want = _scatter_add()
    (got,), err = _run_plan(cache_dir, node, values)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert err == 0


def test_a_plain_add_in_place_of_atomic_add_loses_increments(cache_dir: Path) -> None:
    # the emulation runs a block's threads one at a time, so a plain += could not race there: the mutant spells
    # out what a warp does on the GPU, every lane reading before any writes
    node, values, want = _scatter_add()
    (got,), _ = _run_plan(cache_dir, node, values, "atomicAdd((double *)&q[t], (double)p0[o0]);",
                          "{ const double old = q[t]; __syncwarp(); q[t] = old + p0[o0]; }")
    assert not np.allclose(got, want)


@pytest.mark.parametrize(("old", "new"), [
    ("else if (a.phase == 1) atomicMax(&w[t], (long long)i);", "else if (a.phase == 1) w[t] = i;"),
    ("else if (w[t] == i) q[t] = p0[o0];", "else if (a.phase == 2) q[t] = p0[o0];"),
])
def test_a_set_without_its_ordering_misses_the_last_write(cache_dir: Path, old: str, new: str) -> None:
    x, v, i = ac.dvector("x"), ac.dvector("v"), ac.lvector("i")
    node = ac.set_subtensor(x[i], v).owner
    assert node is not None
    iv, vv = np.arange(400) % 5, np.arange(400.0)
    want = np.zeros(5)
    want[iv] = vv
    (got,), _ = _run_plan(cache_dir, node, [np.zeros(5), vv, iv])
    np.testing.assert_array_equal(got, want)
    (got,), _ = _run_plan(cache_dir, node, [np.zeros(5), vv, iv], old, new)
    assert not np.array_equal(got, want)


@pytest.mark.parametrize(("old", "new"), [
    ("if (j0 < 0) j0 += a.size[0];", "if (j0 < 0) j0 += a.size[0] - 1;"),       # negatives wrapped wrong
    ("if (j0 < 0) j0 += a.size[0];", ""),                                       # not wrapped at all
    ("src += j0 * a.step[0];", "src += j0;"),                                   # the axis' stride forgotten
])
def test_a_gather_with_broken_index_arithmetic_fails(cache_dir: Path, old: str, new: str) -> None:
    x, i = ac.dmatrix("x"), ac.lvector("i")
    node = x[i].owner
    assert node is not None
    xv, iv = np.random.default_rng().standard_normal((20, 9)), np.array([-1, 3, -9, 0, 8, -4])
    (got,), err = _run_plan(cache_dir, node, [xv, iv], old, new)
    assert err != 0 or not np.array_equal(got, xv[iv])
    (got,), err = _run_plan(cache_dir, node, [xv, iv])
    np.testing.assert_array_equal(got, xv[iv])
    assert err == 0


# ---------------------------------------------------------------------------------------------------------
# PTX


@pytest.mark.skipif(find_nvrtc() is None, reason="no NVRTC (pip install nvidia-cuda-nvrtc-cu12)")
def test_every_indexing_kernel_compiles_to_ptx_without_local_memory(cache_dir: Path) -> None:
    i, j, k = ac.lvector("i"), ac.ivector("j"), ac.tensor(dtype="uint8", shape=(None,), name="k")
    nodes = []
    for dtype in ("float32", "float64", "int32", "int64", "uint32", "uint64", "int8", "bool"):
        x = ac.matrix(dtype=dtype, name="x")
        nodes += [x[i, j], x[::-1, k], ac.set_subtensor(x[i, j], x[0, 0]), ac.set_subtensor(x[1:, ::2], x[0, 0]),
                  ac.inc_subtensor(x[1:, ::2], x[0, 0])]
        if dtype not in ("int8", "bool"):
            nodes.append(ac.inc_subtensor(x[i, k], x[0, 0]))
    kernels = {kernel.name: kernel for node in nodes for kernel in lower(node.owner).kernels}
    ptx = PtxBuilder(find_nvrtc(), ModuleCache(cache_dir)).build(module_text(list(kernels.values())))
    assert set(re.findall(r"\.entry\s+(\w+)\(", ptx)) == set(kernels)
    assert ".local" not in ptx
    assert "atom.global.add.f64" in ptx and "atom.global.max.s64" in ptx
