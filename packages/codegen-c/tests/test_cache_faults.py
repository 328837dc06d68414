"""The module cache under faults: a cache that cannot be used, one deleted or cleared under a running process, a
builder killed mid-build, a build that fails while the runtime compiles, a lock held by a hung process. Each
fault ends in a warning and a working function, or in an error that says what went wrong, never in a crash,
a hang or leftovers.

Most scenarios run in a child process: a module loaded once stays loaded in its process, so only a fresh
process really goes through the cache. Permission faults are real for root too: the child then runs without
the capabilities that let root ignore file modes (conftest.run_python)."""

from __future__ import annotations

import ctypes
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import child_env, copy_cache, run_python, stand_in_compiler

import arignote_c.cache as cache_module
from arignote_c import CacheWarning, CBackend, CKernel, CompileError, ModuleCache
from arignote_c.build import Builder, ModuleSource
from arignote_c.runtime import runtime_source
from arignote_c.toolchain import load_toolchain
from arignote_core import Apply, Op, TensorType, as_tensor, function, tensor
from arignote_core.mode import Mode

#: a child's helper: compile a function with kernels of its own (the constant k is part of their source), run
#: it, and say what happened
CHILD = textwrap.dedent("""
    import json, shutil, sys, threading, time, warnings
    from pathlib import Path
    import numpy as np
    from arignote_core import function, tensor
    from arignote_core.mode import Mode
    from arignote_c import CBackend

    def compiled(k, options):
        x = tensor("float64", (None,), "x")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            f = function([x], (x * k + 0.25) ** 2, mode=Mode(backend=CBackend(), options=options))
        info = getattr(f.executable, "info", None)
        return {"value": f(np.arange(3.0)).tolist(), "want": ((np.arange(3.0) * k + 0.25) ** 2).tolist(),
                "compiled": info is not None, "built": bool(info and info.built),
                "warnings": [f"{w.category.__name__}: {w.message}" for w in caught]}
""")


def _last_json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _right(result: dict[str, Any]) -> bool:
    return bool(np.allclose(result["value"], result["want"], rtol=1e-14))


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "tmp").iterdir()) if (root / "tmp").is_dir() else []


# -- 1. a cache that cannot be used: a warning that says where and why, then a private temporary cache ---------

def _compile_with_default_cache(k: float) -> tuple[Any, list[str]]:
    x = tensor("float64", (None,), "x")
    with pytest.warns(CacheWarning) as caught:
        f = function([x], x * k + 1, mode=Mode(backend=CBackend(), options={"threads": 1}))
    np.testing.assert_allclose(f(np.arange(3.0)), np.arange(3.0) * k + 1)
    assert f.executable.info is not None  # compiled C (into the temporary cache), not the reference evaluator
    return f, [str(w.message) for w in caught if w.category is CacheWarning]


