"""The compiler under faults: ``CC`` is honoured (and a missing one reported), a compiler that cannot build any
extension module is one warning and the reference evaluator (as no compiler is), and a hung compiler is killed
after the build timeout with an error that says so."""

from __future__ import annotations

import json
import sysconfig
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import child_env, copy_cache, run_python, stand_in_compiler

from arignote_c import CBackend, CompilerWarning
from arignote_core import function, tensor
from arignote_core.mode import Mode

CHILD = textwrap.dedent("""
    import json, os, sys, time, warnings
    from pathlib import Path
    import numpy as np
    from arignote_core import function, tensor
    from arignote_core.mode import Mode
    from arignote_c import CBackend

    x = tensor("float64", (None,), "x")
    started = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            f = function([x], (x - 0.5) * 6.125, mode=Mode(backend=CBackend(), options=json.loads(sys.argv[1])))
            outcome = {"value": f(np.arange(3.0)).tolist(), "compiled": hasattr(f.executable, "info")}
        except Exception as exc:
            outcome = {"error": type(exc).__name__, "message": str(exc)}
    outcome["seconds"] = time.monotonic() - started
    outcome["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    try:
        os.waitpid(-1, os.WNOHANG)
        outcome["children"] = True
    except ChildProcessError:
        outcome["children"] = False
    outcome["tmp"] = sorted(os.listdir(Path(json.loads(sys.argv[1])["cache_dir"]) / "tmp"))
    print(json.dumps(outcome))
""")


def _run(options: dict[str, object], **env: str | None) -> dict[str, object]:
    done = run_python(CHILD, json.dumps(options), env=child_env(**env), timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_a_compiler_that_cannot_find_python_h_is_one_warning_and_the_reference_evaluator(tmp_path: Path) -> None:
    include = sysconfig.get_paths()["include"]
    headless = stand_in_compiler(tmp_path, "headless-cc", rewrite_args=f'[ "$a" != "-I{include}" ]')
    outcome = _run({"cache_dir": str(tmp_path / "cache"), "cc": str(headless)})
    assert outcome["value"] == [-3.0625, 3.0625, 9.1875] and not outcome["compiled"]
    assert len(outcome["warnings"]) == 1  # type: ignore[arg-type]
    warning = outcome["warnings"][0]  # type: ignore[index]
    assert warning.startswith(f"CompilerWarning: the C compiler {headless} cannot build Python extension modules")
    assert "Python.h: No such file or directory" in warning and "reference evaluator" in warning
    assert not outcome["children"] and outcome["tmp"] == []


def test_a_hung_compiler_is_killed_after_the_build_timeout(tmp_path: Path) -> None:
    hung = stand_in_compiler(tmp_path, "hung-cc", on_compile="exec sleep 600")
    outcome = _run({"cache_dir": str(tmp_path / "cache"), "cc": str(hung), "build_timeout": 1.5})
    assert outcome["error"] == "BuildTimeout"
    assert "ran longer than the build timeout (1.5 s)" in outcome["message"]  # type: ignore[operator]
    assert outcome["seconds"] < 30  # type: ignore[operator]
    assert not outcome["children"] and outcome["tmp"] == []  # the compiler (and the runtime's) killed, tidied


def test_the_cc_environment_variable_names_the_compiler(tmp_path: Path, runtime_cache: Path) -> None:
    log = tmp_path / "calls.log"
    logging_cc = stand_in_compiler(tmp_path, "logging-cc", on_compile=f'echo "$*" >> {log}')
    root = copy_cache(runtime_cache, tmp_path / "cache")
    outcome = _run({"cache_dir": str(root)}, CC=str(logging_cc))
    assert outcome["value"] == [-3.0625, 3.0625, 9.1875] and outcome["compiled"] and not outcome["warnings"]
    assert log.exists() and "_arignote_k_" in log.read_text()


def test_a_cc_environment_variable_naming_no_compiler_is_reported(monkeypatch: pytest.MonkeyPatch,
                                                                  cache_dir: Path) -> None:
    monkeypatch.setenv("CC", "/nonexistent/cc")
    x = tensor("float64", (None,), "x")
    started = time.monotonic()
    with pytest.warns(CompilerWarning, match=r"no C compiler found: '/nonexistent/cc' \(from the cc option, else "
                      r"\$CC\).*reference evaluator"):
        f = function([x], x + 0.75, mode=Mode(backend=CBackend(), options={"cache_dir": str(cache_dir)}))
    assert time.monotonic() - started < 30
    np.testing.assert_array_equal(f(np.arange(3.0)), [0.75, 1.75, 2.75])
