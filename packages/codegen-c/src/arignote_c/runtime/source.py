"""The runtime's C source and its build settings, for both places that build it: the module cache (at first use)
and the wheel's build hook (``hatch_build.py``, which loads this file alone: standard library only, no imports
from the package).

A wheel carries the runtime built at install time (portable flags: it does not depend on the machine's CPU), so
that a first function compiles only its own kernels; its file name is a hash of the source, the flags and the
interpreter's extension suffix, so that an install whose runtime source changed since (or another Python) just
does not find it and builds one into the cache as before.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import operator
import re
import subprocess
from collections.abc import Mapping, Sequence
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
    SCAN = 20
    CHECK = 21


class OutputShapes(enum.IntEnum):
    """How an ARRAY step (a kernel over whole arrays: user C code, argmax) sizes its outputs."""

    #: every output has the shape of input ``shape_arg``
    LIKE_INPUT = 0
    #: ``obj(list of input shapes)`` gives the list of output shapes
    FROM_SHAPES = 1
    #: input 0's shape without axis ``shape_arg`` (without every axis, a scalar, when it is negative)
    WITHOUT_AXIS = 2
    #: ``obj(list of input values)`` gives the list of output shapes
    FROM_VALUES = 3


class IndexKind(enum.IntEnum):
    """What an entry of a basic index (SUBTENSOR, INC_SUBTENSOR) is."""

    #: an integer, ``part0``
    INT = 0
    #: a slice ``part0:part1:part2``
    SLICE = 1
    #: a new axis of length 1
    NEW_AXIS = 2


class IndexFlag(enum.IntEnum):
    """The bits of an index entry's flags, shifted left by ``j`` for its part ``j``."""

    #: the part is None
    NONE = 1
    #: the part is the step's next symbolic input (an int64 scalar)
    SYMBOLIC = 8


#: One entry of a basic index as a step's parameters hold it, in this order (parts unused by its kind are 0).
INDEX_ENTRY = ("kind", "flags", "part0", "part1", "part2")

#: A parameter of this name marks a step that may compute output 0 into input 0's buffer: the lowering gives 0,
#: and the link sets it to 1 where the memory plan allows (the runtime still checks shapes and aliasing).
IN_PLACE = "in_place"


@dataclasses.dataclass(frozen=True)
class StepParams:
    """A step kind's integer parameters, in the order the executor reads them: ``names``, then the values of the
    variadic part ``rest`` (a sequence) when the kind has one."""

    names: tuple[str, ...] = ()
    rest: str | None = None

    @property
    def all_names(self) -> tuple[str, ...]:
        return self.names if self.rest is None else (*self.names, self.rest)


#: Every step kind's parameters. Their positions, and the constants above, are generated into the runtime's C
#: (``AG_<KIND>_<NAME>``; a variadic part's name gives where it starts), which reads them by those names.
STEP_PARAMS: dict[StepKind, StepParams] = {
    StepKind.ELEMWISE: StepParams(("ndim",)),
    StepKind.REDUCE: StepParams(("ndim", "no_identity", "naxes"), rest="axes"),
    StepKind.DIMSHUFFLE: StepParams(("in_ndim", "out_ndim"), rest="order"),  # order: -1 for a new axis
    StepKind.SUBTENSOR: StepParams(("n_entries",), rest="entries"),  # entries: INDEX_ENTRY each
    StepKind.RESHAPE: StepParams(("ndim",)),
    StepKind.SHAPE: StepParams(),
    StepKind.MATMUL: StepParams(),
    StepKind.PYTHON: StepParams(),
    StepKind.ARRAY: StepParams(("output_shapes", "shape_arg")),  # output_shapes: an OutputShapes
    StepKind.GEMM: StepParams(("trans_a", "trans_b", IN_PLACE)),
    StepKind.MAKE_VECTOR: StepParams(),
    StepKind.BROADCAST_TO: StepParams(),
    StepKind.ALLOC: StepParams(),
    StepKind.SUM_TO_SHAPE: StepParams(),
    StepKind.INC_SUBTENSOR: StepParams(("set_instead_of_inc", "n_entries"), rest="entries"),
    StepKind.TAKE: StepParams(("n_arrays",)),  # integer arrays index the leading n_arrays axes
    StepKind.ADVANCED_INC: StepParams(("n_arrays", "set_instead_of_inc")),
    StepKind.ROWS: StepParams(("axis",)),
    StepKind.ARANGE: StepParams(),
    # a Scan's loop (scan.c); taps: for each sequence, then each state, the number of its taps, then the taps
    StepKind.SCAN: StepParams(("n_sequences", "n_states", "n_outputs", "n_carried", "n_non_sequences", "as_while",
                               "go_backwards"), rest="taps"),
    StepKind.CHECK: StepParams(),  # input 0 passed on once the other inputs hold everywhere; obj: (error, message)
}

