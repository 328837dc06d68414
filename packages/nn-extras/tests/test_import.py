"""Smoke test: the installed package and its declared sibling dependencies import."""

import importlib
from importlib.metadata import version

import pytest

import arignote_nn

SIBLINGS = [
    "arignote_core",
    "arignote_grad",
]


def test_version_matches_metadata() -> None:
    assert arignote_nn.__version__ == version("arignote-nn-extras")


@pytest.mark.parametrize("name", SIBLINGS)
def test_sibling_imports(name: str) -> None:
    module = importlib.import_module(name)
    assert isinstance(module.__version__, str)
