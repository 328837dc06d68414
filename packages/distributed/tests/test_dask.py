"""Compiled functions over the blocks of dask arrays: on a LocalCluster of 2 worker processes, and in-process."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest

import arignote_core as ac

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
dask_blocks = pytest.importorskip("arignote_dist.dask_blocks")


def _expression() -> ac.Function:
    x, y = ac.dvector("x"), ac.dvector("y")
    return ac.function([x, y], ac.exp(-x**2) * ac.sin(y) + x * y)


def _inputs(n: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=n), rng.normal(size=n)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        yield client


def test_expression_on_two_worker_processes_equals_numpy(client) -> None:
    x, y = _inputs()
    result = dask_blocks.map_blocks(_expression(), da.from_array(x, chunks=10_000), da.from_array(y, chunks=10_000))
    assert result.dtype == np.float64
    np.testing.assert_allclose(result.compute(), np.exp(-x**2) * np.sin(y) + x * y, rtol=1e-12)
    # each worker process unpickled (and compiled) the function once, for its blocks
    loaded = client.run(lambda: len(dask_blocks._LOADED))
    assert sorted(loaded.values()) == [1, 1]


def _kill_worker_once(block: np.ndarray, marker: str, block_info: dict | None = None) -> np.ndarray:
    """The identity, except that the first worker to reach block 3 dies there (SIGKILL), once."""
    if block_info is not None and block_info[0]["chunk-location"] == (3,):
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            return block
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)
    return block


def test_a_worker_killed_mid_computation_leaves_the_result_unchanged(client, tmp_path: Path) -> None:
    """The worker computing a block's input dies mid-run; Dask reruns its tasks (and those whose results it
    held) on the workers left or on the one the nanny restarts, and the result is NumPy's."""
    x, y = _inputs(80_000)
    marker = str(tmp_path / "killed")
    xs = da.from_array(x, chunks=10_000).map_blocks(_kill_worker_once, marker, dtype=x.dtype)
    before = set(client.scheduler_info()["workers"])
    result = dask_blocks.map_blocks(_expression(), xs, da.from_array(y, chunks=10_000))
    np.testing.assert_allclose(result.compute(), np.exp(-x**2) * np.sin(y) + x * y, rtol=1e-12)
    assert os.path.exists(marker)  # a worker did die
    client.wait_for_workers(2, timeout=30)
    assert set(client.scheduler_info()["workers"]) != before  # and was replaced


def test_several_outputs_in_process() -> None:
    x = ac.dmatrix("x")
    f = ac.function([x], [ac.sqrt(x), (x * 2).astype("float32")])
    values = np.arange(24.0).reshape(4, 6)
    root, doubled = dask_blocks.map_blocks(f, da.from_array(values, chunks=(2, 3)))
    assert (root.dtype, doubled.dtype) == (np.float64, np.float32)
    np.testing.assert_allclose(root.compute(scheduler="sync"), np.sqrt(values))
    np.testing.assert_array_equal(doubled.compute(scheduler="sync"), (values * 2).astype("float32"))


def test_reducing_blocks_with_block_arguments() -> None:
    x = ac.dmatrix("x")
    f = ac.function([x], x.sum(axis=1))
    values = np.arange(24.0).reshape(4, 6)
    sums = dask_blocks.map_blocks(f, da.from_array(values, chunks=(2, 6)), drop_axis=1)
    np.testing.assert_array_equal(sums.compute(scheduler="sync"), values.sum(axis=1))


def test_inputs_must_fit_the_arrays() -> None:
    f = _expression()
    with pytest.raises(TypeError, match="takes 2 inputs"):
        dask_blocks.map_blocks(f, da.ones(4))
    with pytest.raises(TypeError, match="2-d array"):
        dask_blocks.map_blocks(f, da.ones((2, 2)), da.ones((2, 2)))
