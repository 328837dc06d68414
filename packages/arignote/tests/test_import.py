"""Smoke test: the installed package and its declared sibling dependencies import."""

import importlib
import os
import subprocess
import sys
from importlib.metadata import version

import pytest

import arignote

SIBLINGS = [
    "arignote_core",
    "arignote_opt",
    "arignote_grad",
    "arignote_c",
    "arignote_nn",
]


def test_version_matches_metadata() -> None:
    assert arignote.__version__ == version("arignote")


@pytest.mark.parametrize("name", SIBLINGS)
def test_sibling_imports(name: str) -> None:
    module = importlib.import_module(name)
    assert isinstance(module.__version__, str)


def test_import_loads_what_the_default_mode_compiles_with() -> None:
    """The first compiled function does not pay graph-opt's and codegen-c's imports; another mode skips them."""
    probe = "import sys, arignote; print(' '.join(m for m in ('arignote_opt', 'arignote_c') if m in sys.modules))"
    env = {k: v for k, v in os.environ.items() if k != "ARIGNOTE_MODE"}

    def loaded(**extra: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                              env={**env, **extra})
        return done.stdout.split()

    assert loaded() == ["arignote_opt", "arignote_c"]
    assert "arignote_c" not in loaded(ARIGNOTE_MODE="reference")
