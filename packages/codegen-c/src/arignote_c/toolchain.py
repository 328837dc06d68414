"""The C compiler: where it is, what it is (for cache keys), which flags it gets, and what libmvec offers.

The compiler is the ``cc`` option, else ``$CC`` (which may hold arguments, as in ``CC="ccache gcc"``), else gcc or
cc on PATH; a named compiler that is not there is reported, never replaced by another. Finding out what it is
costs a few subprocess runs; the answers are remembered per process and, keyed by the compiler's path, size and
modification time, in the cache directory (as notes), so that a warm start runs no subprocess at all.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import importlib.machinery
import json
import os
import platform
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

#: The file-name suffix of this interpreter's extension modules (sysconfig's EXT_SUFFIX, without loading
#: sysconfig's data).
EXTENSION_SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]

#: Flags every module is built with. IEEE semantics are kept (no -ffast-math): -fno-math-errno and
#: -fno-trapping-math only let the vectorizer call libmvec and if-convert, without changing any result;
#: -ffp-contract=off keeps a*b+c two roundings, as NumPy computes it (no FMA contraction); -fwrapv gives
#: signed integers NumPy's wrap-around.
BASE_FLAGS = ("-O3", "-fPIC", "-shared", "-fwrapv", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off",
              "-fopenmp-simd", "-fno-semantic-interposition", "-w")

#: Flags of a module compiled for this CPU: its instruction set, and its widest vectors where it has 512-bit ones
#: (gcc keeps to 256 bits by default; libmvec's 8-wide tanh, exp... then take 2/3 of the time per element).
NATIVE_FLAGS = ("-march=native", "-mprefer-vector-width=512")

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
    #: words after the compiler's own in its command (``CC="ccache gcc"`` runs ccache with ``gcc`` first)
    cc_args: tuple[str, ...] = ()

    @property
    def command(self) -> tuple[str, ...]:
        """The compiler and its leading arguments, as a command starts."""
        return (self.cc, *self.cc_args)

    def flags(self) -> tuple[str, ...]:
        """Compile-and-link flags for one module (no OpenMP runtime: ``-fopenmp-simd`` only reads its simd
        pragmas; the runtime's threads are its own pool)."""
        return BASE_FLAGS + (NATIVE_FLAGS if self.native else ())

    def libraries(self) -> tuple[str, ...]:
        return ("-lmvec", "-lm") if self.vector_math else ("-lm",)

    def key_parts(self) -> tuple[str, ...]:
        """What a cached module depends on besides its source and flags."""
        return (self.identity, self.cpu if self.native else "", ",".join(sorted(self.vector_math)),
                EXTENSION_SUFFIX)


class Notes(Protocol):
    """Where probe results are remembered across processes (the module cache)."""

    def read_note(self, name: str) -> str | None: ...

    def write_note(self, name: str, text: str) -> Any: ...


_PROCESS_CACHE: dict[tuple[tuple[str, ...], bool], Toolchain] = {}


def default_compiler() -> str | None:
    """The compiler ``$CC`` names, if set (read when a function's options are made, as the cache's default)."""
    return os.environ.get("CC") or None


def find_compiler(cc: str | None) -> tuple[str, ...]:
    """The command of ``cc`` (a compiler name or path, possibly followed by arguments; default: gcc, then cc)
    with the compiler's absolute path first, or CompilerNotFound."""
    if cc:
        words = shlex.split(cc)
        path = shutil.which(words[0]) if words else None
        if path is None:
            raise CompilerNotFound(f"no C compiler found: {cc!r} (from the cc option, else $CC) is not an executable "
                                   "file, nor a program on PATH")
        return (os.path.realpath(path), *words[1:])
    for name in ("gcc", "cc"):
        path = shutil.which(name)
        if path:
            return (os.path.realpath(path),)
    raise CompilerNotFound("no C compiler found (looked for gcc and cc on PATH; set CC or the cc option to use "
                           "another)")


def load_toolchain(cc: str | None, native: bool, notes: Notes | None) -> Toolchain:
    """The toolchain for ``cc``; ``notes`` (the module cache) remembers the probe results across processes."""
    command = find_compiler(cc)
    memo = (command, native)
    if memo in _PROCESS_CACHE:
        return _PROCESS_CACHE[memo]
    stat = os.stat(command[0])
    stamp = hashlib.sha256(f"{shlex.join(command)}|{stat.st_size}|{stat.st_mtime_ns}|{native}".encode()).hexdigest()
    name = f"toolchain-{stamp[:16]}.json"
    data = _parse_json(notes.read_note(name)) if notes is not None else None
    if data is None:
        data = {"identity": _identity(command), "vector_math": sorted(_vector_math_functions())}
        if notes is not None:
            try:
                notes.write_note(name, json.dumps(data))
            except OSError:
                pass  # remembered in this process only
    toolchain = Toolchain(command[0], data["identity"], native, _cpu_features() if native else "",
                          frozenset(data["vector_math"]), command[1:])
    _PROCESS_CACHE[memo] = toolchain
    return toolchain


def _identity(command: tuple[str, ...]) -> str:
    try:
        out = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
        machine = subprocess.run([*command, "-dumpmachine"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise CompilerNotFound(f"{shlex.join(command)} does not run: {exc}") from exc
    return f"{out.splitlines()[0] if out else command[0]} {machine.strip()}"


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


def _parse_json(text: str | None) -> dict | None:
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        return None
    return data if isinstance(data, dict) and {"identity", "vector_math"} <= data.keys() else None
