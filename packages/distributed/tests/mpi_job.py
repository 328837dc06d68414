"""What each rank runs in the MPI tests (under ``mpiexec -n 2``).

``train DIR``: 5 steps, a checkpoint (DIR/half.npz), 5 more, a checkpoint (DIR/end.npz).
``full DIR``: the 784-500-10 MLP, 20 steps on global batches of 256, a checkpoint (DIR/full.npz).
``raise`` / ``kill``: rank 1 fails at its third step, by an exception or by SIGKILL.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from mlp import FULL, build, train

import arignote_dist as ad


def main(what: str, *args: str) -> None:
    if what == "full":
        dp = build(ad.world(), config=FULL)
        train(dp, range(20), FULL)
        dp.save(Path(args[0]) / "full.npz")
        return
    dp = build(ad.world())
    if what == "train":
        folder = Path(args[0])
        train(dp, range(5))
        dp.save(folder / "half.npz")
        train(dp, range(5, 10))
        dp.save(folder / "end.npz")
        return
    train(dp, range(2))
    if dp.comm.rank == 1:
        if what == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        raise RuntimeError("rank 1 fails on purpose")
    train(dp, range(2, 1000))  # waits for rank 1 in the first allreduce


if __name__ == "__main__":
    main(*sys.argv[1:])
