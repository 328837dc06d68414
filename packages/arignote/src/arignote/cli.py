"""The ``arignote`` command: ``info``, ``cache info|clear``, ``bench``."""

from __future__ import annotations

import argparse
import importlib
import platform
import shlex
import shutil
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version

from arignote_c.runtime import prebuilt_runtime
from arignote_c.toolchain import CompilerNotFound, default_compiler, find_compiler

from .config import from_environment

PARTS = [("arignote", "arignote"), ("arignote-graph-core", "arignote_core"), ("arignote-graph-opt", "arignote_opt"),
         ("arignote-autograd-sym", "arignote_grad"), ("arignote-codegen-c", "arignote_c"),
         ("arignote-nn-extras", "arignote_nn"), ("arignote-codegen-cuda", "arignote_cuda")]


def _version_of(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def _compiler() -> tuple[str, tuple[str, ...] | None]:
    """The compiler the C backend uses by default ($CC, else gcc, then cc), said in words, and its command."""
    cc = default_compiler()
    origin = f", from CC={cc}" if cc else ""
    try:
        command = find_compiler(cc)
    except CompilerNotFound as exc:
        return f"{exc}: functions run on the reference evaluator", None
    try:
        first = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=30).stdout.splitlines()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{shlex.join(command)} does not run ({exc}){origin}", None
    return f"{shlex.join(command)} ({first[0] if first else '?'}{origin})", command


def _gpu() -> str:
    if shutil.which("nvidia-smi") is None:
        return "none seen (no nvidia-smi)"
    done = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
    return done.stdout.strip() or "nvidia-smi found no GPU"


def _cuda() -> list[str]:
    """The CUDA backend's parts (compiler, pycuda, driver, device), from arignote_cuda when it is installed."""
    try:
        cuda = importlib.import_module("arignote_cuda")
    except ImportError:
        return ['not installed (pip install "arignote[cuda]")']
    return list(cuda.describe())


def _runtime() -> str:
    """Where the C executor comes from: built with this install (the wheel's), or built into the cache."""
    if prebuilt_runtime() is not None:
        return "prebuilt, with codegen-c's install"
    return "not prebuilt (an editable install, or one whose runtime does not load here): built into the cache"


def info() -> int:
    """Print versions of every part, the compiler, BLAS, GPU, the threads loops use and the compile cache."""
    config = from_environment()
    print(f"Python {platform.python_version()} on {platform.machine()} ({platform.system()})")
    for dist, _ in PARTS:
        print(f"  {dist:24} {_version_of(dist)}")
    compiler, command = _compiler()
    print(f"compiler:  {compiler}")
    print(f"runtime:   {_runtime()}")
    import scipy  # noqa: PLC0415  (only for this report)

    print(f"BLAS:      SciPy {scipy.__version__}'s bundled BLAS (scipy.linalg.cython_blas)")
    print(f"GPU:       {_gpu()}")
    print("CUDA:      " + "\n           ".join(_cuda()))
    print(f"mode:      {config.mode} (ARIGNOTE_MODE); floatX {config.floatX}; threads "
          f"{config.threads or 'all available'} (the C runtime's own pool; fork-safe)")
    return cache(["info"])


def cache(args: list[str]) -> int:
    """Delegate to codegen-c's cache command."""
    module = importlib.import_module("arignote_c.__main__")
    return int(module.main(["cache", *args]))


def bench(args: list[str]) -> int:
    """Run the quick benchmarks that ship with the package (NumPy beside Arignote)."""
    from .quickbench import main  # noqa: PLC0415  (imports arignote, which imports this module)

    return main(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="arignote", description="Arignote: the tensor-expression compiler.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions, compiler, BLAS, GPU, threads, cache")
    cache_parser = sub.add_parser("cache", help="the compile cache")
    cache_parser.add_argument("action", choices=["info", "clear"])
    sub.add_parser("bench", help="quick benchmarks against NumPy")
    args, rest = parser.parse_known_args(argv)
    if args.command == "info":
        return info()
    if args.command == "cache":
        return cache([args.action, *rest])
    return bench(rest)


if __name__ == "__main__":
    sys.exit(main())
