"""graph-core's conformance table on the CUDA backend, emulated on the CPU: the kernels' index arithmetic,
broadcasting and reduction trees against NumPy, without a GPU. The kernels are compiled first, a few hundred
per module (``arignote_cuda.collect``)."""

from __future__ import annotations

import pytest

from arignote_core.mode import Mode
from arignote_core.testing import parametrize_cases, run_case
from arignote_cuda.collect import KernelCollector, build_emulated


@pytest.fixture(scope="session")
def warm(conformance_kernels: tuple[KernelCollector, KernelCollector], emulated: Mode) -> None:
    kernels = {**conformance_kernels[0].kernels, **conformance_kernels[1].kernels}
    build_emulated(list(kernels.values()), emulated)


@parametrize_cases()
def test_case_agrees_with_numpy(case, warm: None, emulated: Mode) -> None:
    assert run_case(case, mode=emulated) > 0


@parametrize_cases()
def test_fused_case_agrees_with_numpy(case, warm: None, emulated_fused: Mode) -> None:
    assert run_case(case, mode=emulated_fused) > 0
