"""Other libraries' device arrays as ``DeviceArray``s without a copy: objects with ``__cuda_array_interface__``
(CuPy, PyTorch's CUDA tensors, Numba's device arrays) and DLPack capsules of CUDA memory (``from_dlpack``).

The arrays made here borrow the memory: they keep the other library's object (or the DLPack tensor, whose
deleter runs when they are garbage) alive, and kernels read it where it lies, strides honoured. A function
takes such objects as inputs as they are (``CudaProgram.accepts_device_input``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .device_array import DeviceArray
from .dlpack import KDL_CUDA, read_capsule
from .memory import MemoryPool

#: the stream a consumer names when it asks a DLPack producer for memory: the legacy default stream, which the
#: drivers launch on
LEGACY_DEFAULT_STREAM = 1


def has_cuda_array_interface(value: Any) -> bool:
    """Whether ``value`` offers ``__cuda_array_interface__`` (PyTorch's CPU tensors raise AttributeError)."""
    return hasattr(value, "__cuda_array_interface__")


def is_cuda_dlpack(value: Any) -> bool:
    """Whether ``value`` offers DLPack capsules of CUDA memory."""
    device = getattr(value, "__dlpack_device__", None)
    if device is None or not hasattr(value, "__dlpack__"):
        return False
    return int(device()[0]) == KDL_CUDA


def from_cuda_array_interface(value: Any, pool: MemoryPool, what: str = "the array") -> DeviceArray:
    """``value``'s memory as a borrowed DeviceArray read through ``pool``'s driver (version 3 of the interface:
    a ``stream`` other than None is waited for; a mask, a byte order other than the machine's or strides of
    partial elements are a TypeError naming ``what``)."""
    interface = value.__cuda_array_interface__
    kind = type(value).__name__
    if interface.get("mask") is not None:
        raise TypeError(f"{what}: a masked {kind} is not taken (its __cuda_array_interface__ has a mask)")
    dtype = np.dtype(interface["typestr"])
    if not dtype.isnative or dtype.kind not in "biufc":
        raise TypeError(f"{what}: a {kind} of typestr {interface['typestr']!r} is not taken (native numbers only)")
    shape = tuple(int(n) for n in interface["shape"])
    strides = interface.get("strides")
    if strides is not None:
        strides = tuple(int(s) for s in strides)
        if any(s % dtype.itemsize for s in strides):
            raise TypeError(f"{what}: a {kind} with strides {strides} that are not whole {dtype} elements")
    pointer, readonly = interface["data"]
    stream = interface.get("stream") if interface.get("version", 0) >= 3 else None
    if stream == 0:
        raise ValueError(f"{what}: a {kind} whose __cuda_array_interface__ gives stream 0, which version 3 of "
                         "the interface forbids")
    if stream is not None:
        pool.driver.synchronize()  # its producer may still be writing it on that stream
    return DeviceArray.borrowed(pool, int(pointer or 0), shape, dtype, strides, value, bool(readonly))


def from_dlpack(value: Any, pool: MemoryPool | None = None) -> DeviceArray:
    """The CUDA memory of ``value`` (an object with ``__dlpack__``, or a capsule) as a borrowed DeviceArray,
    without a copy: the producer's deleter runs when the array (and every view of it) is garbage. Arrays of
    this package are read through their own pool's driver; another library's through ``pool`` (a function's
    when it is an input), required then."""
    if hasattr(value, "__dlpack__"):
        device = getattr(value, "__dlpack_device__", None)
        if device is not None and int(device()[0]) != KDL_CUDA:
            raise TypeError(f"from_dlpack: a {type(value).__name__} on DLPack device {tuple(device())}, not CUDA "
                            f"({KDL_CUDA})")
        try:
            capsule = value.__dlpack__(stream=LEGACY_DEFAULT_STREAM, max_version=(1, 0))
        except TypeError:  # a producer older than DLPack 1.0's keyword
            capsule = value.__dlpack__(stream=LEGACY_DEFAULT_STREAM)
    else:
        capsule = value
    tensor = read_capsule(capsule)
    if tensor.device[0] != KDL_CUDA:
        raise TypeError(f"from_dlpack: a tensor on DLPack device {tensor.device}, not CUDA ({KDL_CUDA})")
    if isinstance(tensor.producer, DeviceArray):
        pool = tensor.producer.pool
    if pool is None:
        raise ValueError("from_dlpack: another library's tensor needs the memory pool it is read through (pool=)")
    return DeviceArray.borrowed(pool, tensor.pointer, tensor.shape, tensor.dtype, tensor.strides, tensor,
                                tensor.readonly)
