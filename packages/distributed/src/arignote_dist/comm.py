"""Communicators: the few collective operations data-parallel training needs, over MPI or on one process.

``world()`` is MPI's ``COMM_WORLD`` when mpi4py is installed, and a one-process communicator otherwise, so a
script written for ``mpiexec -n 4`` also runs as a plain ``python`` process with no MPI at all.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from types import TracebackType
from typing import Any, NoReturn, Protocol

import numpy as np

#: environment variables through which MPI launchers (MPICH's Hydra, Open MPI's) give each process the job's size
_LAUNCHER_SIZES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")


class Communicator(Protocol):
    """What training asks of a group of processes; buffers are contiguous NumPy arrays changed in place."""

    @property
    def rank(self) -> int: ...

    @property
    def size(self) -> int: ...

    def allreduce_sum(self, buffer: np.ndarray) -> None:
        """Replace ``buffer`` on every rank by its sum over the ranks."""

    def broadcast(self, buffer: np.ndarray, root: int = 0) -> None:
        """Replace ``buffer`` on every rank by ``root``'s."""

    def barrier(self) -> None:
        """Return once every rank has called it."""

    def abort(self, code: int = 1) -> NoReturn:
        """End every rank of the job now, with exit status ``code``."""


class SingleProcess:
    """The communicator of a run on one process: every collective is the identity."""

    rank = 0
    size = 1

    def allreduce_sum(self, buffer: np.ndarray) -> None:
        pass

    def broadcast(self, buffer: np.ndarray, root: int = 0) -> None:
        if root != 0:
            raise ValueError(f"broadcast from rank {root} on a one-process run")

    def barrier(self) -> None:
        pass

    def abort(self, code: int = 1) -> NoReturn:
        os._exit(code)


class MPICommunicator:
    """An mpi4py communicator; collectives go through the buffer protocol (no pickling)."""

    def __init__(self, comm: Any) -> None:
        from mpi4py import MPI  # noqa: PLC0415  (optional dependency: the [mpi] extra)

        self.comm = comm
        self._in_place = MPI.IN_PLACE

    @property
    def rank(self) -> int:
        return int(self.comm.Get_rank())

    @property
    def size(self) -> int:
        return int(self.comm.Get_size())

    def allreduce_sum(self, buffer: np.ndarray) -> None:
        _check_buffer(buffer)
        self.comm.Allreduce(self._in_place, buffer)

    def broadcast(self, buffer: np.ndarray, root: int = 0) -> None:
        _check_buffer(buffer)
        self.comm.Bcast(buffer, root=root)

    def barrier(self) -> None:
        self.comm.Barrier()

    def abort(self, code: int = 1) -> NoReturn:
        self.comm.Abort(code)
        os._exit(code)  # Abort does not return; this tells the type checker so


def _check_buffer(buffer: np.ndarray) -> None:
    if not (buffer.flags.c_contiguous and buffer.flags.writeable):
        raise ValueError("collectives work in place on a contiguous, writeable array")


def world() -> Communicator:
    """All the processes of this job: MPI's ``COMM_WORLD`` when mpi4py is installed, else this process alone.

    Raises ``RuntimeError`` when a launcher started several processes but mpi4py is missing: each would
    otherwise train alone, silently.
    """
    try:
        from mpi4py import MPI  # noqa: PLC0415  (optional dependency: the [mpi] extra)
    except ImportError:
        launched = max((int(os.environ.get(name, "1") or 1) for name in _LAUNCHER_SIZES), default=1)
        if launched > 1:
            raise RuntimeError(f"this process is one of {launched} started by an MPI launcher, but mpi4py is not "
                               "installed: pip install 'arignote-distributed[mpi]'") from None
        return SingleProcess()
    return MPICommunicator(MPI.COMM_WORLD)


def abort_on_error(comm: Communicator) -> None:
    """Make an uncaught exception on any rank (in any thread) end the whole job, after printing its traceback,
    instead of leaving the other ranks waiting forever in a collective. Nothing changes on one process."""
    if comm.size == 1:
        return

    def abort(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        # the error itself goes in the first line, written at once: the launcher may drop what a rank wrote last
        # when the abort reaches it first (a traceback cut short was seen in CI)
        text = "".join(traceback.format_exception(kind, value, tb))
        sys.stderr.write(f"arignote_dist: rank {comm.rank} of {comm.size} failed ({kind.__name__}: {value}); "
                         f"aborting the job\n{text}")
        sys.stderr.flush()
        comm.abort(1)

    def abort_thread(args: threading.ExceptHookArgs) -> None:
        abort(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)

    sys.excepthook = abort
    threading.excepthook = abort_thread
