"""``RandomVariable``: one draw from a distribution, a pure function of the generator state it is given.

Inputs: the state (a uint64 vector ``[key0, key1, offset]``), the size (an int64 vector, empty when the size
comes from broadcasting the parameters) and the distribution's parameters. Outputs: the next state (the offset
plus one) and the draws. Because the state is an ordinary input and the next state an ordinary output, a
compiled function is reproducible from its inputs, and a backend may compute the draws itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dtypes import as_dtype
from ..graph import Apply, Constant, Op
from ..tensors.basic import MakeVector, as_tensor, cast, constant, stack, static_int
from ..tensors.elemwise import broadcast_static_shapes
from ..tensors.shape_inference import broadcast_shapes
from ..tensors.type import TensorType
from . import distributions as dist

STATE_TYPE = TensorType("uint64", (3,))

#: Distributions whose parameters broadcast elementwise: sampler(source, n, *flat parameters).
ELEMENTWISE: dict[str, Callable[..., np.ndarray]] = {
    "uniform": dist.uniform, "normal": dist.normal, "exponential": dist.exponential, "bernoulli": dist.bernoulli,
    "integers": dist.integers, "gamma": dist.gamma, "beta": dist.beta, "binomial": dist.binomial,
    "poisson": dist.poisson, "truncated_normal": dist.truncated_normal,
}
#: Distributions with a core axis: the parameter's last axis (categories) is not broadcast.
WITH_CATEGORIES = ("multinomial", "categorical")


@dataclass(frozen=True)
class RandomVariable(Op):
    """A draw of ``distribution`` with output ``dtype``; ``has_size`` says whether the size input is given."""

    distribution: str
    dtype: str
    has_size: bool

    def __post_init__(self) -> None:
        if self.distribution not in ELEMENTWISE and self.distribution not in WITH_CATEGORIES:
            raise ValueError(f"unknown distribution {self.distribution!r}")

    def make_node(self, state: Any, size: Any, *params: Any) -> Apply:
        state = as_tensor(state)
        if state.type.dtype != "uint64" or state.ndim != 1:
            raise TypeError(f"{self}: the generator state must be a uint64 vector, got {state.type}")
        size = cast(as_tensor(size), "int64")
        tensors = [as_tensor(p) for p in params]
        shape = self._static_shape(size, tensors)
        return Apply(self, [state, size, *tensors], [STATE_TYPE, TensorType(self.dtype, shape)])

    def _static_shape(self, size: Any, params: Sequence[Any]) -> tuple[int | None, ...]:
        if self.has_size:
            if size.type.shape[0] is None:
                raise ValueError(f"{self}: size needs a static length")
            core = (params[-1].type.shape[-1],) if self.distribution == "multinomial" else ()
            if isinstance(size, Constant):
                return tuple(int(s) for s in size.data) + core
            if size.owner is not None and isinstance(size.owner.op, MakeVector):
                return tuple(static_int(s) for s in size.owner.inputs) + core
            return (None,) * size.type.shape[0] + core
        shapes = self._batch_shapes([p.type.shape for p in params])
        ndim = max((len(s) for s in shapes), default=0)
        batch = broadcast_static_shapes([(1,) * (ndim - len(s)) + tuple(s) for s in shapes], str(self))
        return batch + ((params[-1].type.shape[-1],) if self.distribution == "multinomial" else ())

    def _batch_shapes(self, shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if self.distribution in WITH_CATEGORIES:
            return [*shapes[:-1], tuple(shapes[-1][:-1])]
        return list(shapes)

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        state, size, *params = inputs
        source = dist.Source(np.asarray(state[:2], np.uint64), int(state[2]))
        batch_shapes = self._batch_shapes([np.shape(p) for p in params])
        batch = tuple(int(s) for s in size) if self.has_size else np.broadcast_shapes(*batch_shapes)
        n = int(np.prod(batch, dtype=np.int64))
        if self.distribution in WITH_CATEGORIES:
            *others, probabilities = params
            p = np.broadcast_to(probabilities, batch + probabilities.shape[-1:]).reshape(n, -1)
            if self.distribution == "categorical":
                u = dist.to_unit(source.block(np.arange(n))[:, 0])
                draws = dist.categorical_index(u, p).reshape(batch)
            else:
                trials = np.broadcast_to(others[0], batch).reshape(n)
                draws = dist.multinomial(source, n, trials, p).reshape(batch + p.shape[-1:])
        else:
            sampler = ELEMENTWISE[self.distribution]
            flat = [np.broadcast_to(np.asarray(p, np.float64), batch).reshape(n) for p in params]
            draws = np.asarray(sampler(source, n, *flat)).reshape(batch)
        next_state = np.array(state, np.uint64)
        next_state[2] += np.uint64(1)
        return [next_state, draws.astype(self.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        _, size_shape, *param_shapes = input_shapes
        core = (param_shapes[-1][-1],) if self.distribution == "multinomial" else ()
        if self.has_size:
            size = node.inputs[1]
            return [(3,), tuple(size[i] for i in range(size_shape[0])) + core]  # type: ignore[index]
        return [(3,), broadcast_shapes(self._batch_shapes(param_shapes)) + core]

    def __str__(self) -> str:
        return f"RandomVariable{{{self.distribution}, {self.dtype}}}"


def size_vector(size: Any) -> tuple[Any, bool]:
    """The size argument as an int64 vector input, and whether a size was given."""
    if size is None:
        return constant(np.zeros(0, np.int64)), False
    if isinstance(size, int | np.integer) or (hasattr(size, "ndim") and size.ndim == 0):
        size = (size,)
    if isinstance(size, list | tuple):
        if not size:
            return constant(np.zeros(0, np.int64)), True
        if all(isinstance(s, int | np.integer) for s in size):
            if any(s < 0 for s in size):
                raise ValueError(f"negative dimensions are not allowed in size {size}")
            return constant(np.asarray(size, np.int64)), True
        return stack([as_tensor(s) for s in size]).astype("int64"), True
    return cast(as_tensor(size), "int64"), True


def random_variable(distribution: str, state: Any, size: Any, params: Sequence[Any], dtype: Any) -> list[Any]:
    """Build a draw: returns (next state, draws)."""
    vector, given = size_vector(size)
    return RandomVariable(distribution, as_dtype(dtype), given)(state, vector, *params)
