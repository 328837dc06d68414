"""A deterministic split of a data set across ranks, new for every epoch."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class ShardSampler:
    """Indices of ``n`` examples for rank ``rank`` of ``size``: each epoch shuffles them with a generator seeded
    by ``(seed, epoch)``, the same on every rank, and cuts them into global batches; a rank takes its contiguous
    share of each, so the ranks together see every global batch that one process would."""

    def __init__(self, n: int, rank: int = 0, size: int = 1, *, seed: int = 0, shuffle: bool = True) -> None:
        if not 0 <= rank < size:
            raise ValueError(f"rank {rank} is not one of {size} ranks")
        self.n, self.rank, self.size, self.seed, self.shuffle = n, rank, size, seed, shuffle

    def order(self, epoch: int) -> np.ndarray:
        """All ``n`` indices in the order of ``epoch`` (the same on every rank)."""
        if not self.shuffle:
            return np.arange(self.n)
        return np.random.default_rng([self.seed, epoch]).permutation(self.n)

    def batches(self, epoch: int, global_batch: int) -> Iterator[np.ndarray]:
        """This rank's indices of each full global batch of ``epoch`` (a last, partial batch is dropped)."""
        if global_batch % self.size:
            raise ValueError(f"a global batch of {global_batch} does not split evenly over {self.size} ranks")
        local = global_batch // self.size
        order = self.order(epoch)
        for start in range(0, self.n - global_batch + 1, global_batch):
            mine = start + self.rank * local
            yield order[mine: mine + local]
