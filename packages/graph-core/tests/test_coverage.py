"""The NumPy coverage contract: every name in tests/data/numpy-names.txt (the project's list, kept in the
repository) exists in arignote_core (``linalg.`` names in arignote_core.linalg) with NumPy's signature, and the
conformance suite checks it against NumPy."""

import inspect
from pathlib import Path

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.testing import ALL_CASES

NAMES_FILE = Path(__file__).resolve().parent / "data" / "numpy-names.txt"

#: Names that cannot be symbolic, with the reason (at most 5). None so far.
EXCEPTIONS: dict[str, str] = {}

#: NumPy parameters that have no meaning for a symbolic graph.
NOT_FOR_GRAPHS = {"out", "where", "order", "subok", "like", "device", "casting", "copy", "overwrite_input"}


def _names() -> list[str]:
    if not NAMES_FILE.exists():
        pytest.fail(f"the coverage contract {NAMES_FILE} is missing")
    lines = NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _lookup(module, dotted):
    for part in dotted.split("."):
        module = getattr(module, part)
    return module


NAMES = _names() if NAMES_FILE.exists() else []


def test_the_contract_lists_the_names_it_promises():
    assert len(_names()) == 228
    assert len(EXCEPTIONS) <= 5 and all(reason for reason in EXCEPTIONS.values())


def test_every_name_exists():
    missing = [n for n in _names() if n not in EXCEPTIONS and not _has(n)]
    assert not missing, f"arignote_core lacks: {', '.join(missing)}"


def _has(name):
    try:
        _lookup(ac, name)
    except AttributeError:
        return False
    return True


@pytest.mark.parametrize("name", [n for n in NAMES if n not in EXCEPTIONS])
def test_signature_matches_numpy(name):
    ours, theirs = _lookup(ac, name), _lookup(np, name)
    if isinstance(theirs, np.ufunc):
        return  # elementwise: any arity check is the op's (Elemwise refuses a wrong number of inputs)
    reference = inspect.signature(theirs).parameters.values()
    mine = inspect.signature(ours).parameters
    if any(p.kind is p.VAR_POSITIONAL for p in mine.values()):
        return  # a function of *inputs (elementwise functions of NumPy that are not ufuncs: i0, real, imag)
    positional = [p.name for p in reference if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
    my_positional = [p.name for p in mine.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert my_positional[:len(positional)] == positional, f"{name}: NumPy's required arguments are {positional}"
    keywords = [p.name for p in reference if p.default is not p.empty and p.kind is not p.VAR_KEYWORD]
    lacking = [k for k in keywords if k not in mine and k not in NOT_FOR_GRAPHS]
    assert not lacking, f"{name} lacks NumPy's arguments {lacking}"


def test_every_name_is_checked_against_numpy_by_a_conformance_case():
    checked = {_lookup(ac, c.function) for c in ALL_CASES if c.function != "getitem"}
    unchecked = [n for n in NAMES if n not in EXCEPTIONS and _lookup(ac, n) not in checked]
    assert not unchecked, f"no conformance case for: {', '.join(unchecked)}"


THEANO_NAMES = ["dimshuffle", "switch", "specify_shape", "alloc", "fill", "sqr", "erf", "erfc", "erfinv", "erfcx",
                "gamma", "gammaln", "psi", "polygamma", "gammainc", "gammaincc", "i0", "i1", "j0", "j1", "jv",
                "sigmoid", "softplus", "log1mexp", "batched_dot", "flatten", "shape_padleft", "shape_padright",
                "stack", "concatenate", "join", "identity_like", "zeros_like", "ones_like", "tri", "tril", "triu",
                "argtopk", "topk"]


@pytest.mark.parametrize("name", THEANO_NAMES)
def test_theano_names_exist(name):
    assert callable(getattr(ac, name))


@pytest.mark.parametrize("alias, name", [("sqr", "square"), ("switch", "where"), ("digamma", "psi"),
                                         ("abs", "absolute"), ("conj", "conjugate"), ("mod", "remainder"),
                                         ("divide", "true_divide"), ("bitwise_not", "invert"), ("amax", "max"),
                                         ("amin", "min"), ("around", "round")])
def test_aliases_are_the_same_function(alias, name):
    assert getattr(ac, alias) is getattr(ac, name)
