"""Theano's shaping functions: ``reshape(x, shape, ndim)``, ``flatten(x, outdim)``, ``split(x, sizes, n,
axis)``, ``stack(a, b, ...)``, ``tile(x, reps, ndim)``, the broadcastable patterns (``addbroadcast``,
``unbroadcast``, ``patternbroadcast``), ``horizontal_stack``/``vertical_stack`` and ``stacklists``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import arignote as ar
from arignote_core import TensorVariable, as_tensor

__all__ = ["addbroadcast", "flatten", "horizontal_stack", "patternbroadcast", "reshape", "split", "stack",
           "stacklists", "tile", "unbroadcast", "vertical_stack"]


def reshape(x: Any, newshape: Any, ndim: int | None = None) -> TensorVariable:
    """Theano's ``reshape``: ``ndim`` gives the length of a symbolic ``newshape`` the graph cannot tell."""
    if ndim is not None and isinstance(newshape, ar.Variable):
        newshape = ar.specify_shape(newshape, (ndim,))
    return ar.reshape(x, newshape)


def flatten(x: Any, outdim: int = 1) -> TensorVariable:
    """Theano's ``flatten``: keep the first ``outdim - 1`` axes and merge the others."""
    return ar.flatten(x, outdim)


def split(x: Any, splits_size: Any, n_splits: int, axis: int = 0) -> list[TensorVariable]:
    """Theano's ``split``: ``n_splits`` pieces of ``x`` along ``axis`` of the sizes ``splits_size`` (which may
    be symbolic; their sum must be the axis' length, checked when the graph runs)."""
    x, sizes = as_tensor(x), as_tensor(splits_size)
    if sizes.ndim != 1 or sizes.type.shape[0] not in (None, n_splits):
        raise ValueError(f"split: splits_size must be a vector of {n_splits} sizes, got {sizes} of type {sizes.type}")
    axis = axis % x.ndim
    x = ar.check(x, "split: the sizes must add up to the length of the axis", ar.eq(ar.sum(sizes), x.shape[axis]))
    pieces, start = [], as_tensor(0)
    for i in range(n_splits):
        end = start + sizes[i]
        pieces.append(x[(slice(None),) * axis + (slice(start, end),)])
        start = end
    return pieces


def stack(*tensors: Any, axis: int = 0) -> TensorVariable:
    """Theano's ``stack``: ``stack(a, b, c)``, or ``stack([a, b, c], axis)`` as NumPy's."""
    if len(tensors) in (1, 2) and isinstance(tensors[0], list | tuple):
        if len(tensors) == 2:
            axis = tensors[1]
        return ar.stack(list(tensors[0]), axis=axis)
    return ar.stack(list(tensors), axis=axis)


def tile(x: Any, reps: Any, ndim: int | None = None) -> TensorVariable:
    """Theano's ``tile``: ``ndim``, the output's number of dimensions, pads ``x`` with length-1 axes on the
    left."""
    x = as_tensor(x)
    if ndim is not None and ndim > x.ndim:
        x = ar.shape_padleft(x, ndim - x.ndim)
    return ar.tile(x, reps)


def horizontal_stack(*args: Any) -> TensorVariable:
    """Matrices side by side (``concatenate(args, axis=1)``)."""
    return ar.concatenate(args, axis=1)


def vertical_stack(*args: Any) -> TensorVariable:
    """Matrices one above the other (``concatenate(args, axis=0)``)."""
    return ar.concatenate(args, axis=0)


def stacklists(arg: Any) -> TensorVariable:
    """Nested lists of tensors (or numbers) stacked into one tensor: ``stacklists([[a, b], [c, d]])`` is 2 x 2
    when ``a``... are scalars."""
    if isinstance(arg, list | tuple):
        return ar.stack([stacklists(item) for item in arg])
    return as_tensor(arg)


def _axes(x: TensorVariable, axes: Sequence[int], what: str) -> set[int]:
    for axis in axes:
        if not -x.ndim <= axis < x.ndim:
            raise ValueError(f"{what}: axis {axis} is out of range for {x} with {x.ndim} dimensions")
    return {axis % x.ndim for axis in axes}


def _with_static(x: TensorVariable, static: tuple[int | None, ...]) -> TensorVariable:
    """``x`` whose static shape is ``static``: sizes forgotten where ``static`` has None (a reshape to its own
    shape that the graph cannot see through, which the rewrites remove), stated (checked at run time) where it
    has a size."""
    if any(want is None and have is not None for want, have in zip(static, x.type.shape, strict=True)):
        x = ar.reshape(x, ar.maximum(x.shape, 0))
    return ar.specify_shape(x, static) if any(s is not None for s in static) else x


def addbroadcast(x: Any, *axes: int) -> TensorVariable:
    """``x`` stated to have size 1 on ``axes`` (checked when the graph runs)."""
    x = as_tensor(x)
    chosen = _axes(x, axes, "addbroadcast")
    return _with_static(x, tuple(1 if a in chosen else s for a, s in enumerate(x.type.shape)))


def unbroadcast(x: Any, *axes: int) -> TensorVariable:
    """``x`` with the size of ``axes`` no longer known to the graph (Theano: no longer broadcastable)."""
    x = as_tensor(x)
    chosen = _axes(x, axes, "unbroadcast")
    return _with_static(x, tuple(None if a in chosen and s == 1 else s for a, s in enumerate(x.type.shape)))


def patternbroadcast(x: Any, broadcastable: Sequence[bool]) -> TensorVariable:
    """``x`` with Theano's broadcastable pattern: size 1 where True, not known to be 1 where False."""
    x = as_tensor(x)
    if len(broadcastable) != x.ndim:
        raise ValueError(f"patternbroadcast: {len(broadcastable)} entries for {x} with {x.ndim} dimensions")
    return _with_static(x, tuple(1 if b else (None if s == 1 else s)
                                 for b, s in zip(broadcastable, x.type.shape, strict=True)))
