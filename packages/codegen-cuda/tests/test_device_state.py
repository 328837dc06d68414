"""Values that live on the device across calls, and interchange with other GPU libraries, through the emulated
driver: shared variables kept on the device (uploaded once, updated there, read back only by ``get_value``),
other libraries' arrays taken through ``__cuda_array_interface__`` without a copy, and DLPack both ways."""

from __future__ import annotations

import ctypes
import gc
import pickle
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from test_pycuda_driver import FakePycuda
from test_pycuda_driver import fake_pycuda as fake_pycuda  # noqa: F401 (the fixture)

import arignote_core as ac
from arignote_core import function
from arignote_core.mode import Mode
from arignote_cuda import CudaBackend, DeviceArray, SharedDeviceValue, from_dlpack
from arignote_cuda.dlpack import FLAG_READ_ONLY, exported_count, make_capsule
from arignote_cuda.emulation.driver import EmulatedDriver
from arignote_cuda.program import CudaProgram

#: CPython's capsule functions with argtypes of our own (``ctypes.pythonapi``'s are shared)
_PY = ctypes.PyDLL(ctypes.pythonapi._name, handle=ctypes.pythonapi._handle)
_PY.PyCapsule_IsValid.restype = ctypes.c_int
_PY.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
_PY.PyCapsule_GetPointer.restype = ctypes.c_void_p
_PY.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def _mode(cache_dir: Path, **options: Any) -> Mode:
    return Mode(backend=CudaBackend(), options={"emulate": True, "cache_dir": str(cache_dir), **options})


def _program(f: Any) -> CudaProgram:
    assert isinstance(f.executable, CudaProgram)
    return f.executable


def _driver(f: Any) -> EmulatedDriver:
    driver = _program(f).driver
    assert isinstance(driver, EmulatedDriver)
    return driver


def _counted(f: Any, *args: Any) -> tuple[Any, Counter[str]]:
    driver = _driver(f)
    before = Counter(driver.counts)
    return f(*args), driver.counts - before


def _sgd(device: str, mode: Any, rng: np.random.Generator) -> tuple[Any, Any, Any]:
    """A step of least squares by SGD over 40 rows, elementwise work and reductions only (every node a kernel or a
    view on the device): params ``w``, ``b``; inputs ``x``, ``y``; returns the loss."""
    w = ac.shared(rng.standard_normal(6), name="w", device=device)
    b = ac.shared(np.float64(0.5), name="b", device=device)
    x, y = ac.dmatrix("x"), ac.dvector("y")
    err = (x * w).sum(axis=1) + b - y
    n = 40.0
    grad_w = (err.dimshuffle(0, "x") * x).sum(axis=0) * 2 / n
    grad_b = err.sum() * 2 / n
    step = function([x, y], (err**2).sum() / n, updates={w: w - 0.1 * grad_w, b: b - 0.1 * grad_b}, mode=mode)
    return step, w, b


