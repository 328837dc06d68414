"""graph-core's op conformance table (every public op, against NumPy) run with the C backend.

The table compiles thousands of small functions; their kernels are first collected and compiled in a few
large modules (arignote_c.warmup), so that each case then finds its kernels in the session's cache.
"""

from __future__ import annotations

import pytest

from arignote_c.warmup import KernelCollector
from arignote_core.mode import Mode
from arignote_core.testing import ALL_CASES, ConformanceError, parametrize_cases, run_case


@pytest.fixture(scope="session")
def warm_c_mode(c_mode: Mode) -> Mode:
    collector = KernelCollector()
    collect = Mode(backend=collector)
    for case in ALL_CASES:
        try:
            run_case(case, mode=collect)  # runs on the reference evaluator: only the kernels matter here
        except ConformanceError:
            pass  # the reference itself disagrees: that case fails on its own below
    collector.build(c_mode)
    return c_mode


@parametrize_cases()
def test_case_agrees_with_numpy(case, warm_c_mode: Mode) -> None:
    assert run_case(case, mode=warm_c_mode) > 0
