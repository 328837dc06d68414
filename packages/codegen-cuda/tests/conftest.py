"""Shared fixtures: one private cache per session (or ``$ARIGNOTE_TEST_CACHE_DIR``, which nox shares), the
emulated modes, and the kernels the conformance table needs, collected once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from arignote_core.mode import Mode
from arignote_core.testing import ALL_CASES, ConformanceError, run_case
from arignote_cuda import CudaBackend
from arignote_cuda.collect import KernelCollector
from arignote_opt import standard_rewriter


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shared = os.environ.get("ARIGNOTE_TEST_CACHE_DIR")
    return Path(shared) if shared else tmp_path_factory.mktemp("arignote-cuda-cache")


@pytest.fixture(scope="session")
def emulated(cache_dir: Path) -> Mode:
    """The backend alone, emulated: each op of the conformance table as its own kernel."""
    return Mode(backend=CudaBackend(), options={"emulate": True, "cache_dir": str(cache_dir)})


@pytest.fixture(scope="session")
def emulated_fused(cache_dir: Path) -> Mode:
    """graph-opt's standard rewrites (strict), then the backend, emulated: composites and fused reductions."""
    return Mode(backend=CudaBackend(), rewriter=standard_rewriter(strict=True),
                options={"emulate": True, "cache_dir": str(cache_dir)})


def collect(mode: Mode) -> KernelCollector:
    """The kernels of every conformance case compiled with ``mode``'s rewriter."""
    collector = KernelCollector()
    planning = Mode(backend=collector, rewriter=mode.rewriter)
    for case in ALL_CASES:
        try:
            run_case(case, mode=planning)  # runs on the reference evaluator: only the kernels matter here
        except ConformanceError:
            pass  # the reference itself disagrees: that case fails on its own
    return collector


@pytest.fixture(scope="session")
def conformance_kernels(emulated: Mode, emulated_fused: Mode) -> tuple[KernelCollector, KernelCollector]:
    return collect(emulated), collect(emulated_fused)