def test_sgd_with_device_params_uploads_them_once_and_never_reads_them_back(cache_dir: Path) -> None:
    rng = np.random.default_rng(0)
    xv, yv = rng.standard_normal((40, 6)), rng.standard_normal(40)
    step, w, b = _sgd("cuda", _mode(cache_dir), np.random.default_rng(1))
    reference, rw, rb = _sgd("cpu", "c", np.random.default_rng(1))
    driver = _driver(step)
    sent = driver.copied["htod"]
    first, counts = _counted(step, xv, yv)
    assert counts["htod"] == 4 and driver.copied["htod"] - sent == xv.nbytes + yv.nbytes + 6 * 8 + 8   # x, y, w, b
    assert isinstance(w.get_value(borrow=True), np.ndarray)
    np.testing.assert_allclose(first, reference(xv, yv), rtol=1e-12)
    losses = []
    for _ in range(5):
        allocs = driver.counts["alloc"]
        loss, counts = _counted(step, xv, yv)
        losses.append(loss)
        # only x and y go up; the loss and the error flags come down; the updates reuse the pool's blocks
        assert (counts["htod"], counts["dtoh"], counts["dtod"]) == (2, 2, 0)
        assert driver.counts["alloc"] == allocs
        assert isinstance(w._value, SharedDeviceValue) and not w._value.on_host
    np.testing.assert_allclose(losses, [reference(xv, yv) for _ in range(5)], rtol=1e-11)
    assert losses[-1] < losses[0]
    before = driver.counts["dtoh"]
    np.testing.assert_allclose(w.get_value(), rw.get_value(), rtol=1e-11)
    np.testing.assert_allclose(w.get_value(), rw.get_value(), rtol=1e-11)   # downloaded once, then kept
    np.testing.assert_allclose(b.get_value(), rb.get_value(), rtol=1e-11)
    assert driver.counts["dtoh"] - before == 2
    x = ac.dmatrix("x")
    predict = function([x], (x * w).sum(axis=1) + b, mode=_mode(cache_dir))   # reads them, updates nothing
    w.set_value(rw.get_value())
    _, counts = _counted(predict, xv)
    assert counts["htod"] == 3   # x, w's new value, and b: step's device value, in another emulated driver's memory
    for _ in range(2):
        got, counts = _counted(predict, xv)
        assert counts["htod"] == 1                   # x only: w's upload was kept in its container
    np.testing.assert_allclose(got, xv @ rw.get_value() + rb.get_value(), rtol=1e-12)
    report = step.report()
    assert 'shared w: on the device (device="cuda")' in report and "shared b: on the device" in report
    assert "0 node(s) on the host" in report   # every node a kernel or a view


def test_the_option_puts_every_shared_variable_on_the_device(cache_dir: Path) -> None:
    w = ac.shared(np.arange(4.0), name="w")
    counter = ac.shared(np.int64(0), name="counter")
    x = ac.dvector("x")
    f = function([x], (w * x).sum(), updates={w: w * 2 + x, counter: counter + 1},
                 mode=_mode(cache_dir, shared_on_device=True))
    _, counts = _counted(f, np.ones(4))
    assert counts["htod"] == 3
    got, counts = _counted(f, np.ones(4))
    assert got == (np.arange(4.0) * 2 + 1).sum() and counts["htod"] == 1
    np.testing.assert_array_equal(w.get_value(), (np.arange(4.0) * 2 + 1) * 2 + 1)
    assert counter.get_value() == 2
    assert "shared counter: on the device (the option shared_on_device)" in f.report()
    with pytest.raises(ValueError, match="shared_on_device must be True or False"):
        function([x], x + 1, mode=_mode(cache_dir, shared_on_device="yes"))


def test_set_value_replaces_the_device_copy_and_get_value_reads_it_back(cache_dir: Path) -> None:
    w = ac.shared(np.arange(5.0), name="w", device="cuda")
    x = ac.dvector("x")
    f = function([x], w + x, updates={w: w * 3}, mode=_mode(cache_dir))
    driver = _driver(f)
    np.testing.assert_array_equal(f(np.ones(5)), np.arange(5.0) + 1)
    w.set_value(np.full(5, 2.0))             # a host value again: the next call uploads it, once
    assert isinstance(w.get_value(borrow=True), np.ndarray)
    before = Counter(driver.counts)
    np.testing.assert_array_equal(w.get_value(), np.full(5, 2.0))   # no device read: the value is the host's
    assert driver.counts["dtoh"] == before["dtoh"]
    out, counts = _counted(f, np.zeros(5))
    np.testing.assert_array_equal(out, np.full(5, 2.0))
    assert counts["htod"] == 2                # x and the new value of w
    _, counts = _counted(f, np.zeros(5))
    assert counts["htod"] == 1                # x only
    held = w.get_value(borrow=True)
    np.testing.assert_array_equal(held, np.full(5, 18.0))
    held[:] = -1                               # a host copy: changing it changes nothing
    np.testing.assert_array_equal(f(np.zeros(5)), np.full(5, 18.0))
    restored = pickle.loads(pickle.dumps(w))   # device memory is of one process: a pickle holds the host value
    np.testing.assert_array_equal(restored.get_value(), np.full(5, 54.0))
    assert restored.device == "cuda"


