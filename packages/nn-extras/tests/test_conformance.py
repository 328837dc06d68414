"""Every nn-extras case of the conformance table against its NumPy reference, on the reference evaluator."""

import pytest

from arignote_core.testing import run_case
from arignote_nn.testing import ALL_CASES


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in ALL_CASES])
def test_case_matches_numpy(case):
    assert run_case(case) > 0


def test_case_names_are_unique():
    names = [c.name for c in ALL_CASES]
    assert len(names) == len(set(names))
