"""Two MPI ranks (``mpiexec -n 2``, the MPI from PyPI) against one process: the same parameters and optimizer
state after the same global batches; a failing rank ends the job; a 2-rank checkpoint restarts on 1 rank."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from mlp import FULL, build, train

import arignote_dist as ad

HERE = Path(__file__).parent


def _mpiexec() -> str | None:
    beside = Path(sys.executable).parent / "mpiexec"  # the mpich wheel's, next to this Python
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPIEXEC = _mpiexec()
pytestmark = pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None or MPIEXEC is None,
                                reason="needs mpi4py and mpiexec (the [mpi] extra)")


def _job(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    assert MPIEXEC is not None
    command = [MPIEXEC, "-n", "2", sys.executable, str(HERE / "mpi_job.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=HERE)


def _saved(path: Path) -> list[np.ndarray]:
    with np.load(path) as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def _state(dp: ad.DataParallel) -> list[np.ndarray]:
    return [var.get_value() for var in dp.state]


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mpi")
    result = _job("train", str(folder))
    assert result.returncode == 0, result.stderr
    return folder


def test_784_500_10_on_two_ranks_matches_one_process(tmp_path: Path) -> None:
    """The issue's check at full size: 20 steps on global batches of 256, float64, 2 ranks of 128 each."""
    result = _job("full", str(tmp_path))
    assert result.returncode == 0, result.stderr
    one = build(ad.SingleProcess(), config=FULL)
    train(one, range(20), FULL)
    assert len(one.buckets) == 2  # 784x500 alone; the rest
    _assert_close(_state(one), _saved(tmp_path / "full.npz"))


def _assert_close(ours: list[np.ndarray], theirs: list[np.ndarray]) -> None:
    assert len(ours) == len(theirs) == 8  # 4 parameters, 4 velocities
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


def test_two_ranks_match_one_process(two_ranks: Path) -> None:
    one = build(ad.SingleProcess())
    train(one, range(10))
    _assert_close(_state(one), _saved(two_ranks / "end.npz"))


def test_checkpoint_of_two_ranks_restarts_on_one(two_ranks: Path) -> None:
    one = build(ad.SingleProcess(), seed=7)
    one.load(two_ranks / "half.npz")
    train(one, range(5, 10))
    _assert_close(_state(one), _saved(two_ranks / "end.npz"))


@pytest.mark.parametrize("failure", ["raise", "kill"])
def test_a_failing_rank_ends_the_job(failure: str) -> None:
    start = time.monotonic()
    result = _job(failure, timeout=30)
    assert result.returncode != 0
    assert time.monotonic() - start < 30
    if failure == "raise":
        assert "rank 1 of 2 failed" in result.stderr
        assert "rank 1 fails on purpose" in result.stderr
