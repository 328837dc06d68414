"""Arignote beyond one machine: data-parallel training over MPI (:class:`DataParallel`, :class:`ShardSampler`)
and batch evaluation on Dask (``arignote_dist.dask_blocks.map_blocks`` over arrays,
``arignote_dist.dask_partitions.map_bag`` and ``map_partitions`` over bags and dataframes; the ``[dask]`` extra).

A training script written for ``mpiexec -n 4 python train.py`` also runs as ``python train.py``: without
mpi4py, or on one process, every collective is the identity.
"""

from ._version import __version__
from .buckets import DEFAULT_BUCKET_BYTES, Bucket, Slot
from .comm import Communicator, MPICommunicator, SingleProcess, abort_on_error, world
from .data_parallel import DataParallel, UpdateRule, sgd
from .sampler import ShardSampler

__all__ = [
    "DEFAULT_BUCKET_BYTES", "Bucket", "Communicator", "DataParallel", "MPICommunicator", "ShardSampler",
    "SingleProcess", "Slot", "__version__", "abort_on_error", "sgd", "world",
]
