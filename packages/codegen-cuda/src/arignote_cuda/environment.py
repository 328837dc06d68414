"""What running on a GPU needs, and what is here: a CUDA compiler (NVRTC or nvcc), pycuda, the driver and a
device. The driver is asked directly (libcuda through ctypes), so the report does not need pycuda."""

from __future__ import annotations

import ctypes
import importlib.util
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from .cublas import find_cublas
from .errors import CudaUnavailable
from .ptx import find_ptx_compiler


@dataclass(frozen=True)
class Part:
    """One part: what was found (``found`` is None when it is missing) or why it is missing."""

    name: str
    found: str | None
    missing: str = ""

    def describe(self) -> str:
        return self.found if self.found is not None else f"none ({self.missing})"


def compiler_part(which: str = "auto") -> Part:
    try:
        compiler = find_ptx_compiler(which)
    except CudaUnavailable as exc:
        return Part("compiler", None, str(exc))
    path = getattr(compiler, "path", "")
    return Part("compiler", f"{compiler.identity} ({path})")


def pycuda_part() -> Part:
    if importlib.util.find_spec("pycuda") is None:
        return Part("pycuda", None, 'not installed: pip install "arignote-codegen-cuda[pycuda]"')
    try:
        return Part("pycuda", version("pycuda"))
    except PackageNotFoundError:
        return Part("pycuda", "installed (version unknown)")


def _driver() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libcuda.so.1")
    except OSError:
        return None


def driver_and_devices() -> tuple[Part, Part]:
    """The driver (its CUDA version) and the devices it sees (name and compute capability)."""
    lib = _driver()
    if lib is None:
        missing = "libcuda.so.1 does not load: no NVIDIA driver"
        return Part("driver", None, missing), Part("device", None, "no driver")
    if lib.cuInit(0) != 0:
        return Part("driver", None, "cuInit failed: the driver sees no usable GPU"), Part("device", None, "no driver")
    driver = ctypes.c_int()
    lib.cuDriverGetVersion(ctypes.byref(driver))
    found = Part("driver", f"CUDA {driver.value // 1000}.{driver.value % 1000 // 10}")
    count = ctypes.c_int()
    if lib.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value == 0:
        return found, Part("device", None, "the driver sees no device")
    names = []
    for ordinal in range(count.value):
        device, major, minor = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        lib.cuDeviceGet(ctypes.byref(device), ordinal)
        name = ctypes.create_string_buffer(256)
        lib.cuDeviceGetName(name, 256, device)
        lib.cuDeviceGetAttribute(ctypes.byref(major), 75, device)  # compute capability, major
        lib.cuDeviceGetAttribute(ctypes.byref(minor), 76, device)  # and minor
        names.append(f"{ordinal}: {name.value.decode()} (sm_{major.value}{minor.value})")
    return found, Part("device", "; ".join(names))


def environment(compiler: str = "auto") -> list[Part]:
    """The parts, in the order a GPU run needs them."""
    return [compiler_part(compiler), pycuda_part(), *driver_and_devices()]


def cublas_part() -> Part:
    """cuBLAS, optional: matrix products use it where it is found, the backend's kernels otherwise."""
    found = find_cublas()
    if found is None:
        return Part("cuBLAS", None, 'not found (optional): pip install nvidia-cublas-cu12; the tiled GEMM kernel '
                                    "runs the products")
    return Part("cuBLAS", f"{found.version} ({found.path})")


def describe() -> list[str]:
    """Lines for ``arignote info``: each part, found or why not (cuBLAS last: it is optional)."""
    return [f"{part.name + ':':10} {part.describe()}" for part in [*environment(), cublas_part()]]


def require_gpu(compiler: str = "auto") -> None:
    """CudaUnavailable naming every missing part (the emulation still runs the kernels on the CPU)."""
    missing = [f"{part.name}: {part.missing}" for part in environment(compiler) if part.found is None]
    if missing:
        raise CudaUnavailable("the CUDA backend cannot run here; missing: " + "; ".join(missing) +
                              ". Kernels still generate and compile to PTX, and run on the CPU with "
                              "Mode(backend='cuda', options={'emulate': True}) (the mode \"cuda-emulated\")")