def test_two_functions_sharing_a_variable_see_each_others_updates(cache_dir: Path) -> None:
    w = ac.shared(np.arange(3.0), name="w", device="cuda")
    x = ac.dvector("x")
    add = function([x], [], updates={w: w + x}, mode=_mode(cache_dir))
    scale = function([], [], updates={w: w * 2}, mode=_mode(cache_dir))
    read = function([], w * 10, mode=_mode(cache_dir))
    on_c = function([], w.sum(), mode="c")    # a host backend reads the host value
    expected = np.arange(3.0)
    for _ in range(2):
        add(np.ones(3))
        expected = expected + 1
        np.testing.assert_array_equal(read(), expected * 10)
        scale()
        expected = expected * 2
        np.testing.assert_array_equal(read(), expected * 10)
        assert on_c() == expected.sum()
    np.testing.assert_array_equal(w.get_value(), expected)


def test_functions_on_one_gpu_share_a_device_value_without_copies(fake_pycuda: FakePycuda, cache_dir: Path,
                                                                  emulated: Mode) -> None:
    w = ac.shared(np.arange(4.0), name="w", device="cuda")
    x = ac.dvector("x")

    def compiled(mode: Mode) -> tuple[Any, Any]:
        return function([x], [], updates={w: w + x}, mode=mode), function([], w * 2, mode=mode)

    compiled(emulated)   # the emulated kernels the fake runs
    add, read = compiled(Mode(backend=CudaBackend(), options={"cache_dir": str(cache_dir), "block": 64,
                                                              "max_grid": 4}))
    assert add.executable.driver is not read.executable.driver
    add(np.ones(4))
    calls = fake_pycuda.calls
    before = Counter(calls)
    add(np.ones(4))
    np.testing.assert_array_equal(read(), (np.arange(4.0) + 2) * 2)
    done = calls - before
    # x up; the flags of each function and read's output down: w stays in the device's one context
    assert (done["memcpy_htod"], done["memcpy_dtoh"], done["memcpy_dtod"]) == (1, 3, 0)


def test_device_is_validated() -> None:
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda', not 'tpu'"):
        ac.shared(np.zeros(2), name="w", device="tpu")
    with pytest.raises(ValueError, match="stays on the host"):
        ac.shared(sp.csr_matrix(np.eye(2)), device="cuda")
    assert ac.shared(np.zeros(2)).device == "cpu"


class FakeCudaArray:
    """Another library's array in (emulated) device memory: an allocation of ``driver`` filled from ``host``,
    exposed through version 3 of the CUDA array interface."""

    def __init__(self, driver: EmulatedDriver, host: np.ndarray, stream: int | None = None,
                 view: tuple[tuple[int, ...], tuple[int, ...]] | None = None, readonly: bool = False) -> None:
        self.driver = driver
        self.pointer = driver.alloc(max(host.nbytes, 1))
        driver.htod(self.pointer, np.ascontiguousarray(host))
        self.shape, self.strides = view if view is not None else (host.shape, None)
        self.typestr, self.stream, self.readonly = host.dtype.str, stream, readonly

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]:
        return {"shape": self.shape, "typestr": self.typestr, "data": (self.pointer, self.readonly),
                "strides": self.strides, "version": 3, "stream": self.stream}


