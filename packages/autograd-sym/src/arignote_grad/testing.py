"""Gradient checks for graph-core's op conformance suite (``arignote_core.testing``), which cannot import
autograd-sym: ``check_op_gradients(case)`` runs ``verify_grad`` and ``verify_rop`` (float64) on each of a
case's gradient samples, and ``differentiability_listing()`` lists which cases, and which samples of
differentiable cases, are declared not differentiable and why.

A backend's test suite runs them with its own mode::

    from arignote_core.testing import parametrize_cases
    from arignote_grad.testing import check_op_gradients

    @parametrize_cases()
    def test_gradients(case):
        check_op_gradients(case, mode=MY_MODE)
"""

from __future__ import annotations

from typing import Any

from .errors import NothingToCheckError
from .verify import verify_grad, verify_rop


def check_op_gradients(case: Any, *, mode: Any = None, forward: bool = True) -> int:
    """Check the reverse (and, with ``forward``, forward) derivatives of a conformance ``case`` on its
    gradient samples; returns how many samples were checked (0 for a case declared not differentiable, or
    one whose samples have no float64 input, no float output, or make NumPy raise)."""
    from arignote_core.testing import call_oracle  # noqa: PLC0415  (the conformance table: only to check)

    checked = 0
    for sample in case.grad_samples():
        wrt = [k for k in case.wrt(sample) if sample.values[k].dtype.kind == "f"]
        if not wrt or call_oracle(case, sample)[1] is not None:
            continue  # nothing to differentiate, or a sample where NumPy itself raises
        options = dict(wrt=wrt, static_shapes=sample.static_shapes, kwargs=dict(sample.kwargs), mode=mode, rng=0)
        label = f"{case.name}, {sample.describe()}"
        try:
            verify_grad(case.build, sample.values, **options)
            if forward:
                verify_rop(case.build, sample.values, **options)
        except NothingToCheckError:
            continue  # e.g. a cast to an integer dtype: no float output
        except Exception as exc:
            exc.add_note(f"in the gradient check of conformance case {label}")
            raise
        checked += 1
    return checked


def differentiability_listing(cases: Any = None) -> list[tuple[str, str]]:
    """(what, reason) for every case declared not differentiable, and for every sample of a differentiable case
    declared a point without derivative (``"case at sample: ..."``), from the conformance table."""
    if cases is None:
        from arignote_core.testing import ALL_CASES as cases  # noqa: PLC0415  (the conformance table, only here)
    listing = [(c.name, c.why_not_differentiable) for c in cases if not c.differentiable]
    listing += [(f"{c.name} at {s.describe()}", s.why_not_differentiable) for c in cases if c.differentiable
                for s in c.nondifferentiable_samples()]
    return sorted(listing)
