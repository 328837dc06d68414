"""``PyCudaDriver`` against a fake ``pycuda.driver`` (put in ``sys.modules`` here) that checks each call's
arguments as pycuda documents them and records it. Its memory is host memory and its launches run the
emulated kernels of the same names, so ``mode="cuda"`` runs end to end through the GPU driver's code."""

from __future__ import annotations

import ctypes
import sys
import types
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import arignote_core as ac
from arignote_c.cache_site import cache_site
from arignote_core import function
from arignote_core.mode import Mode
from arignote_cuda import CudaBackend, backend, pycuda_driver
from arignote_cuda.emulation.build import EmulatedLibrary, find_cxx


class FakeAllocation:
    """``mem_alloc``'s DeviceAllocation: ``int()`` is the pointer, ``free()`` gives it back once."""

    def __init__(self, nbytes: int) -> None:
        self.buffer = np.zeros(nbytes + 256, dtype=np.uint8)
        self.pointer = -self.buffer.ctypes.data % 256 + self.buffer.ctypes.data
        self.freed = False

    def __int__(self) -> int:
        return self.pointer

    def free(self) -> None:
        assert not self.freed, "freed twice"
        self.freed = True


def _pointer(value: Any) -> int:
    assert isinstance(value, int | FakeAllocation), f"a device pointer must be an int or an allocation: {value!r}"
    return int(value)


class FakeFunction:
    """``Module.get_function``'s Function: ``prepare`` then ``prepared_call``, as in pycuda's driver.py."""

    def __init__(self, fake: FakePycuda, name: str) -> None:
        self.fake, self.name, self.arg_format = fake, name, None

    def prepare(self, arg_types: list[Any]) -> FakeFunction:
        assert isinstance(arg_types, list) and len(arg_types) == 1, arg_types
        (dtype,) = arg_types
        assert isinstance(dtype, np.dtype) and dtype.char == "V", "the struct is passed as one np.void dtype"
        self.arg_format = f"{dtype.itemsize}s"
        self.fake.calls["prepare"] += 1
        return self

    def prepared_call(self, grid: tuple[int, ...], block: tuple[int, ...], *args: Any, shared_size: int = 0) -> None:
        assert self.arg_format is not None, "prepared_call before prepare"
        assert isinstance(grid, tuple) and 1 <= len(grid) <= 3 and all(isinstance(g, int) for g in grid)
        assert isinstance(block, tuple) and len(block) == 3 and block[1:] == (1, 1)
        assert isinstance(shared_size, int)
        (packed,) = args
        assert isinstance(packed, bytes) and f"{len(packed)}s" == self.arg_format
        launch = self.fake.library.launcher(self.name)
        assert launch is not None, f"{self.name} was not compiled for the emulation"
        struct = ctypes.create_string_buffer(packed, len(packed))
        assert launch(grid[0], block[0], ctypes.addressof(struct)) == 0
        self.fake.calls["prepared_call"] += 1


class FakePycuda:
    """The parts of ``pycuda.driver`` the driver uses, as a module."""

    def __init__(self, library: EmulatedLibrary) -> None:
        self.library = library
        self.calls: Counter[str] = Counter()
        self.allocations: list[FakeAllocation] = []
        self.ptx: list[bytes] = []
        fake = self

        class Device:
            def __init__(self, ordinal: int) -> None:
                assert isinstance(ordinal, int)

            def retain_primary_context(self) -> Any:
                return types.SimpleNamespace(push=lambda: fake.calls.update(["push"]))

            def compute_capability(self) -> tuple[int, int]:
                return (9, 0)

            def name(self) -> str:
                return "Fake GPU"

        class Context:
            @staticmethod
            def synchronize() -> None:
                fake.calls["synchronize"] += 1

        self.module = types.ModuleType("pycuda.driver")
        self.module.__dict__.update(init=lambda: self.calls.update(["init"]), Device=Device, Context=Context,
                                    mem_alloc=self.mem_alloc, memcpy_htod=self.memcpy_htod,
                                    memcpy_dtoh=self.memcpy_dtoh, memcpy_dtod=self.memcpy_dtod,
                                    module_from_buffer=self.module_from_buffer)

    def mem_alloc(self, nbytes: int) -> FakeAllocation:
        assert isinstance(nbytes, int) and nbytes > 0
        self.calls["mem_alloc"] += 1
        self.allocations.append(FakeAllocation(nbytes))
        return self.allocations[-1]

    def memcpy_htod(self, dest: Any, src: Any) -> None:
        view = memoryview(src)
        ctypes.memmove(_pointer(dest), np.frombuffer(view, dtype=np.uint8).ctypes.data, view.nbytes)
        self.calls["memcpy_htod"] += 1

    def memcpy_dtoh(self, dest: Any, src: Any) -> None:
        assert isinstance(dest, np.ndarray) and dest.flags.c_contiguous and dest.flags.writeable
        ctypes.memmove(dest.ctypes.data, _pointer(src), dest.nbytes)
        self.calls["memcpy_dtoh"] += 1

    def memcpy_dtod(self, dest: Any, src: Any, size: int) -> None:
        assert isinstance(size, int)
        ctypes.memmove(_pointer(dest), _pointer(src), size)
        self.calls["memcpy_dtod"] += 1

    def module_from_buffer(self, buffer: bytes) -> Any:
        assert isinstance(buffer, bytes) and b".version" in buffer, "PTX text, as bytes"
        self.ptx.append(buffer)
        self.calls["module_from_buffer"] += 1

        def get_function(name: str) -> FakeFunction:
            assert f".entry {name}(".encode() in buffer, f"{name} is not an entry point of the module"
            return FakeFunction(self, name)

        return types.SimpleNamespace(get_function=get_function)


