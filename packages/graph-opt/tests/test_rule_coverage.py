"""Every standard rule is named in a test (each rule's tests check values before and after, where it fires and
where it must not), so a rule added to the library without tests fails here."""

from __future__ import annotations

import pathlib

import pytest

from arignote_opt.tensor import BLAS, CANONICALIZE, FOLD, FUSE, INDEXING, SHAPE, SPECIALIZE, STABILIZE

TESTS = "".join(p.read_text() for p in pathlib.Path(__file__).parent.glob("test_*.py")
                if p.name != pathlib.Path(__file__).name)
RULES = [(rule_set.name, rule.name) for rule_set in (FOLD, CANONICALIZE, SHAPE, INDEXING, STABILIZE, SPECIALIZE,
                                                     BLAS, FUSE) for rule in rule_set]


@pytest.mark.parametrize("rule_set, rule", RULES, ids=[f"{s}.{r}" for s, r in RULES])
def test_every_standard_rule_has_tests(rule_set, rule):
    assert f'"{rule}"' in TESTS, f"rule {rule} of {rule_set} is named in no test"
