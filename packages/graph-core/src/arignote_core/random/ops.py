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

@dataclass(frozen=True)
class Signature:
    """How a distribution is shaped: ``sampler(source, n, *parameters)`` takes each parameter flattened to
    ``(n, *its core axes)``; ``core`` counts each parameter's core axes (not broadcast, as the categories of a
    multinomial), and ``support`` names the parameter whose last axis each draw has (None: scalar draws)."""

    sampler: Callable[..., np.ndarray]
    core: tuple[int, ...]
    support: int | None = None


def _elementwise(sampler: Callable[..., np.ndarray], count: int) -> Signature:
    return Signature(sampler, (0,) * count)


SIGNATURES: dict[str, Signature] = {
    "uniform": _elementwise(dist.uniform, 2), "normal": _elementwise(dist.normal, 2),
    "exponential": _elementwise(dist.exponential, 1), "bernoulli": _elementwise(dist.bernoulli, 1),
    "integers": _elementwise(dist.integers, 2), "gamma": _elementwise(dist.gamma, 2),
    "beta": _elementwise(dist.beta, 2), "binomial": _elementwise(dist.binomial, 2),
    "poisson": _elementwise(dist.poisson, 1), "truncated_normal": _elementwise(dist.truncated_normal, 4),
    "lognormal": _elementwise(dist.lognormal, 2), "laplace": _elementwise(dist.laplace, 2),
    "logistic": _elementwise(dist.logistic, 2), "gumbel": _elementwise(dist.gumbel, 2),
    "weibull": _elementwise(dist.weibull, 1), "pareto": _elementwise(dist.pareto, 2),
    "cauchy": _elementwise(dist.cauchy, 2), "halfnormal": _elementwise(dist.halfnormal, 2),
    "halfcauchy": _elementwise(dist.halfcauchy, 2), "invgamma": _elementwise(dist.invgamma, 2),
    "rayleigh": _elementwise(dist.rayleigh, 1), "chisquare": _elementwise(dist.chisquare, 1),
    "t": _elementwise(dist.student_t, 3),
    "wald": _elementwise(dist.wald, 2), "triangular": _elementwise(dist.triangular, 3),
    "vonmises": _elementwise(dist.vonmises, 2), "geometric": _elementwise(dist.geometric, 1),
    "negative_binomial": _elementwise(dist.negative_binomial, 2),
    "beta_binomial": _elementwise(dist.beta_binomial, 3),
    "hypergeometric": _elementwise(dist.hypergeometric, 3),
    "categorical": Signature(dist.categorical, (1,)),
    "multinomial": Signature(dist.multinomial, (0, 1), support=1),
    "dirichlet": Signature(dist.dirichlet, (1,), support=0),
    "multivariate_normal": Signature(dist.multivariate_normal, (1, 2), support=0),
}


@dataclass(frozen=True)
class RandomVariable(Op):
    """A draw of ``distribution`` with output ``dtype``; ``has_size`` says whether the size input is given."""

    distribution: str
    dtype: str
    has_size: bool

    def __post_init__(self) -> None:
        if self.distribution not in SIGNATURES:
            raise ValueError(f"unknown distribution {self.distribution!r}")

    @property
    def signature(self) -> Signature:
        """The distribution's sampler and the core axes of its parameters."""
        return SIGNATURES[self.distribution]

    def make_node(self, state: Any, size: Any, *params: Any) -> Apply:
        state = as_tensor(state)
        if state.type.dtype != "uint64" or state.ndim != 1:
            raise TypeError(f"{self}: the generator state must be a uint64 vector, got {state.type}")
        size = cast(as_tensor(size), "int64")
        tensors = [as_tensor(p) for p in params]
        self._check_parameters(tensors)
        shape = self._static_shape(size, tensors)
        return Apply(self, [state, size, *tensors], [STATE_TYPE, TensorType(self.dtype, shape)])

    def _check_parameters(self, params: Sequence[Any]) -> None:
        core = self.signature.core
        if len(params) != len(core):
            raise TypeError(f"{self}: expected {len(core)} parameters, got {len(params)}")
        for index, (param, axes) in enumerate(zip(params, core, strict=True)):
            if param.ndim < axes:
                raise ValueError(f"{self}: parameter {index} needs at least {axes} dimension(s), got {param.type}")

    def _core_shape(self, param_shapes: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
        support = self.signature.support
        return () if support is None else (param_shapes[support][-1],)

    def _static_shape(self, size: Any, params: Sequence[Any]) -> tuple[int | None, ...]:
        core = self._core_shape([p.type.shape for p in params])
        if self.has_size:
            if size.type.shape[0] is None:
                raise ValueError(f"{self}: size needs a static length")
            if isinstance(size, Constant):
                return tuple(int(s) for s in size.data) + core
            if size.owner is not None and isinstance(size.owner.op, MakeVector):
                return tuple(static_int(s) for s in size.owner.inputs) + core
            return (None,) * size.type.shape[0] + core
        shapes = self._batch_shapes([p.type.shape for p in params])
        ndim = max((len(s) for s in shapes), default=0)
        batch = broadcast_static_shapes([(1,) * (ndim - len(s)) + tuple(s) for s in shapes], str(self))
        return batch + core

    def _batch_shapes(self, shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [tuple(shape[:len(shape) - axes]) for shape, axes in zip(shapes, self.signature.core, strict=True)]

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        state, size, *params = inputs
        source = dist.Source(np.asarray(state[:2], np.uint64), int(state[2]))
        arrays = [np.asarray(p) for p in params]
        batch_shapes = self._batch_shapes([p.shape for p in arrays])
        batch = tuple(int(s) for s in size) if self.has_size else np.broadcast_shapes(*batch_shapes)
        n = int(np.prod(batch, dtype=np.int64))
        flat = [_flatten(p, axes, batch, n) for p, axes in zip(arrays, self.signature.core, strict=True)]
        draws = np.asarray(self.signature.sampler(source, n, *flat))
        next_state = np.array(state, np.uint64)
        next_state[2] += np.uint64(1)
        return [next_state, draws.reshape(batch + draws.shape[1:]).astype(self.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        _, size_shape, *param_shapes = input_shapes
        core = self._core_shape(param_shapes)
        if self.has_size:
            size = node.inputs[1]
            return [(3,), tuple(size[i] for i in range(size_shape[0])) + core]  # type: ignore[index]
        return [(3,), broadcast_shapes(self._batch_shapes(param_shapes)) + core]

    def __str__(self) -> str:
        return f"RandomVariable{{{self.distribution}, {self.dtype}}}"


def _flatten(param: np.ndarray, axes: int, batch: tuple[int, ...], n: int) -> np.ndarray:
    """A parameter broadcast to the batch and flattened to ``(n, *core axes)``; scalar parameters as float64."""
    core = param.shape[param.ndim - axes:]
    value = param if axes else param.astype(np.float64, copy=False)
    return np.broadcast_to(value, batch + core).reshape((n, *core))


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
