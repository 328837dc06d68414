"""Another user's code must not run in your process: the cache directory and every directory above it are
checked (owner, not writable by others unless sticky), on every open, and a directory swapped during a run is
refused, not followed. The refusal is a warning and a private temporary cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import child_env, run_python

from arignote_c import CacheWarning, CBackend, ModuleCache, UnsafeCacheDir
from arignote_core import function, tensor
from arignote_core.mode import Mode

NOBODY = 65534


def test_a_parent_writable_by_others_without_the_sticky_bit_is_refused(tmp_path: Path) -> None:
    parent = tmp_path / "shared"
    parent.mkdir()
    parent.chmod(0o777)  # anyone may rename the cache directory away and put theirs in its place
    root = parent / "cache"
    with pytest.raises(UnsafeCacheDir, match=f"{parent}, above the cache directory, is writable by other users"):
        ModuleCache(root)
    x = tensor("float64", (None,), "x")
    with pytest.warns(CacheWarning, match="without the sticky bit"):
        f = function([x], x * 2.5, mode=Mode(backend=CBackend(), options={"cache_dir": str(root)}))
    np.testing.assert_array_equal(f(np.arange(3.0)), [0.0, 2.5, 5.0])
    assert f.executable.info is not None  # compiled, into the temporary cache


def test_a_sticky_parent_writable_by_others_is_accepted(tmp_path: Path) -> None:
    parent = tmp_path / "tmp-like"
    parent.mkdir()
    parent.chmod(0o1777)  # as /tmp: others may add entries, not rename or remove ours
    assert ModuleCache(parent / "cache").root == parent / "cache"


def test_a_parent_owned_by_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parent = tmp_path / "theirs"
    parent.mkdir(mode=0o755)
    if os.geteuid() == 0:
        os.chown(parent, NOBODY, NOBODY)  # a real other owner
        refused = parent
    else:
        # no other owner can be made without privileges: become another user in the eyes of the check instead;
        # the first directory on the way that is neither root's nor "ours" is then the one refused
        real = os.getuid()
        monkeypatch.setattr(os, "getuid", lambda: real + 1)
        refused = next(p for p in reversed([tmp_path, *tmp_path.parents]) if p.stat().st_uid == real)
    with pytest.raises(UnsafeCacheDir, match=f"{refused}, above the cache directory, belongs to user id"):
        ModuleCache(parent / "cache")


VICTIM = textwrap.dedent("""
    import json, sys, warnings
    from pathlib import Path
    import numpy as np
    from arignote_core import function, tensor
    from arignote_core.mode import Mode
    from arignote_c import CBackend

    def compiled(k):
        x = tensor("float64", (None,), "x")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            f = function([x], x * k - 1, mode=Mode(backend=CBackend(), options={"cache_dir": sys.argv[1]}))
        assert np.allclose(f(np.arange(3.0)), np.arange(3.0) * k - 1)
        return {"built": f.executable.info.built, "warnings": [str(w.message) for w in caught]}

    first = compiled(4.25)
    if len(sys.argv) > 2:
        print("ready", flush=True)
        sys.stdin.readline()  # the swap happens here
    print(json.dumps([first, compiled(5.75)]))
""")


@pytest.mark.parametrize("swap", ["symbolic link", "directory of another user"])
def test_a_cache_directory_swapped_during_a_run_is_not_followed(tmp_path: Path, swap: str) -> None:
    if swap == "directory of another user" and os.geteuid() != 0:
        pytest.skip("making a directory of another user needs root (the symbolic-link case tests the same check)")
    # the attacker's cache: both functions already built, so a victim following the swap would load them
    theirs = tmp_path / "theirs"
    planted = run_python(VICTIM, str(theirs))
    assert planted.returncode == 0, planted.stderr
    root = tmp_path / "victim" / "cache"
    victim = subprocess.Popen([sys.executable, "-c", VICTIM, str(root), "wait"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env())
    try:
        assert victim.stdout is not None and victim.stdout.readline().strip() == "ready"
        root.rename(root.with_name("cache.old"))
        if swap == "symbolic link":
            root.symlink_to(theirs)
        else:
            theirs.rename(root)
            for folder, _, files in os.walk(root):
                for name in [folder, *(os.path.join(folder, f) for f in files)]:
                    os.chown(name, NOBODY, NOBODY)
        out, err = victim.communicate("go\n", timeout=120)
    finally:
        victim.kill()
    assert victim.returncode == 0, err[-3000:]
    first, second = json.loads(out.strip().splitlines()[-1])
    assert first == {"built": True, "warnings": []}
    assert second["built"], "the victim loaded a module it did not build, from a directory it did not check"
    assert len(second["warnings"]) == 1 and "private temporary cache" in second["warnings"][0]
    assert ("symbolic link" if swap == "symbolic link" else "belongs to user id 65534") in second["warnings"][0]
