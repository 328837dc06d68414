"""The op conformance suite: a table of cases checking every public op against NumPy.

Each :class:`Case` says how to build an op symbolically, its NumPy oracle, input generators (shapes, 0-size
arrays, broadcasting, views, every dtype, edge values) and tolerances. :func:`run_case` checks values and
dtypes against NumPy, static and inferred shapes against the values, and that inputs are not modified, with the
compile mode it is given, so every backend runs the same table::

    from arignote_core.testing import parametrize_cases, run_case

    @parametrize_cases()
    def test_conformance(case):
        run_case(case, mode=my_mode)

``python -m arignote_core.testing`` prints the report (number of ops, cases, dtypes).

A gradient check (autograd-sym's) runs on the same table: for each case with ``case.differentiable``, each
sample of ``case.grad_samples()`` (float64, no edge values) gives the inputs, ``case.build(*inputs,
**sample.kwargs)`` the outputs (sum the floating ones into a cost), and ``case.wrt(sample)`` the inputs to
differentiate with respect to. Cases that are not differentiable say why in ``case.why_not_differentiable``.
"""

from __future__ import annotations

from .case import DEFAULT_TOLERANCES, Case, Sample, sample
from .registry import ALL_CASES, case_params, cases, format_report, ops_exercised, parametrize_cases, report
from .runner import CaseSkipped, ConformanceError, assert_close, call_oracle, run_case, run_sample

__all__ = ["ALL_CASES", "DEFAULT_TOLERANCES", "Case", "CaseSkipped", "ConformanceError", "Sample", "assert_close",
           "call_oracle", "case_params", "cases", "format_report", "ops_exercised", "parametrize_cases", "report",
           "run_case", "run_sample", "sample"]
