"""Other libraries' arrays as inputs: DLPack (``__dlpack__``) and NumPy's array interfaces, read without a copy.

A compiled function converts an input that is not already an ndarray of its type (graph-core's ``Function``
does it for every backend, the C backend through its input filter); :func:`host_array` is its first step: an
object in host memory that offers ``__dlpack__`` (a PyTorch or JAX CPU array) becomes an ndarray viewing the
same memory (``numpy.from_dlpack``), and one that offers ``__array_interface__`` or ``__array_struct__``
becomes one through ``numpy.asarray``, which views it too. Memory on a device (``__cuda_array_interface__``, or
a DLPack device other than the CPU) is refused with an error saying where the array is: compiled functions read
host memory. Outputs are ndarrays, which ``numpy.from_dlpack``, ``torch.from_dlpack`` and ``jax.dlpack`` take
as they are.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: DLPack's ``DLDeviceType`` numbers, for messages; 1 is the CPU (host memory), the only one read here
DLPACK_DEVICES = {1: "CPU", 2: "CUDA", 3: "CUDA host (pinned)", 4: "OpenCL", 7: "Vulkan", 8: "Metal", 9: "VPI",
                  10: "ROCm", 11: "ROCm host", 12: "extension device", 13: "CUDA managed", 14: "oneAPI",
                  15: "WebGPU", 16: "Hexagon", 17: "MAIA"}
DLPACK_CPU = 1

#: values that are no other library's array: passed on as they are, at the cost of one isinstance
_PLAIN = (np.ndarray, np.generic, list, tuple, int, float, complex, bool)

_TO_HOST = "compiled functions read host memory: copy it to the host first (PyTorch: .cpu(), CuPy: .get(), " \
           "JAX: jax.device_get)"


def host_array(value: Any) -> Any:
    """``value`` as an ndarray sharing its memory when it is another library's array in host memory (DLPack or
    the array interfaces), ``value`` itself otherwise; a TypeError for memory on a device."""
    if isinstance(value, _PLAIN):
        return value
    kind = type(value).__name__
    if hasattr(value, "__cuda_array_interface__"):
        raise TypeError(f"a {kind} in CUDA device memory (it has __cuda_array_interface__); {_TO_HOST}")
    if hasattr(value, "__dlpack__"):
        return _from_dlpack(value, kind)
    if hasattr(value, "__array_interface__") or hasattr(value, "__array_struct__"):
        return np.asarray(value)
    return value


def _from_dlpack(value: Any, kind: str) -> np.ndarray:
    device = getattr(value, "__dlpack_device__", None)
    if device is not None:
        device_type, device_id = device()
        if int(device_type) != DLPACK_CPU:
            where = DLPACK_DEVICES.get(int(device_type), f"DLPack device type {int(device_type)}")
            raise TypeError(f"a {kind} in {where} memory (device {device_id}); {_TO_HOST}")
    try:
        return np.from_dlpack(value)
    except (BufferError, RuntimeError, TypeError, ValueError) as exc:
        raise TypeError(f"a {kind} that NumPy cannot read through DLPack ({type(exc).__name__}: {exc})") from exc
