"""Smoke test: the installed package and its declared sibling dependencies import."""

import importlib
from importlib.metadata import version

import pytest

import arignote_opt

SIBLINGS = [
    "arignote_core",
]


def test_version_matches_metadata() -> None:
    assert arignote_opt.__version__ == version("arignote-graph-opt")


@pytest.mark.parametrize("name", SIBLINGS)
def test_sibling_imports(name: str) -> None:
    module = importlib.import_module(name)
    assert isinstance(module.__version__, str)
