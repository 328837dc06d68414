"""What an op's sampler sees while a graph is generated: the values made so far (their dtypes and their shape in
each call) and helpers to pick arguments that fit together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: no node may hold more elements than this in any call (outer products of large vectors...)
MAX_ELEMENTS = 400_000


@dataclass(frozen=True)
class Meta:
    """A value's dtype and its shape in each call (None in a call where NumPy raised computing it)."""

    dtype: np.dtype
    shapes: tuple[tuple[int, ...] | None, ...]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def shape(self) -> tuple[int, ...]:
        """The first call's shape (every value the generator keeps has one)."""
        assert self.shapes[0] is not None
        return self.shapes[0]

    @property
    def kind(self) -> str:
        return self.dtype.kind

    @property
    def is_int(self) -> bool:
        return self.dtype.kind in "iu"


Accept = Callable[[Meta], bool]


def broadcastable(*shapes: tuple[int, ...] | None) -> bool:
    if any(s is None for s in shapes):
        return False
    try:
        np.broadcast_shapes(*shapes)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


class Context:
    """The generator's state as samplers see it; ``grad`` restricts graphs to what the gradient check can use."""

    def __init__(self, rng: np.random.Generator, grad: bool) -> None:
        self.rng = rng
        self.grad = grad
        self.metas: dict[str, Meta] = {}
        self.args_of: dict[str, tuple[str, ...]] = {}
        self.consumers: dict[str, int] = {}
        #: values the next picks prefer: a reduction's result, so that it gets several consumers
        self.focus: list[str] = []

    def add(self, name: str, meta: Meta, args: tuple[str, ...] = ()) -> None:
        self.metas[name] = meta
        self.args_of[name] = args
        for arg in args:
            self.consumers[arg] = self.consumers.get(arg, 0) + 1

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def choice(self, options: list | tuple) -> object:  # type: ignore[type-arg]
        return options[int(self.rng.integers(len(options)))]

    def pick(self, accept: Accept = lambda m: True, exclude: tuple[str, ...] = ()) -> str | None:
        """An available value that ``accept`` takes, recent ones more likely (graphs grow in chains); now and then
        one that already has a consumer (a value used twice: the shapes fusion and buffer reuse get wrong)."""
        names = [n for n, m in self.metas.items() if accept(m) and n not in exclude]
        if not names:
            return None
        if self.focus and self.focus[0] in names and self.chance(0.8):
            return self.focus.pop(0)
        shared = [n for n in names if self.consumers.get(n, 0) and n in self.args_of and self.args_of[n]]
        if shared and self.chance(0.25):
            return shared[int(self.rng.integers(len(shared)))]
        weights = np.arange(1, len(names) + 1, dtype=float) ** 1.5
        return names[int(self.rng.choice(len(names), p=weights / weights.sum()))]

    def partner(self, name: str, accept: Accept = lambda m: True, strict: float = 0.93) -> str | None:
        """A value broadcastable with ``name`` in every call (itself included), or, rarely, any value: NumPy's
        refusal of a mismatch is tested too."""
        shapes = self.metas[name].shapes
        own = [a for a in self.args_of.get(name, ()) if a in self.metas and accept(self.metas[a])]
        if own and self.chance(0.4):  # x and what x was computed from: e * mean(e)
            choice = own[int(self.rng.integers(len(own)))]
            if all(broadcastable(a, b) for a, b in zip(shapes, self.metas[choice].shapes, strict=True)
                   if a is not None):
                return choice
        if self.chance(strict):
            return self.pick(lambda m: accept(m) and all(
                broadcastable(a, b) for a, b in zip(shapes, m.shapes, strict=True) if a is not None))
        return self.pick(accept)

    def fits(self, *shape_sets: tuple[tuple[int, ...] | None, ...]) -> bool:
        """Whether results of these shapes (per call) stay below the size limit."""
        return all(s is None or int(np.prod(s)) <= MAX_ELEMENTS for shapes in shape_sets for s in shapes)

    def broadcast_fits(self, *names: str) -> bool:
        calls = zip(*(self.metas[n].shapes for n in names), strict=True)
        return all(not broadcastable(*shapes) or int(np.prod(np.broadcast_shapes(*shapes))) <= MAX_ELEMENTS
                   for shapes in calls)

    def axis(self, ndim: int, negative: bool = True) -> int:
        axis = int(self.rng.integers(ndim))
        return axis - ndim if negative and self.chance(0.3) else axis

    def axes(self, ndim: int) -> object:
        """None, one axis, or a tuple of distinct axes (for reductions)."""
        roll = self.rng.random()
        if ndim == 0 or roll < 0.4:
            return None
        if roll < 0.75 or ndim == 1:
            return self.axis(ndim)
        count = int(self.rng.integers(1, ndim + 1))
        return tuple(sorted(int(a) for a in self.rng.choice(ndim, count, replace=False)))
