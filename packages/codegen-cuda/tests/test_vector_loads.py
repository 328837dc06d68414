"""The elementwise kernels' vector path: where every operand is contiguous over one merged dimension (or a
broadcast scalar) and 16-byte aligned, each thread reads and writes 16 bytes of the widest operand per iteration
through CUDA's vector types, and the scalar loop does the tail. It agrees with NumPy for every length around the
vector width, in mixed dtypes (packed 1- and 2-byte elements included), falls back to single elements for an
unaligned view, raises error flags from vectors and tails alike, launches once per node, and compiles to vector
loads in PTX; broken copies of it (no tail, a vector index off by one) fail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mutants import run_mutant

import arignote_core as ac
from arignote_c.cache import ModuleCache
from arignote_core import function
from arignote_core.graph import Apply
from arignote_core.mode import Mode
from arignote_cuda import CudaBackend
from arignote_cuda.device_array import DeviceArray
from arignote_cuda.emulation.driver import EmulatedDriver
from arignote_cuda.kernels import vector_width
from arignote_cuda.lowering import lower
from arignote_cuda.nvrtc import find_nvrtc
from arignote_cuda.program import CudaProgram
from arignote_cuda.ptx import PtxBuilder, module_text

LENGTHS = [0, 1, 3, 4, 5, 7, 8, 1023, 1024, 1025]
#: (threads per block, most blocks): two warps over three blocks, and one warp in one block
GEOMETRIES = [(64, 3), (32, 1)]


def _mode(cache_dir: Path, block: int = 64, max_grid: int = 3) -> Mode:
    return Mode(backend=CudaBackend(), options={"emulate": True, "cache_dir": str(cache_dir), "block": block,
                                                "max_grid": max_grid})


def _driver(f: Any) -> EmulatedDriver:
    program = f.executable
    assert isinstance(program, CudaProgram)
    assert isinstance(program.driver, EmulatedDriver)
    return program.driver


@pytest.fixture
def vec_flags(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The ``vec`` field of every elementwise launch, in order."""
    flags: list[int] = []
    launch = EmulatedDriver.launch

    def recording(self: EmulatedDriver, function: Any, grid: int, block: int, shared: int,
                  args: np.ndarray) -> None:
        if "vec" in (args.dtype.names or ()):
            flags.append(int(args["vec"]))
        launch(self, function, grid, block, shared, args)

    monkeypatch.setattr(EmulatedDriver, "launch", recording)
    yield flags


def _mixed() -> tuple[list[Any], list[Any], Any]:
    """Inputs of six dtypes and outputs reading them in vectors of every kind: float4 beside scalar int8 loads,
    double2 beside int2, int8 and bool packed in uint4, int16 packed in uint2 and uint4, longlong2,
    ulonglong2."""
    x, y, z = ac.fvector("x"), ac.dvector("y"), ac.ivector("z")
    w, h, g, u = ac.bvector("w"), ac.wvector("h"), ac.lvector("g"), ac.tensor("uint64", (None,), "u")
    outputs = [x * w, y * z, w + w, z + h, w < 3, g - z, h * 2, u + 1]

    def want(xv: Any, yv: Any, zv: Any, wv: Any, hv: Any, gv: Any, uv: Any) -> list[np.ndarray]:
        return [xv * wv, yv * zv, wv + wv, zv + hv, wv < 3, gv - zv, hv * 2, uv + 1]

    return [x, y, z, w, h, g, u], outputs, want


def _values(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(n).astype(np.float32), rng.standard_normal(n),
            rng.integers(-1000, 1000, n, dtype=np.int32), rng.integers(-128, 128, n, dtype=np.int8),
            rng.integers(-30000, 30000, n, dtype=np.int16), rng.integers(-2**40, 2**40, n, dtype=np.int64),
            rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True)]


def test_the_vector_width_is_16_bytes_of_the_widest_operand() -> None:
    assert vector_width(["float32"]) == 4
    assert vector_width(["float32", "int8"]) == 4
    assert vector_width(["float64", "int32"]) == 2
    assert vector_width(["int8", "bool"]) == 16
    assert vector_width(["int16", "int8"]) == 8


@pytest.mark.parametrize(("block", "max_grid"), GEOMETRIES)
def test_mixed_dtypes_agree_with_numpy_at_every_length(cache_dir: Path, vec_flags: list[int], block: int,
                                                       max_grid: int) -> None:
    inputs, outputs, want = _mixed()
    f = function(inputs, outputs, mode=_mode(cache_dir, block, max_grid))
    kernels = f.report().count("  kernel ")
    assert kernels == len(outputs)
    driver = _driver(f)
    with np.errstate(over="ignore"):
        for n in LENGTHS:
            values = _values(n, n)
            launches, flags = driver.counts["launch"], len(vec_flags)
            got = f(*values)
            for k, (g, w) in enumerate(zip(got, want(*values), strict=True)):
                assert g.dtype == w.dtype, (n, k)
                np.testing.assert_array_equal(g, w, err_msg=f"n={n}, output {k}")
            # one launch per node, each taking vectors once there are two elements or more
            assert driver.counts["launch"] - launches == (kernels if n else 0)
            assert vec_flags[flags:] == [int(n > 1)] * (kernels if n else 0)


