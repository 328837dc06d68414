"""``arignote info`` reports the compiler the C backend will use: the one ``CC`` names, or why there is none."""

import pytest

from arignote.cli import main as cli_main


def test_info_reports_the_compiler_cc_names(capsys, tmp_path, monkeypatch):
    script = tmp_path / "my-cc"
    script.write_text('#!/bin/sh\nexec gcc "$@"\n')
    script.chmod(0o755)
    monkeypatch.setenv("ARIGNOTE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CC", str(script))
    assert cli_main(["info"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("compiler:"))
    assert line.startswith(f"compiler:  {script} (") and line.endswith(f"from CC={script})")


@pytest.mark.parametrize("cc", ["/nonexistent", "no-such-compiler --flag"])
def test_info_reports_a_cc_that_names_no_compiler(capsys, tmp_path, monkeypatch, cc):
    monkeypatch.setenv("ARIGNOTE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CC", cc)
    assert cli_main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"compiler:  no C compiler found: {cc!r}" in out and "reference evaluator" in out


def test_info_says_where_the_runtime_comes_from(capsys, tmp_path, monkeypatch):
    """An installed wheel carries the executor; an editable install builds it into the cache."""
    from arignote_c.runtime import prebuilt_runtime

    monkeypatch.setenv("ARIGNOTE_CACHE_DIR", str(tmp_path / "cache"))
    assert cli_main(["info"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("runtime:"))
    assert line.startswith("runtime:   prebuilt") == (prebuilt_runtime() is not None), line
