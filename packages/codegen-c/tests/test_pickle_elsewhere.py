"""A pickled function carries no fact of the pickling machine: unpickled in another process, it compiles into
that process's own cache (its ARIGNOTE_CACHE_DIR), not into the directory the pickling process used, which may
not even exist there."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

from conftest import child_env, copy_cache, run_python

PICKLE = textwrap.dedent("""
    import pickle, sys
    from arignote_core import function, tensor
    from arignote_core.mode import Mode
    from arignote_c import CBackend
    x = tensor("float64", (None,), "x")
    f = function([x], x * 7.125 - 2, mode=Mode(backend=CBackend(), options={"cache_dir": sys.argv[1], "threads": 1}))
    open(sys.argv[2], "wb").write(pickle.dumps(f))
""")
LOAD = textwrap.dedent("""
    import pickle, sys, warnings
    import numpy as np
    warnings.simplefilter("error")
    f = pickle.loads(open(sys.argv[1], "rb").read())
    print(f(np.arange(3.0)).tolist(), f.mode.options)
""")


def test_an_unpickled_function_compiles_into_the_loading_process_cache(tmp_path: Path, runtime_cache: Path) -> None:
    theirs = tmp_path / "machine-a" / "cache"
    pickled = tmp_path / "f.pkl"
    done = run_python(PICKLE, str(theirs), str(pickled))
    assert done.returncode == 0, done.stderr
    # on the loading machine, the pickling process's directory cannot be: a file stands where its parent was
    for path in sorted(theirs.parent.rglob("*"), reverse=True):
        path.unlink() if not path.is_dir() or path.is_symlink() else path.rmdir()
    theirs.parent.rmdir()
    theirs.parent.write_text("not a directory")
    ours = copy_cache(runtime_cache, tmp_path / "machine-b" / "cache")
    before = len(list((ours / "modules").glob("*/*")))
    done = run_python(LOAD, str(pickled), env=child_env(ARIGNOTE_CACHE_DIR=str(ours)))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("[-2.0, 5.125, 12.25]")
    assert len(list((ours / "modules").glob("*/*"))) == before + 1  # the function's kernels, built here
    assert "cache_dir" not in pickle.loads(pickled.read_bytes()).mode.options
