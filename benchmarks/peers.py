"""Importing peers, each configured for a fair single-machine CPU comparison."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

if "numpy" in sys.modules:
    warnings.warn("benchmarks/peers.py was imported after NumPy: NumPy's BLAS threads ignore its settings and "
                  "spin between calls, slowing the other peers; import peers first", stacklevel=2)

THREADS = os.environ.get("BENCH_THREADS", str(os.cpu_count() or 1))
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "ARIGNOTE_THREADS"):
    os.environ.setdefault(_var, THREADS)
# Idle worker threads sleep at once instead of spinning: peers run interleaved in one process, and a pool left
# spinning by one peer (OpenMP's, OpenBLAS's) would take the cores from the next one on a small machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")


def jax() -> Any:
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def numexpr() -> Any:
    import numexpr

    numexpr.set_num_threads(int(THREADS))
    return numexpr


def torch() -> Any:
    import torch

    torch.set_num_threads(int(THREADS))
    return torch


#: PyTensor's mode for its C backend: C thunks run by its C virtual machine ("cvm"), with the FAST_RUN rewrites.
#: PyTensor 3's own FAST_RUN links with Numba, so it is not the C backend any more.
PYTENSOR_C_MODE = "CVM"

#: PyTensor's mode for its Numba backend.
PYTENSOR_NUMBA_MODE = "NUMBA"


def pytensor() -> Any:
    import pytensor

    return pytensor


def arignote() -> Any:
    import arignote

    return arignote
