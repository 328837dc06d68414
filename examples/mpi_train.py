"""Data-parallel training over MPI: an MLP (784-500-10) on generated digits-like data, Adam, global batches split
over the ranks (``arignote_dist.DataParallel``, ``ShardSampler``).

Run ``mpiexec -n 2 python examples/mpi_train.py`` (``pip install 'arignote-distributed[mpi]'`` brings mpi4py and
an MPI, ``mpiexec`` included), or ``python examples/mpi_train.py`` on one process, with or without MPI: the
parameters after each step are the same either way, up to rounding. Rank 0 prints the loss per epoch and writes
a checkpoint (``--checkpoint``) that ``--resume`` restarts from, on any number of ranks.
"""

from __future__ import annotations

import argparse
from functools import partial

import numpy as np

import arignote as ar
import arignote_dist as ad

PIXELS, HIDDEN, CLASSES = 784, 500, 10


def generated_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` noisy copies of 10 random prototype images, with their class as one-hot targets."""
    rng = np.random.default_rng(seed)
    prototypes = rng.normal(size=(CLASSES, PIXELS))
    labels = rng.integers(0, CLASSES, size=n)
    images = prototypes[labels] + rng.normal(scale=2.0, size=(n, PIXELS))
    return images, np.eye(CLASSES)[labels]


def model(comm: ad.Communicator, learning_rate: float) -> ad.DataParallel:
    rng = np.random.default_rng(comm.rank)  # each rank draws its own; rank 0's are broadcast
    w1 = ar.shared(ar.nn.he_normal((PIXELS, HIDDEN), rng=rng), name="w1")
    b1 = ar.shared(np.zeros(HIDDEN), name="b1")
    w2 = ar.shared(ar.nn.glorot_uniform((HIDDEN, CLASSES), rng=rng), name="w2")
    b2 = ar.shared(np.zeros(CLASSES), name="b2")
    x, y = ar.dmatrix("x"), ar.dmatrix("y")
    logits = ar.nn.relu(x @ w1 + b1) @ w2 + b2
    loss = ar.nn.categorical_crossentropy(logits, y, from_logits=True).mean()  # a mean over the local batch
    return ad.DataParallel([x, y], loss, [w1, b1, w2, b2], partial(ar.nn.adam, learning_rate=learning_rate),
                           comm=comm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--examples", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=256, help="the global batch, split over the ranks")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--checkpoint", help="write parameters and optimizer state here (.npz) after training")
    parser.add_argument("--resume", help="start from this checkpoint")
    args = parser.parse_args()

    comm = ad.world()
    dp = model(comm, args.learning_rate)
    if args.resume:
        dp.load(args.resume)
    images, targets = generated_data(args.examples)
    sampler = ad.ShardSampler(args.examples, comm.rank, comm.size, seed=1)
    for epoch in range(args.epochs):
        losses = [dp.step(images[i], targets[i]) for i in sampler.batches(epoch, args.batch)]
        if comm.rank == 0:
            print(f"epoch {epoch}: loss {np.mean(losses):.4f} ({comm.size} rank{'s' * (comm.size > 1)})")
    if args.checkpoint:
        dp.save(args.checkpoint)


if __name__ == "__main__":
    main()