#: The enums of mode numbers and flags that step parameters hold, generated into C as ``AG_<ENUM>_<NAME>``.
PARAM_CONSTANTS: tuple[type[enum.IntEnum], ...] = (OutputShapes, IndexKind, IndexFlag)


def pack_params(kind: StepKind, values: Mapping[str, int | Sequence[int]]) -> tuple[int, ...]:
    """``values`` (by name) as the integer array a ``kind`` step reads, in its declared order; ValueError for a
    missing or unknown name, TypeError for a value of the wrong form (a sequence for the variadic part only)."""
    params = STEP_PARAMS[kind]
    missing = [name for name in params.all_names if name not in values]
    unknown = [name for name in values if name not in params.all_names]
    if missing or unknown:
        raise ValueError(f"a {kind.name} step takes the parameters ({', '.join(params.all_names)}); "
                         f"missing {missing}, unknown {unknown}")
    packed: list[int] = []
    for name in params.names:
        value = values[name]
        if isinstance(value, Sequence):
            raise TypeError(f"parameter {name!r} of a {kind.name} step is one integer, got {value!r}")
        packed.append(operator.index(value))
    if params.rest is not None:
        rest = values[params.rest]
        if not isinstance(rest, Sequence):
            raise TypeError(f"parameter {params.rest!r} of a {kind.name} step is a sequence of integers, got {rest!r}")
        packed += map(operator.index, rest)
    return tuple(packed)


def _c_enum(names: Sequence[tuple[str, int]]) -> str:
    return "enum {\n" + ",\n".join(f"    {name} = {value}" for name, value in names) + "\n};\n"


def step_enum() -> str:
    """The C declaration of the step kinds."""
    return _c_enum([(f"AG_STEP_{kind.name}", kind.value) for kind in StepKind])


def _c_prefix(cls: type) -> str:
    """``OutputShapes`` -> ``AG_OUTPUT_SHAPES``."""
    return "AG_" + re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).upper()


def param_enums() -> str:
    """The C declarations of the step parameters' positions (``AG_<KIND>_<NAME>``; a variadic part's name is
    where it starts), of an index entry's layout (``AG_INDEX_ENTRY_<FIELD>``, ``AG_INDEX_ENTRY_SIZE``) and of
    the constants of ``PARAM_CONSTANTS``."""
    parts = [_c_enum([(f"AG_{kind.name}_{name.upper()}", i) for i, name in enumerate(params.all_names)])
             for kind, params in STEP_PARAMS.items() if params.all_names]
    parts.append(_c_enum([*((f"AG_INDEX_ENTRY_{name.upper()}", i) for i, name in enumerate(INDEX_ENTRY)),
                          ("AG_INDEX_ENTRY_SIZE", len(INDEX_ENTRY))]))
    parts += [_c_enum([(f"{_c_prefix(cls)}_{member.name}", member.value) for member in cls]) for cls in PARAM_CONSTANTS]
    return "".join(parts)


#: The runtime's parts, concatenated in this order into one translation unit.
SOURCES = ("common.h", "strided.h", "services.h", "pool.c", "loops.c", "views.c", "packed_gemm.c", "blas.c",
           "program.c", "indexing.c", "dispatch.c", "object.c", "scan.c")
#: What cffi exposes of the runtime (the rest is reached through the module it installs).
CDEF = "int ag_install(const char *modname);"
#: Flags after the toolchain's. -O1: the runtime's own loops are simple copies and index walks, and its build is
#: the longest step of a cold start (here 0.6 s at -O1, twice that at -O2); the kernels, where the arithmetic
#: is, get -O3. -fexpensive-optimizations: gcc inserts vzeroupper (after AVX code, before calls and returns) only
#: with it, which -O1 leaves off; without it the runtime's AVX struct copies (-march=native) left the upper halves
#: of the vector registers dirty, and every SSE instruction after them (OpenBLAS's interface, the interpreter)
#: paid a transition penalty: a 1x32 @ 32x32 GEMM step cost 0.33 us instead of 0.05 us. The full C API (no
#: limited API): the executor uses NumPy's.
EXTRA_FLAGS = ("-O1", "-fexpensive-optimizations", "-D_CFFI_NO_LIMITED_API")
#: Where an install keeps its prebuilt runtime.
PREBUILT_DIR = HERE / "prebuilt"


@functools.cache
def runtime_text() -> str:
    """The runtime's C: the step kinds' enum and their parameters' names, then its parts concatenated."""
    return "\n".join(["/* ---- step kinds (generated from source.StepKind) ---- */\n" + step_enum(),
                      "/* ---- step parameters and their constants (generated from source.STEP_PARAMS) ---- */\n"
                      + param_enums(),
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
