"""Whether the compiler can build Python extension modules at all, asked when a build fails.

A compiler that runs but cannot build any module (Python.h or NumPy's headers missing, no OpenMP runtime, no
libm...) would make every function fail with a CompileError; the backend asks this instead, and then warns once
and runs the function on the reference evaluator, as with no compiler. A failure the test module does not share
is the failing module's own, and stays a CompileError.
"""

from __future__ import annotations

import re
import sysconfig

import numpy as np

from .build import Builder, ModuleSource, compile_command
from .compiler_run import run_compiler
from .errors import BuildTimeout
from .toolchain import EXTENSION_SUFFIX, Toolchain

#: what every module, the runtime's included, needs from the toolchain
PROBE_SOURCE = """#include <Python.h>
#include <numpy/arrayobject.h>
#include <math.h>
double ag_probe(double x) { return sqrt(x); }
"""

#: the answer for each toolchain tried in this process (None: it builds modules)
_ANSWERS: dict[Toolchain, str | None] = {}

_ERROR_LINE = re.compile(r"((?:fatal )?error: .*|cannot find .*)")


def known_problem(toolchain: Toolchain) -> str | None:
    """What this process found ``toolchain`` unable to do, if it tried and it failed."""
    return _ANSWERS.get(toolchain)


def toolchain_problem(builder: Builder) -> str | None:
    """Why ``builder``'s compiler cannot build an extension module (the first error it gives on a minimal one,
    e.g. ``fatal error: Python.h: No such file or directory``), or None when it can, or when that cannot be told."""
    if builder.toolchain in _ANSWERS:
        return _ANSWERS[builder.toolchain]
    source = ModuleSource(PROBE_SOURCE, "", include_dirs=(np.get_include(),))
    try:
        with builder.cache.workdir() as work:
            c_file = work / "probe.c"
            c_file.write_text(PROBE_SOURCE)
            command = compile_command(builder.toolchain, source, c_file, work / f"probe{EXTENSION_SUFFIX}")
            result = run_compiler(command, builder.timeout, what="a test module")
    except (OSError, BuildTimeout):
        return None
    answer = None if result.returncode == 0 else first_error(result.stderr)
    _ANSWERS[builder.toolchain] = answer
    return answer


def first_error(stderr: str) -> str:
    """The first error line of a compiler's output, without its file-name prefix."""
    for line in stderr.splitlines():
        found = _ERROR_LINE.search(line)
        if found:
            return found.group(1).strip()
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "the compiler failed without a message"


def include_dirs() -> str:
    """The header directories a module is compiled with, for messages."""
    return f"{sysconfig.get_paths()['include']} and {np.get_include()}"
