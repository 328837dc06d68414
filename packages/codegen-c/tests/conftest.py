"""Shared fixtures: one private module cache per test session, helpers comparing the C backend with the
reference evaluator (NumPy is the oracle), and helpers for the cache's fault tests (child processes, stand-in
compilers, a child for which root's permission override is gone)."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from arignote_c import CBackend
from arignote_core import function
from arignote_core.mode import Mode
from arignote_opt import standard_rewriter

TOLERANCE = {"float16": (2e-3, 1e-3), "float32": (2e-6, 1e-6), "float64": (1e-13, 1e-14),
             "complex64": (2e-6, 1e-6), "complex128": (1e-13, 1e-14)}


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A fresh private module cache, or ``$ARIGNOTE_TEST_CACHE_DIR`` when set: the nox sessions share one, so a
    combination re-running these tests loads the kernels the first run built instead of running gcc again."""
    shared = os.environ.get("ARIGNOTE_TEST_CACHE_DIR")
    return Path(shared) if shared else tmp_path_factory.mktemp("arignote-c-cache")


@pytest.fixture(scope="session")
def c_mode(cache_dir: Any) -> Mode:
    return Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "threads": 1})


@pytest.fixture(scope="session")
def fast_mode(cache_dir: Any) -> Mode:
    """graph-opt's standard rewrites (strict: a failing rule is an error), then the C backend."""
    return Mode(backend=CBackend(), rewriter=standard_rewriter(strict=True),
                options={"cache_dir": str(cache_dir), "threads": 1})


def assert_same(got: Any, want: Any, what: str = "") -> None:
    """Equal dtype and shape; exact for integers and booleans, close (NaN where NaN) for floats."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    if want.dtype.kind in "fc":
        rtol, atol = TOLERANCE[want.dtype.name]
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
        assert np.array_equal(np.isnan(got), np.isnan(want)), f"{what}: NaNs differ"
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


def compare(inputs: Sequence[Any], outputs: Sequence[Any], values: Sequence[Any], mode: Mode,
            labels: Sequence[str] | None = None) -> Any:
    """Compile ``outputs`` with the C backend and the reference evaluator, run both on ``values`` and compare;
    also checks the C function left its inputs untouched. Returns the C function."""
    c_fn = function(list(inputs), list(outputs), mode=mode)
    ref_fn = function(list(inputs), list(outputs))
    copies = [np.array(v, copy=True) for v in values]
    got = c_fn(*values)
    want = ref_fn(*copies)
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert_same(g, w, labels[k] if labels else f"output {k}")
    for v, c in zip(values, copies, strict=True):
        np.testing.assert_array_equal(v, c, err_msg="the C function modified an input")
    return c_fn


#: the packages' sources, for child processes
SRC = [str(Path(__file__).resolve().parents[2] / p / "src") for p in ("graph-core", "graph-opt", "codegen-c")]
GCC = shutil.which("gcc") or shutil.which("cc") or "gcc"


def child_env(**changes: str | None) -> dict[str, str]:
    """The environment of a child Python importing the packages' sources; a None value unsets that variable."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*SRC, os.environ.get("PYTHONPATH", "")])}
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _drop_permission_override() -> None:
    """In a child about to exec, as root: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set,
    so that the program it runs is bound by file modes like any user (PR_CAPBSET_DROP = 24)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def run_python(code: str, *args: str, env: dict[str, str] | None = None, bound_by_modes: bool = False,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a child Python. ``bound_by_modes``: as root, without the capabilities that let root ignore
    file modes (an ordinary user is bound by them anyway); skips the test if that cannot be arranged."""
    preexec = _drop_permission_override if bound_by_modes and os.geteuid() == 0 else None
    try:
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                              env=env or child_env(), timeout=timeout, preexec_fn=preexec)
    except subprocess.SubprocessError as exc:
        if preexec is not None and "preexec_fn" in str(exc):
            pytest.skip(f"running as root, and the child cannot drop CAP_DAC_OVERRIDE: {exc}")
        raise


def stand_in_compiler(folder: Path, name: str, on_compile: str = "", rewrite_args: str = "") -> Path:
    """A shell script that acts as gcc: version queries go straight to gcc (so the toolchain, and every cache
    key, is gcc's); a compile (a command with ``-o``) first runs ``on_compile`` (shell, may ``exit`` or
    ``exec``). ``rewrite_args`` is a shell test on ``$a`` that keeps an argument only when true."""
    script = folder / name
    keep = f'for a do shift; {rewrite_args} && set -- "$@" "$a"; done\n' if rewrite_args else ""
    script.write_text(f'#!/bin/sh\n{keep}case " $* " in *" -o "*) {on_compile or ":"} ;; esac\nexec {GCC} "$@"\n')
    script.chmod(0o755)
    return script


@pytest.fixture(scope="session")
def runtime_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache holding the C runtime module (and the kernels of ``x + 1``), compiled once per session by a child
    process: copy it where a test's scenario does not depend on building the runtime (its gcc run is 1.5 s)."""
    root = tmp_path_factory.mktemp("runtime-cache") / "cache"
    code = ("import sys; from arignote_core import function, tensor; from arignote_core.mode import Mode; "
            "from arignote_c import CBackend; x = tensor('float64', (None,), 'x'); "
            "function([x], x + 1, mode=Mode(backend=CBackend(), options={'cache_dir': sys.argv[1]}))")
    done = run_python(code, str(root), env=child_env(CC=None))
    assert done.returncode == 0, done.stderr
    return root


def copy_cache(template: Path, root: Path) -> Path:
    """A copy of the cache ``template`` at ``root`` (its modes kept)."""
    shutil.copytree(template, root, symlinks=True)
    return root
