"""Building an exported model into a shared library with the C compiler, linking a CBLAS when one links."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..toolchain import find_compiler

#: the flags an exported model builds with (no -march=native: the library may go to another machine; the kernels'
#: ``omp simd`` pragmas ask for vector loops, without OpenMP's runtime)
FLAGS = ("-O2", "-std=c11", "-fPIC", "-fopenmp-simd")
#: the libraries tried, in order, for ``cblas_dgemm``
BLAS_LIBRARIES = ("openblas", "cblas", "blas")

_PROBE = """void cblas_dgemm(int, int, int, int, int, int, double, const double *, int, const double *, int, double,
                 double *, int);
int main(void) { double a = 1, b = 2, c = 0; cblas_dgemm(101, 111, 111, 1, 1, 1, 1.0, &a, 1, &b, 1, 0.0, &c, 1);
                 return c != 2; }
"""


def find_blas(compiler: Sequence[str], timeout: float = 60) -> str | None:
    """The first of ``BLAS_LIBRARIES`` whose ``cblas_dgemm`` links and runs here, or None."""
    with tempfile.TemporaryDirectory(prefix="arignote-export-") as folder:
        source = Path(folder) / "probe.c"
        source.write_text(_PROBE)
        for library in BLAS_LIBRARIES:
            program = Path(folder) / f"probe_{library}"
            done = subprocess.run([*compiler, str(source), "-o", str(program), f"-l{library}"], capture_output=True,
                                  timeout=timeout, check=False)
            if done.returncode == 0 and subprocess.run([str(program)], capture_output=True, timeout=timeout,
                                                       check=False).returncode == 0:
                return library
    return None


def build_library(source: Path, output: Path, cc: str | None = None, blas: bool = True,
                  timeout: float = 600) -> str | None:
    """Compile ``source`` into the shared library ``output``; with ``blas``, link the first CBLAS found
    (``-DAG_USE_CBLAS -l<library>``), else the runtime's own matrix loop. Returns the BLAS library linked, or
    None; RuntimeError with the compiler's message if the build fails."""
    compiler = find_compiler(cc)
    library = find_blas(compiler) if blas else None
    extra = ["-DAG_USE_CBLAS", f"-l{library}"] if library else []
    command = [*compiler, *FLAGS, "-shared", str(source), "-o", str(output), *extra, "-lm"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr.strip()[-4000:]}")
    return library
