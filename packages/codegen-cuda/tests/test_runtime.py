"""The device runtime, through the emulated driver: values stay on the device between kernels, copies happen
only at the boundary with host steps (counted by ``EmulatedDriver``), the pool reuses its blocks, device outputs
expose the CUDA array interface, and errors name the node and the user's line."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import arignote_core as ac
from arignote_core import function
from arignote_core.mode import Mode
from arignote_cuda import CudaBackend
from arignote_cuda.device_array import DeviceArray
from arignote_cuda.emulation.driver import EmulatedDriver
from arignote_cuda.memory import MemoryPool, rounded
from arignote_cuda.program import CudaProgram


def _device_mode(cache_dir: Path) -> Mode:
    return Mode(backend=CudaBackend(), options={"emulate": True, "cache_dir": str(cache_dir), "outputs": "device"})


def _program(f: Any) -> CudaProgram:
    program = f.executable
    assert isinstance(program, CudaProgram)
    return program


def _driver(f: Any) -> EmulatedDriver:
    driver = _program(f).driver
    assert isinstance(driver, EmulatedDriver)
    return driver


def _counted(f: Any, *args: Any) -> tuple[Any, Counter[str]]:
    driver = _driver(f)
    before = Counter(driver.counts)
    result = f(*args)
    return result, driver.counts - before


def test_a_chain_of_kernels_copies_only_its_inputs_and_its_output(emulated: Mode) -> None:
    x, y = ac.dvector("x"), ac.dvector("y")
    f = function([x, y], (ac.exp(x) + y * 3).sum(), mode=emulated)   # three kernels, no rewrites
    xv, yv = np.linspace(-1, 1, 300), np.linspace(0, 2, 300)
    got, counts = _counted(f, xv, yv)
    np.testing.assert_allclose(got, (np.exp(xv) + yv * 3).sum(), rtol=1e-12)
    assert f.report().count("  kernel ") == 4   # multiply, exp, add, sum
    # each input up once, the output and the kernels' error flags down once, nothing in between
    assert (counts["htod"], counts["dtoh"], counts["dtod"], counts["launch"]) == (2, 2, 0, 4)
    assert _driver(f).copied["htod"] >= 2 * xv.nbytes


def test_a_host_step_between_kernels_gets_exactly_the_copies_it_needs(emulated: Mode) -> None:
    x = ac.dvector("x")
    z = ac.exp(x)
    f = function([x], [(ac.sort(z) * 2).sum(), ac.argmax(z)], mode=emulated)   # sort and argmax run on the host
    xv = np.linspace(1, -1, 200)
    (total, top), counts = _counted(f, xv)
    np.testing.assert_allclose(total, (np.sort(np.exp(xv)) * 2).sum(), rtol=1e-12)
    assert top == 0
    # up: x, and sort(z) for the kernel that reads it; down: z once for both host steps, the sum, the flags
    assert (counts["htod"], counts["dtoh"], counts["dtod"]) == (2, 3, 0)


def test_the_pool_reuses_its_blocks_across_calls(emulated: Mode) -> None:
    x = ac.fmatrix("x")
    f = function([x], (ac.sin(x) * ac.cos(x)).sum(axis=0), mode=emulated)
    rng = np.random.default_rng(0)
    first = rng.standard_normal((30, 40)).astype(np.float32)
    f(first)
    driver, pool = _driver(f), _program(f).pool
    allocs, reused = driver.counts["alloc"], pool.reused
    second = rng.standard_normal((30, 40)).astype(np.float32)   # fresh values: stale memory must not show
    np.testing.assert_allclose(f(second), (np.sin(second) * np.cos(second)).sum(axis=0), rtol=1e-5)
    assert driver.counts["alloc"] == allocs and pool.reused >= reused + 4
    assert "reuse(s)" in f.report()


def test_closing_frees_every_block(emulated: Mode) -> None:
    x = ac.dvector("x")
    f = function([x], ac.exp(x) + 1, mode=emulated)
    f(np.arange(5.0))
    program, driver = _program(f), _driver(f)
    assert driver.live > 0
    program.close()
    assert driver.live == 0
    with pytest.raises(RuntimeError, match="closed"):
        f(np.arange(5.0))


def test_the_pool_rounds_sizes() -> None:
    assert [rounded(n) for n in (0, 1, 512, 513, 4000, 1 << 20, (1 << 20) + 1)] == \
        [512, 512, 512, 1024, 4096, 1 << 20, 2 << 20]


def test_device_outputs_expose_the_cuda_array_interface(cache_dir: Path) -> None:
    x = ac.fmatrix("x")
    f = function([x], [ac.exp(x) * 2, x.argmax()], mode=_device_mode(cache_dir))
    xv = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
    out, where = f(xv)
    assert isinstance(out, DeviceArray) and isinstance(where, DeviceArray)
    assert out.__cuda_array_interface__ == {"shape": (3, 4), "typestr": "<f4", "data": (out.pointer, False),
                                            "strides": None, "version": 3, "stream": None}
    np.testing.assert_allclose(np.asarray(out), np.exp(xv) * 2, rtol=1e-6)
    assert where.__cuda_array_interface__["typestr"] == "<i8" and where.get() == 11   # a host step, uploaded
    driver = _driver(f)
    allocs = driver.counts["alloc"]
    del out, where      # their blocks go back to the pool: the next call needs no new memory
    f(xv)
    assert driver.counts["alloc"] == allocs


def test_a_strided_device_output_gives_its_strides(cache_dir: Path) -> None:
    x = ac.dvector("x")
    f = function([x], [x, x + 1], mode=_device_mode(cache_dir))
    xv = np.arange(10.0)[::-2]                        # uploaded as it lies: negative strides kept
    (same, plus), counts = _counted(f, xv)
    assert counts["htod"] == 1 and counts["dtod"] == 1   # the output that is an input is a device copy
    assert same.__cuda_array_interface__["strides"] == (-16,)
    np.testing.assert_array_equal(same.get(), xv)
    np.testing.assert_array_equal(plus.get(), xv + 1)


def test_a_sparse_view_goes_up_compacted_and_a_compact_one_as_it_lies(emulated: Mode) -> None:
    x = ac.dmatrix("x")
    f = function([x], ac.sqrt(x), mode=emulated)
    base = np.abs(np.random.default_rng(2).standard_normal((40, 60)))
    for view, sent in [(base[::2, ::3], base[::2, ::3].nbytes), (base[:, 1:50], (39 * 60 + 49) * 8),
                       (base.T, base.nbytes)]:
        driver = _driver(f)
        before = driver.copied["htod"]
        np.testing.assert_allclose(f(view), np.sqrt(view), rtol=1e-14)
        assert driver.copied["htod"] - before == sent


def test_a_kernel_error_names_its_node_and_line(emulated: Mode) -> None:
    x, y = ac.lvector("x"), ac.lvector("y")
    f = function([x, y], (x**y).sum() * 2, mode=emulated)
    with pytest.raises(ValueError, match="negative integer powers") as info:
        f(np.arange(100), np.r_[np.arange(99), -1])
    message = str(info.value)
    assert "while computing Elemwise{power}" in message and "test_runtime.py" in message
    assert "(x**y).sum() * 2" in message
    np.testing.assert_array_equal(f(np.arange(4), np.arange(4)), (np.arange(4) ** np.arange(4)).sum() * 2)


def test_a_failed_launch_names_its_node_and_line(emulated: Mode, monkeypatch: pytest.MonkeyPatch) -> None:
    x = ac.dvector("x")
    f = function([x], ac.tanh(x) + 1, mode=emulated)
    driver = _driver(f)
    launch = driver.launch

    def failing(function: Any, grid: int, block: int, shared: int, args: np.ndarray) -> None:
        if driver.counts["launch"]:
            raise RuntimeError("launch failed: too many resources requested")
        launch(function, grid, block, shared, args)

    monkeypatch.setattr(driver, "launch", failing)
    with pytest.raises(RuntimeError, match="too many resources") as info:
        f(np.arange(3.0))
    assert "while computing Elemwise{add}" in str(info.value) and "ac.tanh(x) + 1" in str(info.value)


def test_updates_computed_on_the_device_are_written_back(cache_dir: Path) -> None:
    w = ac.shared(np.arange(4.0), name="w")
    x = ac.dvector("x")
    f = function([x], (w * x).sum(), updates={w: w * 2 + x}, mode=_device_mode(cache_dir))
    got = f(np.ones(4))
    assert isinstance(got, DeviceArray) and got.get() == 6.0
    value = w.get_value()
    assert isinstance(value, np.ndarray)
    np.testing.assert_array_equal(value, np.arange(4.0) * 2 + 1)
    f(np.ones(4))
    np.testing.assert_array_equal(w.get_value(), (np.arange(4.0) * 2 + 1) * 2 + 1)


def test_copies_outside_an_allocation_are_refused(emulated: Mode) -> None:
    x = ac.dvector("x")
    f = function([x], ac.exp(x), mode=emulated)
    driver = _driver(f)
    pool = MemoryPool(driver)
    array = DeviceArray(pool, (10,), np.float64)
    with pytest.raises(ValueError, match="not inside one live device allocation"):
        driver.htod(array.pointer + 8 * 100, np.zeros(10))
    with pytest.raises(ValueError, match="not a live device allocation"):
        driver.free(array.pointer + 8)


def test_a_dimshuffle_of_a_device_value_is_a_view_without_copies(emulated: Mode) -> None:
    x, y = ac.dmatrix("x"), ac.dvector("y")
    f = function([x, y], (ac.exp(x).T * y).sum(axis=0), mode=emulated)   # the transpose: a strided operand
    xv, yv = np.linspace(-1, 1, 35).reshape(5, 7), np.linspace(0, 1, 5)
    got, counts = _counted(f, xv, yv)
    np.testing.assert_allclose(got, (np.exp(xv).T * yv).sum(axis=0), rtol=1e-13)
    assert (counts["htod"], counts["dtoh"], counts["dtod"]) == (2, 2, 0)
    assert "view   DimShuffle{1,0}" in f.report()


def test_a_device_output_that_is_a_view_gives_its_strides(cache_dir: Path) -> None:
    x = ac.fmatrix("x")
    f = function([x], [ac.exp(x).T, ac.exp(x).dimshuffle(0, "x", 1)], mode=_device_mode(cache_dir))
    xv = np.arange(6, dtype=np.float32).reshape(2, 3)
    transposed, widened = f(xv)
    assert transposed.__cuda_array_interface__["shape"] == (3, 2)
    assert transposed.__cuda_array_interface__["strides"] == (4, 12)
    assert widened.__cuda_array_interface__["strides"] in (None, (12, 0, 4))
    np.testing.assert_allclose(transposed.get(), np.exp(xv).T, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(widened), np.exp(xv)[:, None], rtol=1e-6)


def test_the_program_takes_device_inputs_without_copies(cache_dir: Path) -> None:
    x, y = ac.fvector("x"), ac.fvector("y")
    f = function([x, y], ac.exp(-(x**2)) * ac.sin(y) + x * y, mode=_device_mode(cache_dir))
    program = _program(f)
    xv, yv = np.linspace(-2, 2, 500, dtype=np.float32), np.linspace(0, 3, 500, dtype=np.float32)
    dx, dy = DeviceArray.from_host(program.pool, xv), DeviceArray.from_host(program.pool, yv)
    driver = _driver(f)
    before = Counter(driver.counts)
    (out,) = program([dx, dy])
    counts = driver.counts - before
    assert (counts["htod"], counts["dtoh"]) == (0, 1)    # only the error flags come back
    np.testing.assert_allclose(out.get(), np.exp(-(xv**2)) * np.sin(yv) + xv * yv, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="takes 1-d float32 arrays, not a 1-d float64 device array"):
        program([DeviceArray.from_host(program.pool, xv.astype(np.float64)), dy])


def test_a_function_takes_device_arrays_as_inputs_without_copies(cache_dir: Path) -> None:
    x, y = ac.fvector("x"), ac.fvector("y")
    f = function([x, y], ac.exp(-(x**2)) * ac.sin(y) + x * y, mode=_device_mode(cache_dir))
    program = _program(f)
    xv, yv = np.linspace(-2, 2, 500, dtype=np.float32), np.linspace(0, 3, 500, dtype=np.float32)
    dx, dy = DeviceArray.from_host(program.pool, xv), DeviceArray.from_host(program.pool, yv)
    out, counts = _counted(f, dx, dy)
    assert (counts["htod"], counts["dtoh"]) == (0, 1)    # only the error flags come back
    np.testing.assert_allclose(out.get(), np.exp(-(xv**2)) * np.sin(yv) + xv * yv, rtol=1e-5, atol=1e-6)
    mixed, counts = _counted(f, dx, yv)                   # a host array beside a device one: uploaded once
    assert counts["htod"] == 1
    np.testing.assert_allclose(mixed.get(), out.get())
    with pytest.raises(TypeError, match="takes 1-d float32 arrays, not a 1-d float64 device array"):
        f(DeviceArray.from_host(program.pool, xv.astype(np.float64)), dy)
