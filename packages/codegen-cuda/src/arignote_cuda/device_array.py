"""Arrays in device memory: what the runtime passes between kernels, and what a function returns with the
option ``outputs="device"`` (``__cuda_array_interface__`` and ``__dlpack__``, so CuPy, PyTorch or Numba take them
without a copy). An array owns a block of its function's pool, views another array's memory, or borrows memory
another library owns (``borrowed``: a CuPy or PyTorch array, a DLPack tensor), which it keeps alive."""

from __future__ import annotations

import ctypes
import math
import weakref
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .dlpack import FLAG_IS_COPIED, FLAG_READ_ONLY, KDL_CUDA, make_capsule
from .memory import MemoryPool

#: a strided host array is uploaded as it lies (the bytes it spans, strides kept) when that is at most this many
#: times its own size; otherwise it is made contiguous first
SPAN_LIMIT = 4


def _c_strides(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    strides, step = [], itemsize
    for extent in reversed(shape):
        strides.append(step)
        step *= max(extent, 1)
    return tuple(reversed(strides))


def _extent(shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int) -> tuple[int, int]:
    """The byte offsets, from element 0, of the first byte and one past the last that an array spans."""
    low = sum((n - 1) * s for n, s in zip(shape, strides, strict=True) if s < 0)
    high = sum((n - 1) * s for n, s in zip(shape, strides, strict=True) if s > 0)
    return low, high + itemsize


class DeviceArray:
    """An array of ``shape`` and ``dtype`` in device memory from ``pool``: element 0 at ``pointer``, ``strides``
    in bytes (C order unless given; strided arrays come from uploading strided host arrays as they lie). Its
    block goes back to the pool when the array is garbage. ``readonly``: memory its owner lent for reading
    (kernels never write their inputs; it is passed on in the interfaces)."""

    def __init__(self, pool: MemoryPool, shape: tuple[int, ...], dtype: Any,
                 strides: tuple[int, ...] | None = None) -> None:
        self.pool = pool
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.dtype(dtype)
        self.strides = _c_strides(self.shape, self.itemsize) if strides is None else tuple(strides)
        low, high = _extent(self.shape, self.strides, self.itemsize) if self.size else (0, 0)
        self._span = high - low
        block = pool.allocate(self._span)
        self.pointer = block - low
        #: the array whose memory this one views (None: its own block)
        self.base: DeviceArray | None = None
        #: what keeps borrowed memory alive (another library's array, a DLPack tensor); None for the pool's
        self.owner: Any = None
        self.readonly = False
        weakref.finalize(self, pool.release, block)

    def view(self, shape: tuple[int, ...], strides: tuple[int, ...]) -> DeviceArray:
        """The same memory seen with another ``shape`` and ``strides`` (which must stay within this array's)."""
        view = DeviceArray._over(self.pool, self.pointer, shape, self.dtype, strides)
        view.base, view.readonly = self, self.readonly
        return view

    @classmethod
    def borrowed(cls, pool: MemoryPool, pointer: int, shape: tuple[int, ...], dtype: Any,
                 strides: tuple[int, ...] | None, owner: Any, readonly: bool = False) -> DeviceArray:
        """An array over memory that ``owner`` holds (it is kept alive while the array is), read through
        ``pool``'s driver; ``strides`` in bytes, None for C order."""
        dtype = np.dtype(dtype)
        array = cls._over(pool, pointer, shape, dtype, _c_strides(tuple(shape), dtype.itemsize) if strides is None
                          else strides)
        array.owner, array.readonly = owner, readonly
        return array

    @classmethod
    def _over(cls, pool: MemoryPool, pointer: int, shape: tuple[int, ...], dtype: np.dtype,
              strides: tuple[int, ...]) -> DeviceArray:
        """An array over memory it does not own (no block of the pool)."""
        array = object.__new__(cls)
        array.pool, array.dtype, array.pointer, array.base, array.owner = pool, dtype, int(pointer), None, None
        array.shape, array.strides, array.readonly = tuple(int(s) for s in shape), tuple(int(s) for s in strides), False
        low, high = _extent(array.shape, array.strides, array.itemsize) if array.size else (0, 0)
        array._span = high - low
        return array

    @property
    def is_borrowed(self) -> bool:
        """Whether the memory is another library's (this array or the one it views borrowed it)."""
        return self.owner is not None or (self.base is not None and self.base.is_borrowed)

    @classmethod
    def from_host(cls, pool: MemoryPool, value: Any, dtype: Any = None) -> DeviceArray:
        """A device copy of host ``value`` (converted to ``dtype`` when given): one copy to the device, of the
        bytes the array spans where it is strided but compact enough (``SPAN_LIMIT``), else of a contiguous
        copy."""
        host = np.asarray(value, dtype=dtype)
        if not _uploads_as_it_lies(host):
            host = np.ascontiguousarray(host)
        array = cls(pool, host.shape, host.dtype, None if host.flags.c_contiguous else host.strides)
        if array._span:
            low, _ = _extent(host.shape, host.strides, host.itemsize)
            raw = (ctypes.c_char * array._span).from_address(host.ctypes.data + low)
            pool.driver.htod(array.pointer + low, np.frombuffer(memoryview(raw).cast("B"), dtype=np.uint8))
        return array

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    @property
    def contiguous(self) -> bool:
        """Whether the elements lie in C order without gaps."""
        return self.size <= 1 or self.strides == _c_strides(self.shape, self.itemsize)

    def get(self) -> np.ndarray:
        """A host copy (C-contiguous)."""
        if self.contiguous:
            host = np.empty(self.shape, dtype=self.dtype)
            if host.nbytes:
                self.pool.driver.dtoh(host, self.pointer)
            return host
        low, _ = _extent(self.shape, self.strides, self.itemsize)
        raw = np.empty(self._span, dtype=np.uint8)
        self.pool.driver.dtoh(raw, self.pointer + low)
        view = as_strided(raw[-low:].view(self.dtype) if low else raw.view(self.dtype), self.shape, self.strides)
        return np.ascontiguousarray(view)

    def copy(self) -> DeviceArray:
        """A device copy, in a block of its own, laid out as this one."""
        other = DeviceArray(self.pool, self.shape, self.dtype, self.strides)
        if self._span:
            low, _ = _extent(self.shape, self.strides, self.itemsize)
            self.pool.driver.dtod(other.pointer + low, self.pointer + low, self._span)
        return other

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        host = self.get()
        return host if dtype is None else host.astype(dtype, copy=False)

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]:
        """Version 3 of Numba's CUDA array interface: ``strides`` None where C-contiguous, ``stream`` None (the
        function has waited for its kernels before returning)."""
        return {"shape": self.shape, "typestr": self.dtype.str, "data": (self.pointer, self.readonly),
                "strides": None if self.contiguous else self.strides, "version": 3, "stream": None}

    def __dlpack_device__(self) -> tuple[int, int]:
        """DLPack's device: CUDA (``kDLCUDA``, 2) and the driver's device ordinal (0 unless it says). The
        emulated driver's arrays say CUDA too, but their memory is the host's: only ``from_dlpack`` of this
        package reads them (through the exporting array's driver)."""
        return KDL_CUDA, int(getattr(self.pool.driver, "ordinal", 0))

    def __dlpack__(self, *, stream: int | None = None, max_version: tuple[int, int] | None = None,
                   dl_device: tuple[int, int] | None = None, copy: bool | None = None) -> Any:
        """A DLPack capsule of this array (the array API's protocol): a versioned one ("dltensor_versioned")
        when ``max_version`` is (1, 0) or later, else a "dltensor" one; the array stays alive until the
        consumer calls the deleter. The memory is ready on any ``stream`` (a function waits for its kernels
        before it returns), so none is waited on; ``copy=True`` exports a device copy."""
        if stream == 0:
            raise ValueError("__dlpack__: stream 0 is ambiguous for CUDA and not allowed (use 1 for the legacy "
                             "default stream, 2 for the per-thread one)")
        if dl_device is not None and tuple(dl_device) != self.__dlpack_device__():
            raise BufferError(f"__dlpack__: this array is on DLPack device {self.__dlpack_device__()}, not "
                              f"{tuple(dl_device)}, and is not copied between devices")
        if any(s % self.itemsize for s in self.strides):
            raise BufferError("__dlpack__: strides that are not whole elements have no DLPack form")
        source = self.copy() if copy else self
        versioned = max_version is not None and tuple(max_version) >= (1, 0)
        flags = (FLAG_READ_ONLY if source.readonly else 0) | (FLAG_IS_COPIED if copy else 0)
        return make_capsule(source, source.pointer, source.shape, tuple(s // self.itemsize for s in source.strides),
                            self.dtype, self.__dlpack_device__(), versioned, flags)

    def __repr__(self) -> str:
        return f"DeviceArray(shape={self.shape}, dtype={self.dtype}, strides={self.strides})"


def _uploads_as_it_lies(host: np.ndarray) -> bool:
    """Whether ``host`` goes up as it lies: contiguous, or strided in whole, aligned elements and compact."""
    size = host.itemsize
    if host.flags.c_contiguous:
        return True
    if host.size == 0 or host.ctypes.data % size or any(s % size for s in host.strides):
        return False
    low, high = _extent(host.shape, host.strides, size)
    return high - low <= SPAN_LIMIT * host.nbytes