def test_an_unaligned_view_takes_the_scalar_path(cache_dir: Path, vec_flags: list[int]) -> None:
    x = ac.fvector("x")
    f = function([x], [x[1:] * 2, x[4:] * 3], mode=_mode(cache_dir))   # x[1:] starts 4 bytes in, x[4:] 16
    xv = np.random.default_rng(2).standard_normal(1029).astype(np.float32)
    got = f(DeviceArray.from_host(f.executable.pool, xv))   # on the device: its slices are views of it
    np.testing.assert_array_equal(got[0], xv[1:] * 2)
    np.testing.assert_array_equal(got[1], xv[4:] * 3)
    assert "view" in f.report()
    assert vec_flags == [0, 1]


@pytest.mark.parametrize(("block", "max_grid"), GEOMETRIES)
def test_broadcast_scalars_are_read_once_per_vector(cache_dir: Path, vec_flags: list[int], block: int,
                                                   max_grid: int) -> None:
    x, s, t, one = ac.fvector("x"), ac.fscalar("s"), ac.dscalar("t"), ac.fvector("one", shape=(1,))
    f = function([x, s, t, one], [x * s + one, s - x * t], mode=_mode(cache_dir, block, max_grid))
    for n in (5, 1025):
        xv = np.random.default_rng(n).standard_normal(n).astype(np.float32)
        sv, tv, onev = np.float32(1.5), np.float64(-0.25), np.array([3.0], dtype=np.float32)
        got = f(xv, sv, tv, onev)
        np.testing.assert_array_equal(got[0], xv * sv + onev)
        np.testing.assert_array_equal(got[1], sv - xv * tv)
    assert set(vec_flags) == {1}


@pytest.mark.parametrize("where", [0, 500, 1021, 1024])
def test_error_flags_are_raised_from_vectors_and_the_tail(emulated: Mode, vec_flags: list[int],
                                                          where: int) -> None:
    x, y = ac.ivector("x"), ac.ivector("y")
    f = function([x, y], x**y, mode=emulated)
    xv, yv = np.arange(1025, dtype=np.int32) % 7, np.arange(1025, dtype=np.int32) % 3
    np.testing.assert_array_equal(f(xv, yv), xv**yv)
    yv[where] = -1                             # 1024: the tail (1025 = 256 vectors of 4 and one element)
    with pytest.raises(ValueError, match="negative integer powers"):
        f(xv, yv)
    assert vec_flags == [1, 1]


# ---------------------------------------------------------------------------------------------------------
# PTX


def _ptx(cache_dir: Path, nodes: list[Apply]) -> str:
    found = find_nvrtc()
    if found is None:
        pytest.skip("no NVRTC (pip install nvidia-cuda-nvrtc-cu12)")
    kernels = [k for node in nodes for k in lower(node).kernels]
    return PtxBuilder(found, ModuleCache(cache_dir)).build(module_text(kernels))


def test_a_contiguous_float32_kernel_reads_and_writes_float4_in_ptx(cache_dir: Path) -> None:
    x, y = ac.fvector("x"), ac.fvector("y")
    node = (ac.exp(x) * y).owner
    assert node is not None
    ptx = _ptx(cache_dir, [node])
    assert "ld.global.nc.v4.f32" in ptx or "ld.global.v4.f32" in ptx
    assert "st.global.v4.f32" in ptx
    assert ".local" not in ptx


def test_the_mixed_kernels_compile_to_vector_accesses_without_local_memory(cache_dir: Path) -> None:
    _, outputs, _ = _mixed()
    ptx = _ptx(cache_dir, [out.owner for out in outputs])
    found = set(re.findall(r"(?:ld|st)\.global(?:\.nc)?\.(v\d\.\w+)", ptx))
    # float4, double2, int2 and uint2 (int32, packed int16), uint4 (packed int8, bool, int16), (u)longlong2
    assert found >= {"v4.f32", "v2.f64", "v2.u32", "v4.u32", "v2.u64"}
    assert ".local" not in ptx


# ---------------------------------------------------------------------------------------------------------
# broken copies must fail


@pytest.mark.parametrize(("old", "new", "what"), [
    ("start = nv * 4;", "start = nv * 4;", "the unbroken kernel, through the same harness"),
    ("start = nv * 4;", "start = a.n;", "the tail loop dropped"),
    ("((const float4 *)p0)[v]", "((const float4 *)p0)[v + 1]", "a vector index off by one"),
    ("memcpy(e0, &w, sizeof w);", "memcpy(e0, &w, sizeof w); e0[0] = w.y; e0[1] = w.x;",
     "a vector's elements out of order"),
])
def test_a_broken_vector_path_fails(cache_dir: Path, old: str, new: str, what: str) -> None:
    x, y = ac.fvector("x"), ac.fvector("y")
    node = (x - y).owner
    assert node is not None
    rng = np.random.default_rng()                     # fresh: stale memory must not look right
    xv, yv = rng.standard_normal(1023).astype(np.float32), rng.standard_normal(1023).astype(np.float32)
    (got,) = run_mutant(cache_dir, node, [xv, yv], old, new)
    assert np.array_equal(got, xv - yv) == (old == new), what
