"""Batch evaluation on Dask: a compiled function mapped over the blocks of dask arrays.

The function travels as one task of the graph (its pickle, as bytes), on which every block's task depends, so
Dask sends it to each worker once; each worker process unpickles it once, compiling it with its own mode options
and cache, and keeps it for the next blocks and computations. Needs the ``[dask]`` extra.
"""

from __future__ import annotations

import hashlib
import operator
import pickle
import threading
from typing import Any

import dask
import dask.array as da
import numpy as np

from arignote_core import Function, TensorType

_LOADED: dict[str, Function] = {}
_LOADING = threading.Lock()


class Shipped:
    """A compiled function as it travels to the workers: its pickle, unpickled once per process when called."""

    def __init__(self, function: Function) -> None:
        self.blob = pickle.dumps(function)
        self.key = hashlib.sha256(self.blob).hexdigest()

    def load(self) -> Function:
        """The function, unpickled (and compiled) on this process's first use."""
        with _LOADING:
            if self.key not in _LOADED:
                _LOADED[self.key] = pickle.loads(self.blob)
            return _LOADED[self.key]

    def __call__(self, *blocks: np.ndarray) -> Any:
        return self.load()(*blocks)


def shipped_task(function: Function) -> Any:
    """``function`` as one pure task of a dask graph (its pickle, not traversed), on which every block's or
    partition's task depends: Dask sends it to each worker once."""
    return dask.delayed(Shipped(function), pure=True, traverse=False)


def _call(shipped: Shipped, *blocks: np.ndarray) -> Any:
    return shipped(*blocks)


def map_blocks(function: Function, *arrays: da.Array, **block_args: Any) -> da.Array | list[da.Array]:
    """``function`` applied to the blocks of ``arrays`` (one per input, aligned as ``dask.array.map_blocks``
    aligns them): a dask array per output, a list for a function of several outputs. Dtypes and numbers of
    dimensions come from the function's output types; ``block_args`` (``chunks``, ``drop_axis``, ``new_axis``)
    go to ``dask.array.map_blocks`` for outputs whose blocks are not shaped as the inputs' are."""
    inputs = function.inputs
    if len(arrays) != len(inputs):
        raise TypeError(f"the function takes {len(inputs)} inputs; got {len(arrays)} arrays")
    for i, (array, var) in enumerate(zip(arrays, inputs, strict=True)):
        if not isinstance(var.type, TensorType) or var.type.ndim != array.ndim:
            raise TypeError(f"input {i} ({var}, {var.type}) cannot take the blocks of a {array.ndim}-d array")
    types = [var.type for var in function.fgraph.outputs[: function.n_outputs]]
    if not all(isinstance(t, TensorType) for t in types):
        raise TypeError("map_blocks maps functions whose outputs are all tensors")
    shipped = shipped_task(function)
    if function.single:
        return _mapped(_call, shipped, *arrays, out=types[0], **block_args)
    if len({t.ndim for t in types}) > 1:
        raise TypeError("the outputs of a function mapped over blocks must have the same number of dimensions")
    tuples = da.map_blocks(_call, shipped, *arrays, dtype=object, meta=np.empty((0,) * types[0].ndim, object),
                           **block_args)
    return [_mapped(operator.getitem, tuples, k, out=t) for k, t in enumerate(types)]


def _mapped(func: Any, *args: Any, out: TensorType, **block_args: Any) -> da.Array:
    meta = np.empty((0,) * out.ndim, dtype=out.dtype)
    return da.map_blocks(func, *args, dtype=out.dtype, meta=meta, **block_args)
