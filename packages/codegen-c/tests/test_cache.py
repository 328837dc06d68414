"""The module cache: concurrent builders build once, damaged entries are rebuilt, unsafe directories are
refused, a missing compiler degrades to the reference evaluator, and the command line."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from arignote_c import CacheWarning, CBackend, CompilerWarning, ModuleCache, UnsafeCacheDir
from arignote_core import function, tensor
from arignote_core.mode import Mode

SRC = [str(Path(__file__).resolve().parents[2] / p / "src") for p in ("graph-core", "graph-opt", "codegen-c")]

COMPILE_ONE = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    import numpy as np
    from arignote_core import function, tensor
    from arignote_core.mode import Mode
    from arignote_c import CBackend
    cache, go = sys.argv[1], Path(sys.argv[2])
    while not go.exists():
        time.sleep(0.005)
    x = tensor("float64", (None,), "x")
    f = function([x], (x * 1.25 + 7) ** 2, mode=Mode(backend=CBackend(), options={"cache_dir": cache, "threads": 1}))
    print(json.dumps({"built": f.executable.info.built, "value": f(np.arange(3.0)).tolist()}))
""")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([*SRC, os.environ.get("PYTHONPATH", "")])}


def test_four_processes_compiling_at_once_build_once(tmp_path: Path) -> None:
    cache, go = tmp_path / "cache", tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", COMPILE_ONE, str(cache), str(go)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env()) for _ in range(4)]
    time.sleep(0.5)
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["built"] for r in results) == 1
    assert all(r["value"] == [49.0, 68.0625, 90.25] for r in results)
    assert len(list((cache / "modules").glob("*/*"))) == 2  # the runtime and this function's kernels
    assert not any((cache / "tmp").iterdir())


def _slow_build(root: str, marker: str, barrier: object, results: object) -> None:
    def build(work: Path) -> Path:
        with open(marker, "a") as log:
            log.write("built\n")
        time.sleep(0.2)
        (work / "lib.so").write_bytes(b"library" * 100)
        return work / "lib.so"

    barrier.wait()  # type: ignore[attr-defined]
    results.put(ModuleCache(Path(root)).get_or_build("ab" + "0" * 62, "mod", "mod.so", build).built)  # type: ignore


def test_locking_under_contention(tmp_path: Path) -> None:
    marker = tmp_path / "builds.log"
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_slow_build, args=(str(tmp_path / "c"), str(marker), barrier, results))
             for _ in range(4)]
    for p in procs:
        p.start()
    built = sorted(results.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    assert built == [False, False, False, True]
    assert marker.read_text().count("built") == 1


def test_damaged_entries_are_detected_and_rebuilt(tmp_path: Path) -> None:
    cache = ModuleCache(tmp_path / "c")
    builds = []

    def build(work: Path) -> Path:
        builds.append(1)
        (work / "lib.so").write_bytes(b"\x7fELF" + b"x" * 1000)
        return work / "lib.so"

    key = "cd" + "1" * 62
    entry = cache.get_or_build(key, "mod", "mod.so", build)
    assert entry.built and cache.lookup(key) is not None
    with open(entry.path, "r+b") as f:
        f.truncate(100)
    assert cache.lookup(key) is None
    again = cache.get_or_build(key, "mod", "mod.so", build)
    assert again.built and len(builds) == 2 and again.path.stat().st_size == 1004
    (again.path.parent / "entry.json").write_text("{not json")
    assert cache.get_or_build(key, "mod", "mod.so", build).built and len(builds) == 3


def test_truncated_compiled_module_is_rebuilt_by_a_new_process(tmp_path: Path) -> None:
    cache, go = tmp_path / "cache", tmp_path / "go"
    go.touch()
    run = [sys.executable, "-c", COMPILE_ONE, str(cache), str(go)]
    first = json.loads(subprocess.run(run, capture_output=True, text=True, env=_env(), check=True).stdout)
    assert first["built"]
    kernels = [p for p in (cache / "modules").glob("*/*/_arignote_k_*")]
    assert len(kernels) == 1
    with open(kernels[0], "r+b") as f:
        f.truncate(kernels[0].stat().st_size // 2)
    second = json.loads(subprocess.run(run, capture_output=True, text=True, env=_env(), check=True).stdout)
    assert second == {"built": True, "value": first["value"]}
    third = json.loads(subprocess.run(run, capture_output=True, text=True, env=_env(), check=True).stdout)
    assert third["built"] is False


def test_cache_directory_of_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "theirs"
    root.mkdir(mode=0o700)
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 1)
    with pytest.raises(UnsafeCacheDir, match="belongs to user id"):
        ModuleCache(root)


@pytest.mark.parametrize("mode_bits", [0o777, 0o720, 0o702])
def test_cache_directory_writable_by_others_is_refused(tmp_path: Path, mode_bits: int, cache_dir) -> None:
    root = tmp_path / "open"
    root.mkdir()
    root.chmod(mode_bits)
    with pytest.raises(UnsafeCacheDir, match="writable by other users"):
        ModuleCache(root)
    x = tensor("float64", (None,), "x")
    with pytest.warns(CacheWarning, match="writable by other users.*private temporary cache"):
        f = function([x], x + 1, mode=Mode(backend=CBackend(), options={"cache_dir": str(root)}))
    assert f.backend.name == "c" and hasattr(f.executable, "info")  # compiled, into the temporary cache
    np.testing.assert_array_equal(f(np.arange(3.0)), [1.0, 2.0, 3.0])
    assert not any(root.iterdir())


def test_new_cache_directories_are_private(tmp_path: Path) -> None:
    cache = ModuleCache(tmp_path / "a" / "b")
    for sub in ("", "modules", "locks", "tmp"):
        assert (cache.root / sub).stat().st_mode & 0o077 == 0


def test_missing_compiler_warns_and_runs_the_reference_evaluator(cache_dir) -> None:
    x = tensor("float64", (None,), "x")
    mode = Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "cc": "no-such-compiler-here"})
    with pytest.warns(CompilerWarning, match="no C compiler found"):
        f = function([x], x * 2 + 1, mode=mode)
    np.testing.assert_array_equal(f(np.arange(3.0)), [1.0, 3.0, 5.0])


def test_command_line_info_and_clear(tmp_path: Path) -> None:
    root = tmp_path / "cli"
    cache = ModuleCache(root)
    for key in ("ef" + "2" * 62, "ef" + "3" * 62):
        cache.get_or_build(key, "mod", "mod.so", lambda work: (work / "m.so").write_bytes(b"x" * 10) and work / "m.so")
    command = [sys.executable, "-m", "arignote_c", "cache"]
    info = subprocess.run([*command, "info", "--dir", str(root)], capture_output=True, text=True, env=_env())
    assert info.returncode == 0 and "entries: 2" in info.stdout
    cleared = subprocess.run([*command, "clear", "--dir", str(root)], capture_output=True, text=True, env=_env())
    assert "removed 2 entries" in cleared.stdout
    assert ModuleCache(root).info()["entries"] == 0
    root.chmod(0o777)
    refused = subprocess.run([*command, "info", "--dir", str(root)], capture_output=True, text=True, env=_env())
    assert refused.returncode == 2 and "writable by other users" in refused.stderr
