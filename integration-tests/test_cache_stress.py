"""The C module cache under load and faults at once: into an empty cache, eight processes compile the same new
function and one of their own each, while a ninth runs `arignote cache clear` twice and a tenth is killed in the
middle of a build. Every result is right, every process ends within a bound, no temporary directory is left, and
the next process finds a healthy cache. (Small functions: it takes about half a minute on two cores.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from arignote_c import ModuleCache

BUILDERS = 8
#: seconds each process may take, from the start signal to its exit
BOUND_S = 150

BUILDER = textwrap.dedent("""
    import json, sys, time, warnings
    from pathlib import Path
    import numpy as np
    import arignote as ar
    go, k = Path(sys.argv[1]), float(sys.argv[2])
    while not go.exists():
        time.sleep(0.005)
    warnings.simplefilter("error")  # a fallback (a CacheWarning) would mean the cache failed this process
    x = ar.dvector("x")
    same = ar.function([x], ar.exp(x * 0.375) - x * 1.5)
    own = ar.function([x], ar.sqrt(x + k) * 2.25)
    values = np.linspace(0.0, 3.0, 7)
    print(json.dumps({"same": same(values).tolist(), "own": own(values).tolist(),
                      "built": [same.executable.info.built, own.executable.info.built]}))
""")

CLEARER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from arignote.cli import main
    go, again = Path(sys.argv[1]), Path(sys.argv[2])
    while not go.exists():
        time.sleep(0.005)
    root, deadline = Path(sys.argv[3]), time.monotonic() + 60
    while time.monotonic() < deadline and not (any((root / "modules").glob("*/*"))
                                               and any((root / "tmp").glob("w-*"))):
        time.sleep(0.005)  # until a module is published and another build is under way
    codes = [main(["cache", "clear"])]
    while not again.exists():  # after the tenth is killed
        time.sleep(0.005)
    codes.append(main(["cache", "clear"]))
    sys.exit(max(codes))
""")


def _start(code: str, *args: object, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _pids(marker: Path) -> list[int]:
    return [int(word) for word in marker.read_text().split()] if marker.exists() else []


def test_concurrent_builders_clears_and_a_killed_builder(tmp_path: Path) -> None:
    root, go, again, marker = tmp_path / "cache", tmp_path / "go", tmp_path / "again", tmp_path / "gcc.pids"
    env = {**os.environ, "ARIGNOTE_CACHE_DIR": str(root), "ARIGNOTE_THREADS": "1"}
    env.pop("CC", None)
    # the tenth builds with a "gcc" that stops before compiling (version queries pass through, so its cache keys
    # are gcc's): it is killed there, holding a lock and a temporary directory
    stopping_cc = tmp_path / "stopping-cc"
    stopping_cc.write_text(f'#!/bin/sh\ncase " $* " in *" -o "*) echo $$ >> {marker}; exec sleep 120 ;; esac\n'
                           'exec gcc "$@"\n')
    stopping_cc.chmod(0o755)

    builders = [_start(BUILDER, go, 0.5 + k, env=env) for k in range(BUILDERS)]
    clearer = _start(CLEARER, go, again, root, env=env)
    tenth = _start(BUILDER, go, 99.5, env={**env, "CC": str(stopping_cc)})
    try:
        go.touch()
        started = time.monotonic()
        _wait_for(lambda: _pids(marker), BOUND_S, "the tenth process to reach gcc")
        tenth.send_signal(signal.SIGKILL)
        tenth.wait(timeout=30)
        again.touch()
        outputs = [p.communicate(timeout=max(1.0, BOUND_S - (time.monotonic() - started))) for p in builders]
        cleared, clear_errors = clearer.communicate(timeout=max(1.0, BOUND_S - (time.monotonic() - started)))
    finally:
        for process in [*builders, clearer, tenth]:
            process.kill()
        for pid in _pids(marker):  # the killed process's orphaned "gcc"
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    values = np.linspace(0.0, 3.0, 7)
    for k, (process, (out, err)) in enumerate(zip(builders, outputs, strict=True)):
        assert process.returncode == 0, f"builder {k}:\n{err[-3000:]}"
        result = json.loads(out.strip().splitlines()[-1])
        np.testing.assert_allclose(result["same"], np.exp(values * 0.375) - values * 1.5, rtol=1e-14)
        np.testing.assert_allclose(result["own"], np.sqrt(values + 0.5 + k) * 2.25, rtol=1e-14)
    assert clearer.returncode == 0, clear_errors
    assert cleared.count("removed") == 2 and "removed 0 entries" not in cleared.splitlines()[0], cleared
    assert tenth.returncode == -signal.SIGKILL
    assert sorted(os.listdir(root / "tmp")) == []

    # the next process: a healthy cache, every entry intact, the same function right
    nxt = subprocess.run([sys.executable, "-c", BUILDER, str(go), "0.5"], capture_output=True, text=True, env=env,
                         timeout=BOUND_S)
    assert nxt.returncode == 0, nxt.stderr[-3000:]
    result = json.loads(nxt.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(result["same"], np.exp(values * 0.375) - values * 1.5, rtol=1e-14)
    cache = ModuleCache(root)
    entries = [p.name for p in (root / "modules").glob("*/*")]
    assert entries and all(cache.lookup(key) is not None for key in entries)
    info = subprocess.run([sys.executable, "-m", "arignote", "cache", "info"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert info.returncode == 0 and f"entries: {len(entries)}" in info.stdout
    assert sorted(os.listdir(root / "tmp")) == []