def test_a_home_that_cannot_hold_the_cache_gives_a_warning_and_a_temporary_cache(tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch
                                                                                 ) -> None:
    (tmp_path / "file").write_text("a regular file: nothing can be made under it, not even by root")
    home = tmp_path / "file" / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("ARIGNOTE_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    _, messages = _compile_with_default_cache(1.125)
    assert len(messages) == 1
    assert f"{home}/.cache/arignote/c cannot be used" in messages[0]
    assert f"{tmp_path / 'file'} is not a directory" in messages[0]
    assert "private temporary cache" in messages[0]


def test_no_home_at_all_gives_a_warning_not_a_cache_under_the_working_directory(tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch
                                                                                ) -> None:
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.delenv("ARIGNOTE_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_entry(uid: int) -> Any:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    monkeypatch.chdir(tmp_path)
    _, messages = _compile_with_default_cache(1.375)
    assert len(messages) == 1 and "no home directory" in messages[0]
    assert not any(tmp_path.iterdir())  # not "./~/.cache/arignote/c"


@pytest.mark.parametrize("fault", ["read-only cache", "unwritable parent"])
def test_a_cache_that_cannot_be_written_gives_a_warning_and_a_temporary_cache(tmp_path: Path, fault: str,
                                                                              runtime_cache: Path) -> None:
    if fault == "read-only cache":
        root = copy_cache(runtime_cache, tmp_path / "cache")
        locked = [root, *(p for p in root.rglob("*") if p.is_dir())]
    else:
        (tmp_path / "parent").mkdir()
        root = tmp_path / "parent" / "cache"
        locked = [tmp_path / "parent"]
    for folder in locked:
        folder.chmod(0o500)
    try:
        done = run_python(CHILD + "print(json.dumps(compiled(1.625, {'cache_dir': sys.argv[1]})))", str(root),
                          bound_by_modes=True)
    finally:
        for folder in locked:
            folder.chmod(0o700)
    result = _last_json(done)
    assert result["compiled"] and _right(result)
    assert len(result["warnings"]) == 1
    assert result["warnings"][0].startswith(f"CacheWarning: the C module cache {root} cannot be used")
    assert "Permission denied" in result["warnings"][0]


# -- 2. the cache, its locks/ or its tmp/ deleted under a running process --------------------------------------

def test_a_cache_deleted_under_a_running_process_is_made_again(tmp_path: Path, runtime_cache: Path) -> None:
    root = copy_cache(runtime_cache, tmp_path / "cache")
    steps = textwrap.dedent("""
        options = {"cache_dir": sys.argv[1], "threads": 1}
        root = Path(sys.argv[1])
        results = [compiled(1.5, options)]
        for gone in (root / "locks", root / "tmp", root):
            shutil.rmtree(gone)
            results.append(compiled(len(results) + 1.5, options))
        print(json.dumps(results))
    """)
    results = _last_json(run_python(CHILD + steps, str(root)))
    assert [r["built"] for r in results] == [True, True, True, True]
    assert all(_right(r) and not r["warnings"] for r in results)
    assert len(list((root / "modules").glob("*/*"))) == 1  # the last function's module, in the cache made anew
    assert _leftovers(root) == []


# -- 3. clear while another process builds; a failed build whose source cannot be kept -------------------------

def test_clearing_the_cache_while_another_process_builds(tmp_path: Path, runtime_cache: Path) -> None:
    root = copy_cache(runtime_cache, tmp_path / "cache")
    slow = stand_in_compiler(tmp_path, "slow-cc", on_compile="sleep 2")
    builder = subprocess.Popen([sys.executable, "-c", CHILD + "print(json.dumps(compiled(2.75, json.loads("
                                "sys.argv[1]))))", json.dumps({"cache_dir": str(root), "cc": str(slow)})],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env())
    try:
        deadline = time.monotonic() + 60
        while not _leftovers(root) and time.monotonic() < deadline:  # wait until its build is under way
            time.sleep(0.02)
        assert _leftovers(root), "the builder never started building"
        cleared = run_python("import sys; from arignote_c.__main__ import main; sys.exit(main(sys.argv[1:]))",
                             "cache", "clear", "--dir", str(root))
        out, err = builder.communicate(timeout=120)
    finally:
        builder.kill()
    assert cleared.returncode == 0, cleared.stderr
    assert builder.returncode == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["built"] and _right(result)
    assert _leftovers(root) == []


@dataclass(frozen=True)
class BrokenC(Op):
    """An op whose C names an undeclared variable: a module gcc rejects."""

    tag: str

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [TensorType("float64", x.type.shape)])

    def perform(self, node: Apply, inputs: Any) -> Any:
        return [inputs[0] * 2]

    def c_code(self, node: Apply) -> CKernel:
        return CKernel(body=f"return undeclared_{self.tag};")


def test_a_failed_build_whose_source_cannot_be_kept_still_says_what_gcc_said(tmp_path: Path,
                                                                             runtime_cache: Path) -> None:
    root = copy_cache(runtime_cache, tmp_path / "cache")
    (root / "failed").write_text("a regular file where the folder of kept sources would go")
    x = tensor("float64", (None,), "x")
    with pytest.raises(CompileError, match=r"(?s)source could not be kept.*undeclared_keep_test"):
        function([x], BrokenC("keep_test")(x), mode=Mode(backend=CBackend(), options={"cache_dir": str(root)}))


# -- 4. leftovers: a builder killed during gcc; a build failing while the runtime compiles ---------------------

def test_a_note_whose_folder_a_clear_removes_while_it_is_written_is_written_again(tmp_path: Path,
                                                                                 monkeypatch: Any) -> None:
    """A concurrent ``arignote cache clear`` removing a kernel index folder between its opening and the write
    is a fresh cache, not an unusable one (it made a loaded machine's builders fall back to a temporary cache)."""
    cache = ModuleCache(tmp_path / "c")
    real_open, cleared = os.open, []

    def open_after_a_clear(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if kwargs.get("dir_fd") is not None and str(path).startswith(".note.") and not cleared:
            cleared.append(path)
            shutil.rmtree(tmp_path / "c" / "kernels")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(cache_module.os, "open", open_after_a_clear)
    cache.write_note("kernels/v/ab/note", "key")
    assert cleared and cache.read_note("kernels/v/ab/note") == "key"


def test_what_a_builder_killed_during_gcc_left_is_swept(tmp_path: Path, runtime_cache: Path) -> None:
    root = copy_cache(runtime_cache, tmp_path / "cache")
    marker = tmp_path / "gcc.pid"
    hung = stand_in_compiler(tmp_path, "hung-cc", on_compile=f"echo $$ > {marker}; exec sleep 60")
    options = json.dumps({"cache_dir": str(root), "cc": str(hung)})
    child = subprocess.Popen([sys.executable, "-c", CHILD + "compiled(3.25, json.loads(sys.argv[1]))", options],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env())
    try:
        deadline = time.monotonic() + 60
        while not (marker.exists() and marker.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), "the builder never reached gcc"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
        if marker.exists():
            os.kill(int(marker.read_text()), signal.SIGKILL)  # its orphaned "gcc"
    assert _leftovers(root), "the killed builder left no temporary directory: nothing tested"
    ModuleCache(root)  # the next process to open the cache
    assert _leftovers(root) == []


def test_a_build_failing_while_the_runtime_compiles_leaves_no_thread_process_or_directory(tmp_path: Path) -> None:
    root = tmp_path / "cache"  # empty: the runtime compiles in its background thread, slowly
    slow_runtime = stand_in_compiler(tmp_path, "slow-cc", on_compile='case "$*" in *_arignote_rt_*) sleep 3 ;; esac')
    steps = textwrap.dedent("""
        import os
        from dataclasses import dataclass
        from arignote_core import Apply, Op, TensorType, as_tensor
        from arignote_c import CKernel

        @dataclass(frozen=True)
        class BrokenC(Op):
            def make_node(self, x):
                x = as_tensor(x)
                return Apply(self, [x], [TensorType("float64", x.type.shape)])
            def c_code(self, node):
                return CKernel(body="return undeclared_runtime_test;")

        x = tensor("float64", (None,), "x")
        try:
            function([x], BrokenC()(x), mode=Mode(backend=CBackend(), options=json.loads(sys.argv[1])))
            error = None
        except Exception as exc:
            error = type(exc).__name__
        try:
            os.waitpid(-1, os.WNOHANG)
            children = True
        except ChildProcessError:
            children = False
        threads = [t.name for t in threading.enumerate() if t.name.startswith("arignote")]
        print(json.dumps({"error": error, "children": children, "threads": threads,
                          "tmp": sorted(os.listdir(Path(sys.argv[2]) / "tmp"))}))
    """)
    options = json.dumps({"cache_dir": str(root), "cc": str(slow_runtime)})
    result = _last_json(run_python(CHILD + steps, options, str(root)))
    assert result == {"error": "CompileError", "children": False, "threads": [], "tmp": []}


# -- 5. a wait for another process's build is bounded ----------------------------------------------------------

def test_waiting_for_a_hung_builders_lock_is_bounded(tmp_path: Path) -> None:
    cache = ModuleCache(tmp_path / "cache")
    key = Builder(load_toolchain(None, True, None), cache).key(runtime_source())
    options = json.dumps({"cache_dir": str(cache.root), "build_timeout": 2})
    with cache.lock(key):  # a process building the runtime, hung while it holds the entry's lock
        started = time.monotonic()
        done = run_python(CHILD + "compiled(3.75, json.loads(sys.argv[1]))", options, env=child_env(CC=None),
                          timeout=90)
        waited = time.monotonic() - started
    assert done.returncode != 0 and waited < 60
    assert "BuildTimeout: waited 2 s for another process building the same module" in done.stderr
    assert f"{cache.root}/locks/{key}.lock" in done.stderr


# -- an entry removed between opening it and loading it ------------------------------------------------------

@pytest.mark.parametrize("python", [False, True], ids=["plain library", "extension module"])
def test_an_entry_cleared_between_opening_and_loading_is_built_again(python: bool, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A clear in another process may remove an entry after this one opened it and before the dynamic loader
    reads its file: the load is tried again (the entry built anew), never an OSError from dlopen."""
    cache = ModuleCache(tmp_path / "cache")
    builder = Builder(load_toolchain(None, True, cache), cache)
    name = f"ag_vanish_{int(python)}_{time.monotonic_ns()}"
    source = ModuleSource(f"int {name}(void) {{ return 7; }}", f"int {name}(void);", python=python)
    opened = []
    real_obtain = ModuleCache.obtain

    @contextmanager
    def clear_after_the_first_open(self: ModuleCache, *args: Any, **kwargs: Any) -> Any:
        with real_obtain(self, *args, **kwargs) as found:
            opened.append(found)
            if len(opened) == 1:
                self.clear()  # what a concurrent `python -m arignote_c cache clear` does
            yield found

    monkeypatch.setattr(ModuleCache, "obtain", clear_after_the_first_open)
    built = builder.load(source)
    assert len(opened) == 2
    assert ctypes.CFUNCTYPE(ctypes.c_int)(built.address(name))() == 7
