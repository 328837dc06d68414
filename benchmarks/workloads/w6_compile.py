"""W6: compile time of the W4 training function in a fresh process, cold (empty cache) and warm (cached).

Each measurement is a new Python process that imports the peer, makes the data, then times building the graph,
compiling it and computing the first result (imports are reported separately). Cold uses a new empty compile
cache (the median of ``RUNS`` processes, each with its own); warm reuses the cache a cold run filled (the median
of ``RUNS`` processes). What an install built once (Arignote's prebuilt runtime, a peer's own compiled parts)
is not part of either: the peers are installed as users install them.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
#: Cold and warm runs per peer (medians are reported): one process start is at the mercy of the machine.
RUNS = 5

_PRELUDE = """
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {here!r}); sys.path.insert(0, {here!r} + "/workloads")
import peers
{imports}
t1 = time.perf_counter()
import w4_mlp_step as w4
data = w4._data("float32", 128)
t2 = time.perf_counter()
{body}
t3 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "first_result": t3 - t2}}))
"""

SCRIPTS = {
    "arignote C": ("ar = peers.arignote()",
                   "f, params = w4.arignote_training_function(ar, data, 'float32')\nf(data['x'], data['y'])"),
    "jax (jit)": ("jax = peers.jax()", "step, _ = w4.jax_(('float32', 128))\nstep()"),
    "pytensor C": ("peers.pytensor()",
                   "step, _ = w4.pytensor_(peers.PYTENSOR_C_MODE)(('float32', 128))\nstep()"),
    "pytensor numba": ("peers.pytensor()",
                       "step, _ = w4.pytensor_(peers.PYTENSOR_NUMBA_MODE)(('float32', 128))\nstep()"),
    "torch.compile": ("torch = peers.torch()", "step, _ = w4.torch_(True)(('float32', 128))\nstep()"),
}


def _cache_env(peer: str, cache: str) -> dict[str, str]:
    """The child's environment: the peer's compile cache in ``cache``, and Python bytecode cached as in an
    installed package (the cold run writes it, the warm run reads it), for every peer alike."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if peer.startswith("arignote"):
        env["ARIGNOTE_CACHE_DIR"] = cache
    elif peer.startswith("pytensor"):
        env["PYTENSOR_FLAGS"] = f"compiledir={cache}"
        env["NUMBA_CACHE_DIR"] = cache
    elif peer.startswith("torch"):
        env["TORCHINDUCTOR_CACHE_DIR"] = cache
    return env


def _run(peer: str, cache: str) -> dict[str, float]:
    imports, body = SCRIPTS[peer]
    code = _PRELUDE.format(here=str(HERE), imports=imports, body=body)
    done = subprocess.run([sys.executable, "-c", code], env=_cache_env(peer, cache), capture_output=True,
                          text=True, timeout=900)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"{peer}: {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(peer_names: list[str]) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """Cold and warm first-result times per peer, and the reason for each peer that could not run."""
    results: dict[str, dict[str, float]] = {}
    failures: dict[str, str] = {}
    for peer in peer_names:
        colds, warms = [], []
        try:
            for _ in range(RUNS):
                with tempfile.TemporaryDirectory(prefix="w6-") as cache:
                    colds.append(_run(peer, cache))
            with tempfile.TemporaryDirectory(prefix="w6-") as cache:
                _run(peer, cache)
                warms = [_run(peer, cache)["first_result"] for _ in range(RUNS)]
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            failures[peer] = str(exc)
            continue
        results[peer] = {"import": statistics.median(c["import"] for c in colds),
                         "cold": statistics.median(c["first_result"] for c in colds), "warm": statistics.median(warms)}
    return results, failures
