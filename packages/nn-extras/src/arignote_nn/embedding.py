"""``embedding``: rows of a table looked up by integer ids."""

from __future__ import annotations

from typing import Any

from arignote_core import TensorVariable, as_tensor
from arignote_core.dtypes import is_integer


def embedding(ids: Any, table: Any) -> TensorVariable:
    """``table[ids]``: for ids of shape S and a (V, D) table, the (S..., D) vectors; the gradient in ``table``
    accumulates over repeated ids."""
    ids, table = as_tensor(ids), as_tensor(table)
    if not is_integer(ids.dtype):
        raise TypeError(f"embedding ids must be integers, got {ids} of type {ids.type}")
    if table.ndim != 2:
        raise TypeError(f"an embedding table is a (vocabulary, features) matrix, got {table} of type {table.type}")
    return table[ids]
