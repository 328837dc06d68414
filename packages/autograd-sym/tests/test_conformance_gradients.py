"""The op conformance suite of graph-core, with a gradient check (float64, verify_grad and verify_rop) for
every case declared differentiable."""

import pytest

from arignote_core.testing import ALL_CASES
from arignote_grad.testing import check_op_gradients, differentiability_listing


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_gradients_of_every_conformance_case(case):
    checked = check_op_gradients(case)
    assert checked == 0 or case.differentiable


def test_most_differentiable_cases_have_samples_to_check():
    differentiable = [c for c in ALL_CASES if c.differentiable]
    checked = [c for c in differentiable if c.grad_samples()]
    assert len(checked) >= 0.7 * len(differentiable)


def test_the_listing_says_why_each_non_differentiable_case_is_so():
    listing = differentiability_listing()
    cases = [(c.name, c.why_not_differentiable) for c in ALL_CASES if not c.differentiable]
    points = [entry for entry in listing if entry not in cases]
    assert sorted(cases) == [entry for entry in listing if entry in cases]
    assert all(reason for _, reason in listing)
    assert all(" at " in name for name, _ in points)
    names = {name.split(" at ")[0] for name, _ in points}
    assert {"linalg.svd", "linalg.qr", "linalg.matrix_norm"} <= names  # arbitrary vectors, a kink


def test_samples_declared_not_differentiable_are_left_out_of_gradient_checks():
    for case in ALL_CASES:
        assert not any(s.why_not_differentiable for s in case.grad_samples()), case.name
