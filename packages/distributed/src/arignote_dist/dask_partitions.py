"""Batch evaluation over the partitions of dask bags and dataframes: a compiled function applied to each element
of a bag, or to the columns of each partition of a dataframe.

As for arrays (:mod:`.dask_blocks`), the function travels as one task of the graph, its pickle, on which every
partition's task depends: each worker receives it once and unpickles (compiles) it once, then keeps it. Needs
the ``[dask]`` extra (dask's bag and dataframe, pandas).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dask.bag as db
import dask.dataframe as dd
import numpy as np
import pandas as pd

from arignote_core import Function, TensorType

from .dask_blocks import Shipped, shipped_task


def map_bag(function: Function, bag: db.Bag) -> db.Bag:
    """``function`` applied to each element of ``bag``: an element is the function's input, or a tuple of its
    inputs for a function of several; the result is a bag of its outputs (a tuple of them for a function of
    several outputs)."""
    return bag.map_partitions(_call_elements, shipped_task(function), len(function.inputs))


def _call_elements(elements: Sequence[Any], shipped: Shipped, n_inputs: int) -> list[Any]:
    f = shipped.load()
    results = []
    for k, element in enumerate(elements):
        args = element if isinstance(element, tuple) else (element,)
        if len(args) != n_inputs:
            raise TypeError(f"element {k} of a partition holds {len(args)} values; the function takes {n_inputs} "
                            "(give a function of several inputs a tuple per element)")
        result = f(*args)
        results.append(tuple(result) if isinstance(result, list) else result)
    return results


def map_partitions(function: Function, frame: dd.DataFrame, columns: Sequence[str],
                   names: Sequence[str]) -> dd.DataFrame:
    """``function`` applied to each partition of ``frame``: input ``k`` is the column ``columns[k]`` (the
    partition's rows as a 1-d array), and output ``k``, 1-d with one entry per row, is the column ``names[k]`` of
    the resulting dataframe, which keeps ``frame``'s index. Column dtypes come from the function's output types,
    so Dask never calls the function to guess them."""
    inputs, outputs = function.inputs, function.fgraph.outputs[: function.n_outputs]
    if len(columns) != len(inputs):
        raise TypeError(f"the function takes {len(inputs)} inputs; got {len(columns)} columns {list(columns)}")
    if len(names) != len(outputs):
        raise TypeError(f"the function gives {len(outputs)} outputs; got {len(names)} names {list(names)}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"no column {missing[0]!r} in the dataframe; it has {list(frame.columns)}")
    for what, variables in (("input", inputs), ("output", outputs)):
        for k, var in enumerate(variables):
            if not isinstance(var.type, TensorType) or var.type.ndim != 1:
                raise TypeError(f"{what} {k} ({var}, {var.type}) is not a vector: a function mapped over a "
                                "dataframe's partitions reads and gives columns")
    meta = pd.DataFrame({name: np.empty(0, dtype=var.type.dtype) for name, var in zip(names, outputs, strict=True)})
    return frame.map_partitions(_call_columns, shipped_task(function), list(columns), list(names), meta=meta)


def _call_columns(part: pd.DataFrame, shipped: Shipped, columns: list[str], names: list[str]) -> pd.DataFrame:
    result = shipped.load()(*(part[c].to_numpy() for c in columns))
    values = result if isinstance(result, list) else [result]
    for name, value in zip(names, values, strict=True):
        if np.shape(value) != (len(part),):
            raise ValueError(f"output {name!r} has shape {np.shape(value)}; a partition of {len(part)} rows needs "
                             f"({len(part)},)")
    return pd.DataFrame(dict(zip(names, values, strict=True)), index=part.index)