@pytest.fixture
def fake_pycuda(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePycuda]:
    fake = FakePycuda(EmulatedLibrary(cache_site(cache_dir).current(), find_cxx()))
    package = types.ModuleType("pycuda")
    package.driver = fake.module  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pycuda", package)
    monkeypatch.setitem(sys.modules, "pycuda.driver", fake.module)
    monkeypatch.setattr(backend, "require_gpu", lambda compiler: None)   # the fake stands in for every part
    pycuda_driver._context.cache_clear()
    yield fake
    pycuda_driver._context.cache_clear()


def test_mode_cuda_runs_through_pycuda(fake_pycuda: FakePycuda, cache_dir: Path, emulated: Mode) -> None:
    x, y = ac.fmatrix("x"), ac.fvector("y")
    outputs = [(ac.exp(-(x**2)) * ac.sin(y) + x * y).sum(axis=1), x.argmax(axis=1)]
    function([x, y], outputs, mode=emulated)   # compiles the emulated kernels the fake runs
    f = function([x, y], outputs, mode=Mode(backend=CudaBackend(), options={"cache_dir": str(cache_dir),
                                                                              "block": 64, "max_grid": 4}))
    assert "Fake GPU (sm_90)" in f.report()
    launches = [line.split()[1] for line in f.report().splitlines() if line.startswith("  kernel ")]
    calls, kernels = fake_pycuda.calls, len(launches)
    assert (calls["init"], calls["push"], calls["module_from_buffer"]) == (1, 1, 1)
    assert calls["prepare"] == len(set(launches))   # each kernel of the module prepared once
    rng = np.random.default_rng(3)
    xv, yv = rng.standard_normal((20, 30)).astype(np.float32), rng.standard_normal(30).astype(np.float32)
    before = Counter(calls)
    total, where = f(xv, yv)
    np.testing.assert_allclose(total, (np.exp(-(xv**2)) * np.sin(yv) + xv * yv).sum(axis=1), rtol=1e-5)
    np.testing.assert_array_equal(where, xv.argmax(axis=1))
    done = calls - before
    # x and y up (y[None] a view of y on the device); the sum and the error flags down (argmax, a host step,
    # reads the caller's x)
    assert (done["prepared_call"], done["memcpy_htod"], done["memcpy_dtoh"]) == (kernels, 2, 2)
    assert done["mem_alloc"] < 12
    f(xv, yv)
    assert calls["mem_alloc"] == before["mem_alloc"] + done["mem_alloc"]   # the second call reuses the pool


def test_closing_frees_the_allocations(fake_pycuda: FakePycuda, cache_dir: Path, emulated: Mode) -> None:
    x = ac.dvector("x")
    function([x], ac.exp(x), mode=emulated)
    f = function([x], ac.exp(x), mode=Mode(backend=CudaBackend(), options={"cache_dir": str(cache_dir)}))
    np.testing.assert_allclose(f(np.arange(3.0)), np.exp(np.arange(3.0)))
    f.executable.close()
    assert fake_pycuda.allocations and all(a.freed for a in fake_pycuda.allocations)


def test_synchronize_and_device_copies_reach_pycuda(fake_pycuda: FakePycuda, cache_dir: Path) -> None:
    builder = backend.PtxBuilder(backend.find_ptx_compiler(), cache_site(cache_dir).current())
    driver = pycuda_driver.PyCudaDriver(builder)
    src, dst = driver.alloc(64), driver.alloc(64)
    driver.htod(src, np.arange(8, dtype=np.float64))
    driver.dtod(dst, src, 64)
    driver.synchronize()
    back = np.empty(8)
    driver.dtoh(back, dst)
    np.testing.assert_array_equal(back, np.arange(8.0))
    driver.free(src)
    assert fake_pycuda.calls["synchronize"] == 1 and fake_pycuda.allocations[0].freed
