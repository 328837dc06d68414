"""The C compiler: where it is, what it is (for cache keys), which flags it gets, and what libmvec offers.

Finding out costs a few subprocess runs; the answers are remembered per process and, keyed by the compiler's
path, size and modification time, in the cache directory, so that a warm start runs no subprocess at all.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import importlib.machinery
import json
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: The file-name suffix of this interpreter's extension modules (sysconfig's EXT_SUFFIX, without loading
#: sysconfig's data).
EXTENSION_SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]

#: Flags every module is built with. IEEE semantics are kept (no -ffast-math): -fno-math-errno and
#: -fno-trapping-math only let the vectorizer call libmvec and if-convert, without changing any result;
#: -ffp-contract=off keeps a*b+c two roundings, as NumPy computes it (no FMA contraction); -fwrapv gives
#: signed integers NumPy's wrap-around.
BASE_FLAGS = ("-O3", "-fPIC", "-shared", "-fwrapv", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off",
              "-fopenmp-simd", "-fno-semantic-interposition", "-w")

#: The vector-ABI variants (SSE4, AVX2, AVX-512) a simd-declared function must have in libmvec to be used.
_VECTOR_ISAS = ("b", "d", "e")


class CompilerNotFound(RuntimeError):
    """No usable C compiler."""


@dataclass(frozen=True)
class Toolchain:
    """A compiler and what the cache key and the emitter need to know about it."""

    cc: str
    identity: str
    native: bool
    cpu: str
    vector_math: frozenset[str]

    def flags(self, openmp: bool = False) -> tuple[str, ...]:
        """Compile-and-link flags for one module."""
        extra = ["-march=native"] if self.native else []
        if openmp:
            extra.append("-fopenmp")
        return BASE_FLAGS + tuple(extra)

    def libraries(self) -> tuple[str, ...]:
        return ("-lmvec", "-lm") if self.vector_math else ("-lm",)

    def key_parts(self) -> tuple[str, ...]:
        """What a cached module depends on besides its source and flags."""
        return (self.identity, self.cpu if self.native else "", ",".join(sorted(self.vector_math)),
                EXTENSION_SUFFIX)


_PROCESS_CACHE: dict[tuple[str, bool], Toolchain] = {}


def find_compiler(cc: str | None) -> str:
    """The absolute path of ``cc`` (default: gcc, then cc), or CompilerNotFound."""
    for name in ([cc] if cc else ["gcc", "cc"]):
        path = shutil.which(name)
        if path:
            return os.path.realpath(path)
    raise CompilerNotFound(f"no C compiler found (looked for {cc or 'gcc, cc'} on PATH)")


def load_toolchain(cc: str | None, native: bool, state_dir: Path | None) -> Toolchain:
    """The toolchain for ``cc``; ``state_dir`` (the cache root) remembers the probe results across processes."""
    path = find_compiler(cc)
    memo = (path, native)
    if memo in _PROCESS_CACHE:
        return _PROCESS_CACHE[memo]
    stat = os.stat(path)
    stamp = hashlib.sha256(f"{path}|{stat.st_size}|{stat.st_mtime_ns}|{native}".encode()).hexdigest()[:16]
    saved = state_dir / f"toolchain-{stamp}.json" if state_dir is not None else None
    data = _read_json(saved) if saved is not None else None
    if data is None:
        data = {"identity": _identity(path), "vector_math": sorted(_vector_math_functions())}
        if saved is not None:
            _write_json(saved, data)
    toolchain = Toolchain(path, data["identity"], native, _cpu_features() if native else "",
                          frozenset(data["vector_math"]))
    _PROCESS_CACHE[memo] = toolchain
    return toolchain


def _identity(path: str) -> str:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
        machine = subprocess.run([path, "-dumpmachine"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise CompilerNotFound(f"{path} does not run: {exc}") from exc
    return f"{out.splitlines()[0] if out else path} {machine.strip()}"


def _cpu_features() -> str:
    """A digest of the CPU model and feature flags (what -march=native depends on)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    wanted = [line for line in text.splitlines()[:64] if line.startswith(("model name", "flags", "vendor_id"))]
    return hashlib.sha256("\n".join(sorted(set(wanted))).encode()).hexdigest()[:16]


#: Functions glibc's libmvec may provide, by (scalar name, arity).
VECTOR_CANDIDATES = {
    "exp": 1, "exp2": 1, "exp10": 1, "expm1": 1, "log": 1, "log2": 1, "log10": 1, "log1p": 1, "sin": 1, "cos": 1,
    "tan": 1, "asin": 1, "acos": 1, "atan": 1, "sinh": 1, "cosh": 1, "tanh": 1, "asinh": 1, "acosh": 1,
    "atanh": 1, "cbrt": 1, "erf": 1, "erfc": 1, "pow": 2, "atan2": 2, "hypot": 2,
}


def _vector_math_functions() -> set[str]:
    """Names (``exp``, ``expf``, ...) whose SSE4, AVX2 and AVX-512 variants libmvec exports."""
    name = ctypes.util.find_library("mvec")
    if name is None:
        return set()
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return set()
    found = set()
    for fn, arity in VECTOR_CANDIDATES.items():
        args = "v" * arity
        for suffix, lanes in (("", (2, 4, 8)), ("f", (4, 8, 16))):
            symbols = [f"_ZGV{isa}N{n}{args}_{fn}{suffix}" for isa, n in zip(_VECTOR_ISAS, lanes, strict=True)]
            if all(hasattr(lib, s) for s in symbols):
                found.add(fn + suffix)
    return found


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
