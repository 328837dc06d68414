"""The names contract: every name of Theano 1.0's ``theano.tensor`` and ``theano.tensor.nnet`` in the copied
list (tests/data/theano-names.txt) exists in ``arignote.theano.tensor`` / ``.tensor.nnet``, but for the few
exceptions below, each with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

import arignote.theano.tensor as T

NAMES_FILE = Path(__file__).parent / "data" / "theano-names.txt"

#: names of the list that are not provided, and why (at most 10)
EXCEPTIONS = {
    "isend": "MPI communication between processes (Theano's tensor.io): Arignote runs a graph in one process",
    "irecv": "MPI communication between processes (Theano's tensor.io): Arignote runs a graph in one process",
    "send": "MPI communication between processes (Theano's tensor.io): Arignote runs a graph in one process",
    "recv": "MPI communication between processes (Theano's tensor.io): Arignote runs a graph in one process",
    "load": "a graph node reading a .npy file by a symbolic path: Arignote's graphs have no string type",
    "iv": "the modified Bessel function of any order: graph-core's op library has i0 and i1 only",
    "nnet.conv3d": "nn-extras has no 3-d convolution op yet",
}


def listed_names() -> list[str]:
    lines = NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _exists(name: str) -> bool:
    module, _, attr = name.rpartition(".")
    return hasattr(T.nnet if module == "nnet" else T, attr)


def test_the_list_is_the_one_of_the_issue() -> None:
    assert len(listed_names()) == 388


def test_at_most_ten_exceptions_each_with_a_reason() -> None:
    assert len(EXCEPTIONS) <= 10
    assert all(reason for reason in EXCEPTIONS.values())
    assert set(EXCEPTIONS) <= set(listed_names())


@pytest.mark.parametrize("name", [n for n in listed_names() if n not in EXCEPTIONS])
def test_name_exists(name: str) -> None:
    assert _exists(name), f"arignote.theano.tensor lacks Theano's {name}"


def test_exceptions_are_still_missing() -> None:
    """An exception that gets implemented leaves the list."""
    assert [name for name in EXCEPTIONS if _exists(name)] == []
