"""A deterministic order of terms: structural keys of variables, equal across runs and processes for equal
graphs, so that sorted sums, and the C kernels made of them, are reproducible."""

from __future__ import annotations

import weakref
import zlib
from typing import Any

import numpy as np

from arignote_core import Constant, FunctionGraph, Variable

_ORDER_CACHES: weakref.WeakKeyDictionary[FunctionGraph, dict[Variable, int]] = weakref.WeakKeyDictionary()
_OP_KEYS: dict[Any, int] = {}


def _text_key(text: str) -> int:
    """A hash of ``text`` that is the same in every process (``hash(str)`` is salted per process)."""
    return zlib.crc32(text.encode())


def _op_key(op: Any) -> int:
    key = _OP_KEYS.get(op)
    if key is None:
        key = _OP_KEYS[op] = _text_key(str(op))
    return key


def order_key(fgraph: FunctionGraph, var: Variable) -> int:
    """A structural key of ``var``, equal across runs and processes for equal graphs (so sorted sums, and the C
    kernels made of them, are reproducible: a warm cache must find the kernels a previous process compiled).
    Only ints are hashed, whose hashes are not salted."""
    cache = _ORDER_CACHES.get(fgraph)
    if cache is None:
        cache = _ORDER_CACHES[fgraph] = {v: hash((1, i)) for i, v in enumerate(fgraph.inputs)}
    stack = [var]
    while stack:
        top = stack[-1]
        if top in cache:
            stack.pop()
            continue
        node = top.owner
        if node is None:
            if isinstance(top, Constant):
                cache[top] = hash((2, zlib.crc32(np.ascontiguousarray(top.data).tobytes()), _text_key(str(top.type))))
            else:
                cache[top] = hash((0, _text_key(top.name or "")))
            stack.pop()
            continue
        missing = [v for v in node.inputs if v not in cache]
        if missing:
            stack.extend(missing)
            continue
        cache[top] = hash((3, _op_key(node.op), top.index, *(cache[v] for v in node.inputs)))
        stack.pop()
    return cache[var]
