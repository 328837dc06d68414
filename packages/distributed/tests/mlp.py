"""The model the MPI tests train, shared by the tests and by the script the ranks run (mpi_job.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import arignote_core as ac
import arignote_dist as ad


@dataclass(frozen=True)
class Config:
    """The layer sizes, the global batch, the size of the data set and the bucket size of a run."""

    sizes: tuple[int, int, int]
    global_batch: int
    examples: int
    bucket_bytes: int


#: small buckets, so that the gradients travel in several
SMALL = Config((64, 32, 10), global_batch=64, examples=256, bucket_bytes=8 * 1024)
#: the issue's model, 784-500-10, on global batches of 256 (4 per epoch); DDP's 25 MiB buckets: 2 of them
FULL = Config((784, 500, 10), global_batch=256, examples=1024, bucket_bytes=2 * 2**20)
CONFIGS = {"small": SMALL, "full": FULL}


def data(config: Config, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(config.examples, config.sizes[0]))
    labels = rng.integers(0, config.sizes[-1], size=config.examples)
    return x, np.eye(config.sizes[-1])[labels]


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


def build(comm: ad.Communicator, seed: int = 1, config: Config = SMALL) -> ad.DataParallel:
    """An MLP with a tanh hidden layer and a softmax cross-entropy, each rank starting from its own random
    parameters (rank 0's are broadcast)."""
    rng = np.random.default_rng(seed + comm.rank)
    sizes = config.sizes
    w1 = ac.shared(rng.normal(scale=min(0.1, sizes[0] ** -0.5), size=sizes[:2]), name="w1")
    b1 = ac.shared(np.zeros(sizes[1]), name="b1")
    w2 = ac.shared(rng.normal(scale=0.1, size=sizes[1:]), name="w2")
    b2 = ac.shared(np.zeros(sizes[2]), name="b2")
    x, y = ac.dmatrix("x"), ac.dmatrix("y")
    logits = ac.tanh(x @ w1 + b1) @ w2 + b2
    shifted = logits - ac.max(logits, axis=1, keepdims=True)
    log_p = shifted - ac.log(ac.sum(ac.exp(shifted), axis=1, keepdims=True))
    loss = -ac.mean(ac.sum(y * log_p, axis=1))
    return ad.DataParallel([x, y], loss, [w1, b1, w2, b2], momentum(0.1), comm=comm,
                           bucket_bytes=config.bucket_bytes)


def train(dp: ad.DataParallel, steps: range, config: Config = SMALL) -> list[float]:
    """Steps ``steps`` (numbered from 0 over the epochs) on this rank's share of each global batch."""
    x, y = data(config)
    sampler = ad.ShardSampler(config.examples, dp.comm.rank, dp.comm.size, seed=3)
    per_epoch = config.examples // config.global_batch
    losses = []
    for step in steps:
        epoch, k = divmod(step, per_epoch)
        batch = list(sampler.batches(epoch, config.global_batch))[k]
        losses.append(dp.step(x[batch], y[batch]))
    return losses
