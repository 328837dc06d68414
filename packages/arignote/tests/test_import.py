"""Smoke test: the installed package and its declared sibling dependencies import."""

import importlib
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