def test_a_foreign_cuda_array_is_an_input_without_a_copy(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = ac.fvector("x"), ac.fmatrix("y")
    f = function([x, y], ac.exp(x) + y.sum(axis=0), mode=_mode(cache_dir))
    driver = _driver(f)
    xv = np.linspace(-1, 1, 30, dtype=np.float32)
    base = np.arange(60, dtype=np.float32).reshape(30, 2)          # y as base.T: strides honoured
    fx = FakeCudaArray(driver, xv, readonly=True)
    fy = FakeCudaArray(driver, base, view=((2, 30), (4, 8)))
    synced = []
    monkeypatch.setattr(driver, "synchronize", lambda: synced.append(1))
    got, counts = _counted(f, fx, fy)
    assert counts["htod"] == 0 and not synced
    np.testing.assert_allclose(got, np.exp(xv) + base.T.sum(axis=0), rtol=1e-6)
    fx.stream = 1                        # the producer's stream: waited for before the kernels read it
    f(fx, fy)
    assert synced == [1]
    fx.stream = 0
    with pytest.raises(ValueError, match="stream 0"):
        f(fx, fy)
    wrong = FakeCudaArray(driver, xv.astype(np.float64))
    with pytest.raises(TypeError, match="input x takes 1-d float32 arrays, not a 1-d float64 FakeCudaArray"):
        f(wrong, fy)
    wrong = FakeCudaArray(driver, base)
    with pytest.raises(TypeError, match="input x takes 1-d float32 arrays, not a 2-d float32 FakeCudaArray"):
        f(wrong, fy)
    swapped = FakeCudaArray(driver, xv.astype(">f4"))
    with pytest.raises(TypeError, match="input x: a FakeCudaArray of typestr '>f4' is not taken"):
        f(swapped, fy)
    assert CudaProgram.accepts_device_input(fx) and not CudaProgram.accepts_device_input(xv)


def test_a_foreign_array_kept_as_a_shared_value_is_copied(cache_dir: Path) -> None:
    w = ac.shared(np.zeros(4, dtype=np.float32), name="w", device="cuda")
    x = ac.fvector("x")
    f = function([x], [], updates={w: x}, mode=_mode(cache_dir))
    source = FakeCudaArray(_driver(f), np.arange(4, dtype=np.float32))
    _, counts = _counted(f, source)
    assert counts["dtod"] == 1           # its owner may change it: the variable keeps a copy of its own
    _driver(f).htod(source.pointer, np.full(4, 9, dtype=np.float32))
    np.testing.assert_array_equal(w.get_value(), np.arange(4, dtype=np.float32))


def _field(address: int, offset: int, ctype: Any) -> Any:
    return ctype.from_address(address + offset).value


def test_dlpack_capsules_hold_the_arrays_fields(cache_dir: Path) -> None:
    x = ac.fmatrix("x")
    f = function([x], ac.exp(x).T, mode=_mode(cache_dir, outputs="device"))
    xv = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = f(xv)
    assert out.__dlpack_device__() == (2, 0)
    capsule = out.__dlpack__(stream=None)
    assert _PY.PyCapsule_IsValid(capsule, b"dltensor")
    managed = _PY.PyCapsule_GetPointer(capsule, b"dltensor")
    # DLTensor: data, device (type, id), ndim, dtype (code, bits, lanes), shape*, strides*, byte_offset
    assert _field(managed, 0, ctypes.c_uint64) == out.pointer
    assert (_field(managed, 8, ctypes.c_int32), _field(managed, 12, ctypes.c_int32)) == (2, 0)
    assert _field(managed, 16, ctypes.c_int32) == 2
    assert (_field(managed, 20, ctypes.c_uint8), _field(managed, 21, ctypes.c_uint8),
            _field(managed, 22, ctypes.c_uint16)) == (2, 32, 1)
    shape, strides = _field(managed, 24, ctypes.c_uint64), _field(managed, 32, ctypes.c_uint64)
    assert [ctypes.c_int64.from_address(shape + 8 * d).value for d in range(2)] == [3, 2]
    assert [ctypes.c_int64.from_address(strides + 8 * d).value for d in range(2)] == [1, 3]   # elements
    assert _field(managed, 40, ctypes.c_uint64) == 0
    assert _field(managed, 56, ctypes.c_uint64) != 0                                      # the deleter
    versioned = out.__dlpack__(max_version=(1, 1), copy=True)
    assert _PY.PyCapsule_IsValid(versioned, b"dltensor_versioned")
    managed = _PY.PyCapsule_GetPointer(versioned, b"dltensor_versioned")
    # version (major, minor), manager_ctx, deleter, flags, then the DLTensor
    assert (_field(managed, 0, ctypes.c_uint32), _field(managed, 4, ctypes.c_uint32)) == (1, 0)
    assert _field(managed, 24, ctypes.c_uint64) == 2                                      # IS_COPIED
    assert _field(managed, 32, ctypes.c_uint64) != out.pointer                            # a copy's memory
    with pytest.raises(ValueError, match="stream 0"):
        out.__dlpack__(stream=0)
    with pytest.raises(BufferError, match="not copied between devices"):
        out.__dlpack__(dl_device=(1, 0))
    count = exported_count()
    del capsule, versioned               # never consumed: their destructors release what they kept
    assert exported_count() == count - 2


def test_dlpack_round_trip_through_our_producer_and_consumer(cache_dir: Path) -> None:
    x = ac.dmatrix("x")
    f = function([x], ac.sqrt(x), mode=_mode(cache_dir, outputs="device"))
    g = function([x], (x * 2).sum(axis=1), mode=_mode(cache_dir))
    xv = np.arange(12.0).reshape(3, 4)
    out = f(xv)
    assert isinstance(out, DeviceArray)
    count = exported_count()
    for versioned in (None, (1, 0)):
        capsule = out.view((4, 3), (8, 32)).__dlpack__(max_version=versioned)
        back = from_dlpack(capsule)
        assert back.pointer == out.pointer and back.shape == (4, 3) and back.strides == (8, 32)
        assert back.pool is out.pool and exported_count() == count + 1
        np.testing.assert_allclose(back.get(), np.sqrt(xv).T)
        del back, capsule
        gc.collect()
        assert exported_count() == count  # the consumer's array is gone: the deleter ran
    def theirs() -> Any:                  # another library's read-only tensor over the same memory
        return make_capsule("not ours", out.pointer, (3, 4), (4, 1), np.dtype(np.float64), (2, 0), True,
                            FLAG_READ_ONLY)

    with pytest.raises(ValueError, match="pool"):
        from_dlpack(theirs())
    borrowed = from_dlpack(theirs(), out.pool)
    assert borrowed.readonly and borrowed.__cuda_array_interface__["data"] == (out.pointer, True)
    np.testing.assert_allclose(borrowed.get(), np.sqrt(xv))
    del borrowed
    gc.collect()
    assert exported_count() == count
    same = from_dlpack(out)               # an object with __dlpack__, as torch.from_dlpack takes one
    np.testing.assert_allclose(g(same), (np.sqrt(xv) * 2).sum(axis=1))   # another function's memory
    with pytest.raises(TypeError, match="not CUDA"):
        from_dlpack(np.zeros(3))
    assert not CudaProgram.accepts_device_input(np.zeros(3)) and CudaProgram.accepts_device_input(out)


def test_a_dlpack_object_is_an_input(cache_dir: Path) -> None:
    x = ac.dvector("x")
    f = function([x], ac.exp(x), mode=_mode(cache_dir, outputs="device"))
    xv = np.linspace(0, 1, 20)
    out = f(xv)

    class Producer:
        """Only the DLPack protocol, as a JAX array on a GPU offers it."""

        def __dlpack__(self, **kwargs: Any) -> Any:
            return out.__dlpack__(**kwargs)

        def __dlpack_device__(self) -> tuple[int, int]:
            return out.__dlpack_device__()

    assert CudaProgram.accepts_device_input(Producer())
    got, counts = _counted(f, Producer())
    assert counts["htod"] == 0
    np.testing.assert_allclose(got.get(), np.exp(np.exp(xv)))
