"""The CUDA backend's options (``Mode(options={...})``), read once when a function compiles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from arignote_c.cache import DEFAULT_BUILD_TIMEOUT_S, default_cache_dir


@dataclass(frozen=True)
class CudaOptions:
    """``emulate``: run the kernels on the CPU (``emulation/``); ``block``: threads per block; ``max_grid``: the
    most blocks a launch has (grid-stride loops cover the rest); ``arch``: the PTX architecture (``compute_80``;
    default: the device's); ``compiler``: "auto", "nvrtc" or "nvcc"; ``cache_dir`` and ``build_timeout`` as
    codegen-c's (one cache for both backends); ``outputs``: "host" (NumPy arrays) or "device" (``DeviceArray``s, which
    expose ``__cuda_array_interface__``); ``shared_on_device``: keep every shared variable the function reads on the
    device between calls, as ``shared(..., device="cuda")`` keeps one."""

    emulate: bool = False
    block: int | None = None
    max_grid: int | None = None
    arch: str | None = None
    compiler: str = "auto"
    cache_dir: Path | None = None
    build_timeout: float = DEFAULT_BUILD_TIMEOUT_S
    outputs: str = "host"
    shared_on_device: bool = False

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> CudaOptions:
        """Ours from a mode's options (other backends' keys are ignored)."""
        known = {f.name for f in fields(cls)}
        mine = {k: v for k, v in options.items() if k in known}
        if "cache_dir" in mine and mine["cache_dir"] is not None:
            mine["cache_dir"] = Path(mine["cache_dir"])
        made = cls(**mine)
        if made.compiler not in ("auto", "nvrtc", "nvcc"):
            raise ValueError(f"compiler must be 'auto', 'nvrtc' or 'nvcc', not {made.compiler!r}")
        if made.outputs not in ("host", "device"):
            raise ValueError(f"outputs must be 'host' or 'device', not {made.outputs!r}")
        if not isinstance(made.shared_on_device, bool):
            raise ValueError(f"shared_on_device must be True or False, not {made.shared_on_device!r}")
        if made.block is not None and (made.block % 32 or not 32 <= made.block <= 1024):
            raise ValueError(f"block must be a multiple of 32 from 32 to 1024 threads, not {made.block}")
        return made

    @property
    def threads_per_block(self) -> int:
        """256 on a GPU; 64 emulated (each thread is a coroutine there), which still spans two warps."""
        return self.block or (64 if self.emulate else 256)

    @property
    def grid_limit(self) -> int:
        """Blocks per launch at most: enough to fill a GPU; 4 emulated, so that small tests take the grid-stride
        loops and several blocks."""
        return self.max_grid or (4 if self.emulate else 65535)

    @property
    def cache_root(self) -> Path:
        return self.cache_dir or default_cache_dir()
