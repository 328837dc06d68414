"""nn-extras' conformance cases, in graph-core's format (:class:`arignote_core.testing.Case`): every op and
function of ``arignote_nn`` against a NumPy reference written independently of it. A backend runs them with
``arignote_core.testing.run_case(case, mode=...)``.
"""

from __future__ import annotations

from arignote_core.testing import Case

from . import conv_cases, ctc_cases, function_cases, pool_cases

ALL_CASES: list[Case] = [*conv_cases.CASES, *pool_cases.CASES, *ctc_cases.CASES, *function_cases.CASES]

__all__ = ["ALL_CASES"]
