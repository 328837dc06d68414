"""Data-parallel training: every rank computes the gradients of its share of a global batch, the ranks sum them
with allreduce, and each applies the same update to its copy of the parameters.

A step runs two compiled functions (in ``mode``; by default the named mode ``"fast_run"`` where the meta-package
provides it: C and every rewrite, what ``arignote.function`` compiles with): the first computes the local loss
and the gradients, packed into buckets
(``buckets.py``); the buckets are summed across ranks in place; the second divides them by the number of ranks
and applies the update rule. The ranks start from rank 0's parameters and optimizer state, and stay equal
because they apply the same update to the same averaged gradients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import arignote_core as ac
from arignote_core import Mode, SharedVariable, TensorSharedVariable, TensorVariable, Variable
from arignote_core.plugins import entry_points_in
from arignote_grad import grad

from . import buckets
from . import comm as comms
from .comm import Communicator, world

#: ``rule(gradients, params) -> {shared variable: new value}``: ``arignote_nn``'s optimizers have this form
#: (``functools.partial(nn.adam, learning_rate=1e-3)``)
UpdateRule = Callable[[list[TensorVariable], list[TensorSharedVariable]], Mapping[SharedVariable, Variable]]


def sgd(learning_rate: float) -> UpdateRule:
    """Plain SGD, ``p <- p - learning_rate * g``."""

    def rule(grads: list[TensorVariable], params: list[TensorSharedVariable]) -> dict[SharedVariable, Variable]:
        return {p: (p - learning_rate * g).astype(p.type.dtype) for p, g in zip(params, grads, strict=True)}

    return rule


def default_mode() -> str | None:
    """``"fast_run"`` where a package registers it (the meta-package), else None: graph-core's reference evaluator,
    which this package alone has."""
    return "fast_run" if any(ep.name == "fast_run" for ep in entry_points_in("arignote.modes")) else None


class DataParallel:
    """A training step over all ranks of ``comm`` (default: ``world()``).

    ``loss`` is a scalar mean over the local batch given through ``inputs``; with equal local batches, the
    averaged gradients are those of the mean over the global batch. ``update`` is an :data:`UpdateRule` or a
    learning rate for plain SGD. Building broadcasts the parameters and the optimizer state (the shared variables
    the rule updates besides the parameters) from rank 0. With ``abort_on_error`` (and more than one rank), an
    uncaught exception on any rank aborts the whole job rather than leaving the others waiting.
    """

    def __init__(self, inputs: Sequence[Variable], loss: Variable, params: Sequence[TensorSharedVariable],
                 update: UpdateRule | float, *, comm: Communicator | None = None, mode: Mode | str | None = None,
                 bucket_bytes: int = buckets.DEFAULT_BUCKET_BYTES, abort_on_error: bool = True) -> None:
        self.comm = world() if comm is None else comm
        mode = default_mode() if mode is None else mode
        if abort_on_error:
            comms.abort_on_error(self.comm)
        self.params = list(params)
        rule = sgd(update) if isinstance(update, int | float) else update
        self.buckets = buckets.plan(self.params, bucket_bytes)
        grads = grad(loss, self.params)
        packed = [buckets.pack(grads, bucket) for bucket in self.buckets]
        self._gradients = ac.function(list(inputs), [loss, *packed], mode=mode, name="local gradients")
        flats = [ac.tensor(dtype=bucket.dtype, shape=(bucket.size,), name=f"bucket{i}")
                 for i, bucket in enumerate(self.buckets)]
        by_param = {k: g for flat, bucket in zip(flats, self.buckets, strict=True)
                    for k, g in buckets.unpack(flat, bucket).items()}
        scale = 1.0 / self.comm.size
        averaged = [by_param[k] if scale == 1 else (by_param[k] * scale).astype(by_param[k].dtype)
                    for k in range(len(self.params))]
        updates = dict(rule(averaged, self.params))
        self._apply = ac.function(flats, [], updates=updates, mode=mode, name="apply updates")
        missing = [p for p in self.params if p not in updates]
        if missing:
            raise ValueError(f"the update rule leaves parameter {missing[0]} unchanged")
        #: what a checkpoint holds: the parameters, then the rule's own state (moments, step counts)
        self.state: list[SharedVariable] = self.params + [v for v in updates if v not in set(self.params)]
        self._loss = np.zeros(1)
        self.broadcast_state()

    def step(self, *batch: Any) -> float:
        """One training step on this rank's share of a global batch; returns the loss averaged over the ranks."""
        loss, *flats = self._gradients(*batch)
        flats = [f if f.flags.c_contiguous and f.flags.writeable else np.array(f) for f in flats]
        for flat in flats:
            self.comm.allreduce_sum(flat)
        self._apply(*flats)
        self._loss[0] = loss
        self.comm.allreduce_sum(self._loss)
        return float(self._loss[0]) / self.comm.size

    def broadcast_state(self) -> None:
        """Give every rank rank 0's parameters and optimizer state."""
        for var in self.state:
            value = np.array(var.get_value(borrow=True), order="C")  # a copy, kept 0-d for a scalar
            self.comm.broadcast(value)
            var.set_value(value, borrow=True)

    def save(self, path: str | Path) -> None:
        """Write the parameters and optimizer state to ``path`` (NumPy's ``.npz``) from rank 0; every rank calls
        it, and it returns once the file is written."""
        if self.comm.rank == 0:
            with open(path, "wb") as file:
                np.savez(file, *(var.get_value(borrow=True) for var in self.state))
        self.comm.barrier()

    def load(self, path: str | Path) -> None:
        """Restore what ``save`` wrote (on any number of ranks): rank 0 reads it and broadcasts it."""
        if self.comm.rank == 0:
            with np.load(path) as saved:
                values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
            if len(values) != len(self.state):
                raise ValueError(f"{path} holds {len(values)} arrays; this model has {len(self.state)}")
            for var, value in zip(self.state, values, strict=True):
                have = np.shape(var.get_value(borrow=True))
                if value.shape != have:
                    raise ValueError(f"{path}: {var} has shape {value.shape} there, {have} here")
                var.set_value(value)
        self.broadcast_state()
