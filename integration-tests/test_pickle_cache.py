"""A compiled function pickled in one process and loaded in another gives the same results and reuses the
compile cache (nothing new is built)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

BUILD = textwrap.dedent("""
    import pickle, sys, numpy as np, arignote as ar
    x = ar.dmatrix("x")
    w = ar.shared(np.linspace(-1, 1, 12).reshape(4, 3), name="w")
    y = ar.nn.softmax(ar.tanh(x @ w) * 3, axis=1)
    f = ar.function([x], [y, ar.grad(y[:, 0].sum(), w)], mode="fast_run")
    out = f(np.arange(8.0).reshape(2, 4) / 8)
    np.save(sys.argv[2], out[0]); np.save(sys.argv[3], out[1])
    open(sys.argv[1], "wb").write(pickle.dumps(f))
""")
LOAD = textwrap.dedent("""
    import pickle, sys, numpy as np
    f = pickle.loads(open(sys.argv[1], "rb").read())
    assert f.backend.name == "c"
    out = f(np.arange(8.0).reshape(2, 4) / 8)
    np.save(sys.argv[2], out[0]); np.save(sys.argv[3], out[1])
""")


def _cache_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.suffix in (".so", ".c")}


def _run(code: str, *args: Path, cache: Path) -> None:
    env = dict(os.environ, ARIGNOTE_CACHE_DIR=str(cache))
    subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, check=True, timeout=300)


def test_pickled_function_runs_elsewhere_from_the_cache(tmp_path):
    cache = tmp_path / "cache"
    pickled = tmp_path / "f.pkl"
    _run(BUILD, pickled, tmp_path / "y1.npy", tmp_path / "g1.npy", cache=cache)
    built = _cache_files(cache)
    assert built, "the first process compiled nothing"
    _run(LOAD, pickled, tmp_path / "y2.npy", tmp_path / "g2.npy", cache=cache)
    assert _cache_files(cache) == built
    for name in ("y", "g"):
        np.testing.assert_array_equal(np.load(tmp_path / f"{name}1.npy"), np.load(tmp_path / f"{name}2.npy"))
