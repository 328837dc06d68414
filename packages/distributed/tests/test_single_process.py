"""Training on one process, with no MPI: the communicator, buckets, the sampler, checkpoints, update rules."""

from __future__ import annotations

import importlib.util
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from mlp import build, train

import arignote_core as ac
import arignote_dist as ad
from arignote_dist import buckets


def test_world_without_mpi4py_is_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import fails
    monkeypatch.delenv("PMI_SIZE", raising=False)
    monkeypatch.delenv("OMPI_COMM_WORLD_SIZE", raising=False)
    comm = ad.world()
    assert isinstance(comm, ad.SingleProcess)
    assert (comm.rank, comm.size) == (0, 1)


def test_launched_ranks_without_mpi4py_are_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setenv("PMI_SIZE", "4")
    with pytest.raises(RuntimeError, match="one of 4 .* mpi4py is not installed"):
        ad.world()


def test_training_on_one_process_lowers_the_loss() -> None:
    dp = build(ad.SingleProcess())
    losses = train(dp, range(12))
    assert losses[-1] < losses[0]


def test_the_steps_compile_in_the_meta_packages_default_mode_where_it_is_installed() -> None:
    """Without a mode, the two functions of a step compile in "fast_run" (C, every rewrite) where the meta-package
    registers it; this package alone has only graph-core's reference evaluator."""
    dp = build(ad.SingleProcess())
    installed = importlib.util.find_spec("arignote") is not None
    backend = getattr(dp._gradients.mode.backend, "name", dp._gradients.mode.backend)
    assert backend == ("c" if installed else "reference")
    assert ad.data_parallel.default_mode() == ("fast_run" if installed else None)


def test_buckets_split_by_size_and_dtype() -> None:
    params = [ac.shared(np.zeros((3, 4)), name="a"), ac.shared(np.zeros(5, "float32"), name="b"),
              ac.shared(np.zeros(6), name="c"), ac.shared(np.zeros((2, 2)), name="d")]
    plan = buckets.plan(params, bucket_bytes=10 * 8)
    # reverse order; float64: d (4) + c (6) fill one bucket, a (12) is alone, over the limit; float32: b
    assert [(b.dtype, [s.param for s in b.slots]) for b in plan] == [
        ("float64", [3, 2]), ("float64", [0]), ("float32", [1])]
    assert [s.offset for s in plan[0].slots] == [0, 4]
    with pytest.raises(ValueError, match="positive"):
        buckets.plan(params, 0)


def test_pack_and_unpack_are_inverse() -> None:
    params = [ac.shared(np.zeros((2, 3))), ac.shared(np.zeros(4))]
    (bucket,) = buckets.plan(params)
    grads = [ac.dmatrix("g0"), ac.dvector("g1")]
    flat = ac.dvector("flat")
    pack = ac.function(grads, buckets.pack(grads, bucket))
    unpacked = buckets.unpack(flat, bucket)
    unpack = ac.function([flat], [unpacked[0], unpacked[1]])
    g0, g1 = np.arange(6.0).reshape(2, 3), np.arange(4.0) + 10
    packed = pack(g0, g1)
    assert packed.shape == (10,)
    back = unpack(packed)
    np.testing.assert_array_equal(back[0], g0)
    np.testing.assert_array_equal(back[1], g1)


def test_sampler_splits_global_batches_over_ranks() -> None:
    n, batch = 50, 12
    one = list(ad.ShardSampler(n, seed=5).batches(2, batch))
    parts = [list(ad.ShardSampler(n, rank, 3, seed=5).batches(2, batch)) for rank in range(3)]
    assert len(one) == 4  # the last, partial batch is dropped
    for k, whole in enumerate(one):
        np.testing.assert_array_equal(np.concatenate([p[k] for p in parts]), whole)
    assert not np.array_equal(ad.ShardSampler(n, seed=5).order(0), ad.ShardSampler(n, seed=5).order(1))
    np.testing.assert_array_equal(ad.ShardSampler(n, shuffle=False).order(3), np.arange(n))
    with pytest.raises(ValueError, match="evenly"):
        next(ad.ShardSampler(n, 0, 5).batches(0, batch))
    with pytest.raises(ValueError, match="rank 3"):
        ad.ShardSampler(n, 3, 3)


def test_checkpoint_restores_parameters_and_state(tmp_path: Path) -> None:
    first = build(ad.SingleProcess())
    train(first, range(3))
    first.save(tmp_path / "ckpt.npz")
    train(first, range(3, 6))
    second = build(ad.SingleProcess(), seed=9)
    second.load(tmp_path / "ckpt.npz")
    train(second, range(3, 6))
    for a, b in zip(first.state, second.state, strict=True):
        np.testing.assert_array_equal(a.get_value(), b.get_value())


def test_checkpoint_of_another_model_is_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "other.npz", np.zeros(3))
    with pytest.raises(ValueError, match="holds 1 arrays"):
        build(ad.SingleProcess()).load(tmp_path / "other.npz")


def test_an_optimizer_of_nn_extras_is_an_update_rule() -> None:
    nn = pytest.importorskip("arignote_nn")
    w = ac.shared(np.array([1.0, -2.0]), name="w")
    x = ac.dvector("x")
    loss = ac.mean((w - x) ** 2)
    dp = ad.DataParallel([x], loss, [w], partial(nn.adam, learning_rate=0.1), comm=ad.SingleProcess())
    reference = ac.shared(np.array([1.0, -2.0]))
    ref_loss = ac.mean((reference - x) ** 2)
    ref_step = ac.function([x], ref_loss, updates=nn.adam(ref_loss, [reference], learning_rate=0.1))
    for _ in range(3):
        dp.step(np.zeros(2))
        ref_step(np.zeros(2))
    np.testing.assert_allclose(w.get_value(), reference.get_value(), rtol=1e-14)
    assert len(dp.state) == 4  # w, its two moments, the step count


def test_a_rule_that_leaves_a_parameter_alone_is_refused() -> None:
    w, v = ac.shared(np.ones(2), name="w"), ac.shared(np.ones(2), name="v")
    loss = ac.sum(w * v)
    with pytest.raises(ValueError, match="leaves parameter v unchanged"):
        ad.DataParallel([], loss, [w, v], lambda grads, params: {w: w - grads[0]}, comm=ad.SingleProcess())

