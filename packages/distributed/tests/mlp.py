"""The model the MPI tests train, shared by the tests and by the script the ranks run (mpi_job.py)."""

from __future__ import annotations

import numpy as np

import arignote_core as ac
import arignote_dist as ad

SIZES = (64, 32, 10)
GLOBAL_BATCH = 64
EXAMPLES = 256


def data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(EXAMPLES, SIZES[0]))
    labels = rng.integers(0, SIZES[-1], size=EXAMPLES)
    return x, np.eye(SIZES[-1])[labels]


def momentum(learning_rate: float, mu: float = 0.9) -> ad.UpdateRule:
    """Heavy-ball momentum: a rule with state of its own (a velocity per parameter)."""

    def rule(grads, params):
        updates = {}
        for p, g in zip(params, grads, strict=True):
            v = ac.shared(np.zeros_like(p.get_value()), name=f"{p.name}_velocity")
            new_v = mu * v - learning_rate * g
            updates[v] = new_v
            updates[p] = p + new_v
        return updates

    return rule


def build(comm: ad.Communicator, seed: int = 1) -> ad.DataParallel:
    """An MLP with a tanh hidden layer and a softmax cross-entropy, each rank starting from its own random
    parameters (rank 0's are broadcast)."""
    rng = np.random.default_rng(seed + comm.rank)
    w1 = ac.shared(rng.normal(scale=0.1, size=SIZES[:2]), name="w1")
    b1 = ac.shared(np.zeros(SIZES[1]), name="b1")
    w2 = ac.shared(rng.normal(scale=0.1, size=SIZES[1:]), name="w2")
    b2 = ac.shared(np.zeros(SIZES[2]), name="b2")
    x, y = ac.dmatrix("x"), ac.dmatrix("y")
    logits = ac.tanh(x @ w1 + b1) @ w2 + b2
    shifted = logits - ac.max(logits, axis=1, keepdims=True)
    log_p = shifted - ac.log(ac.sum(ac.exp(shifted), axis=1, keepdims=True))
    loss = -ac.mean(ac.sum(y * log_p, axis=1))
    # small buckets, so that the gradients travel in several
    return ad.DataParallel([x, y], loss, [w1, b1, w2, b2], momentum(0.1), comm=comm, bucket_bytes=8 * 1024)


def train(dp: ad.DataParallel, steps: range) -> list[float]:
    """Steps ``steps`` (numbered from 0 over the epochs) on this rank's share of each global batch."""
    x, y = data()
    sampler = ad.ShardSampler(EXAMPLES, dp.comm.rank, dp.comm.size, seed=3)
    per_epoch = EXAMPLES // GLOBAL_BATCH
    losses = []
    for step in steps:
        epoch, k = divmod(step, per_epoch)
        batch = list(sampler.batches(epoch, GLOBAL_BATCH))[k]
        losses.append(dp.step(x[batch], y[batch]))
    return losses
