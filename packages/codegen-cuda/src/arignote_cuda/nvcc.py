"""nvcc as the PTX compiler when no NVRTC loads: ``nvcc --ptx`` on the module's text (a toolkit, no driver)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from arignote_c.compiler_run import run_compiler

from .errors import CudaCompileError


@dataclass(frozen=True)
class Nvcc:
    """An nvcc command; each compile runs it within ``timeout`` seconds."""

    path: str
    timeout: float = 600.0

    @property
    def version(self) -> str:
        return _version(self.path)

    @property
    def identity(self) -> str:
        return f"nvcc {self.version}"

    def compile(self, source: str, name: str, options: list[str]) -> str:
        with tempfile.TemporaryDirectory(prefix="arignote-nvcc-") as work:
            cu, ptx = Path(work, f"{name}.cu"), Path(work, f"{name}.ptx")
            cu.write_text(source)
            flags = [o.replace("--gpu-architecture=", "-arch=") for o in options if o != "-default-device"]
            done = run_compiler([self.path, "--ptx", *flags, str(cu), "-o", str(ptx)], self.timeout, what=name)
            if done.returncode != 0:
                raise CudaCompileError(f"nvcc rejected {name}: {done.stderr.strip()}", source)
            return ptx.read_text()


@cache
def _version(path: str) -> str:
    done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "unknown"


def find_nvcc() -> Nvcc | None:
    """nvcc on PATH, else under ``$CUDA_HOME`` or /usr/local/cuda; None when there is none that runs."""
    homes = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"]
    candidates = [shutil.which("nvcc"), *(str(Path(h, "bin", "nvcc")) for h in homes if h)]
    for path in candidates:
        if path and os.access(path, os.X_OK):
            try:
                _version(path)
            except (OSError, subprocess.SubprocessError):
                continue
            return Nvcc(path)
    return None
