"""The runtime's C source and its build settings, for both places that build it: the module cache (at first use)
and the wheel's build hook (``hatch_build.py``, which loads this file alone: standard library only, no imports
from the package).

A wheel carries the runtime built at install time (portable flags: it does not depend on the machine's CPU), so
that a first function compiles only its own kernels; its file name is a hash of the source, the flags and the
interpreter's extension suffix, so that an install whose runtime source changed since (or another Python) just
does not find it and builds one into the cache as before.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import subprocess
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent


class StepKind(enum.IntEnum):
    """What a step of a Program does: the lowerings name it, the executor dispatches on it (dispatch.c). Its C
    enum (``AG_STEP_<NAME>``) is generated from this class and opens the runtime's translation unit."""

    ELEMWISE = 1
    REDUCE = 2
    DIMSHUFFLE = 3
    SUBTENSOR = 4
    RESHAPE = 5
    SHAPE = 6
    MATMUL = 7
    PYTHON = 8
    ARRAY = 9
    GEMM = 10
    MAKE_VECTOR = 11
    BROADCAST_TO = 12
    ALLOC = 13
    SUM_TO_SHAPE = 14
    INC_SUBTENSOR = 15
    TAKE = 16
    ADVANCED_INC = 17
    ROWS = 18
    ARANGE = 19


def step_enum() -> str:
    """The C declaration of the step kinds."""
    return "enum {\n" + ",\n".join(f"    AG_STEP_{kind.name} = {kind.value}" for kind in StepKind) + "\n};\n"


#: The runtime's parts, concatenated in this order into one translation unit.
SOURCES = ("common.h", "services.h", "pool.c", "loops.c", "views.c", "blas.c", "program.c", "indexing.c", "dispatch.c",
           "object.c")
#: What cffi exposes of the runtime (the rest is reached through the module it installs).
CDEF = "int ag_install(const char *modname);"
#: Flags after the toolchain's. -O1: the runtime's own loops are simple copies and index walks, and its build is
#: the longest step of a cold start (here 0.6 s at -O1, twice that at -O2); the kernels, where the arithmetic
#: is, get -O3. The full C API (no limited API): the executor uses NumPy's.
EXTRA_FLAGS = ("-O1", "-D_CFFI_NO_LIMITED_API")
#: Where an install keeps its prebuilt runtime.
PREBUILT_DIR = HERE / "prebuilt"


@functools.cache
def runtime_text() -> str:
    """The runtime's C: the step kinds' enum, then its parts concatenated."""
    return "\n".join(["/* ---- step kinds (generated from source.StepKind) ---- */\n" + step_enum(),
                      *(f"/* ---- {name} ---- */\n" + (HERE / name).read_text() for name in SOURCES)])


def prebuilt_name(base_flags: tuple[str, ...], extension_suffix: str) -> str:
    """The module name of a runtime prebuilt with ``base_flags`` (the toolchain's, without -march=native) for an
    interpreter whose extension modules end with ``extension_suffix``."""
    digest = hashlib.sha256("\0".join([runtime_text(), CDEF, *base_flags, *EXTRA_FLAGS, extension_suffix])
                            .encode()).hexdigest()
    return f"_arignote_rt_{digest[:24]}"


def prebuilt_path(base_flags: tuple[str, ...], extension_suffix: str) -> Path:
    """Where this install's prebuilt runtime is, if it has one."""
    return PREBUILT_DIR / (prebuilt_name(base_flags, extension_suffix) + extension_suffix)


def build_prebuilt(compiler: Sequence[str], base_flags: tuple[str, ...], extension_suffix: str,
                   include_dirs: Sequence[str], folder: Path) -> Path:
    """Build the runtime into ``folder`` under its prebuilt name, with ``compiler`` (a command), ``base_flags`` and
    the Python and NumPy headers of ``include_dirs``; RuntimeError with the compiler's message if it fails."""
    import cffi  # noqa: PLC0415  (only to build: 0.1 s to import)

    name = prebuilt_name(base_flags, extension_suffix)
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.set_source(name, runtime_text(), compiler_verbose=False)
    c_file = folder / f"{name}.c"
    ffi.emit_c_code(str(c_file))
    output = folder / f"{name}{extension_suffix}"
    command = [*compiler, *base_flags, *EXTRA_FLAGS, *(f"-I{d}" for d in include_dirs), str(c_file), "-o",
               str(output), "-lm"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{compiler[0]} failed on the runtime: {done.stderr.strip()[-2000:]}")
    return output
