"""A conformance case: how to build an op symbolically, its NumPy oracle, its inputs and its tolerances."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: (rtol, atol) per result dtype; a case may override any of them.
DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (2e-3, 1e-4),
    "float32": (2e-5, 1e-6),
    "float64": (1e-10, 1e-13),
    "complex64": (2e-5, 1e-6),
    "complex128": (1e-10, 1e-13),
}


@dataclass(frozen=True, eq=False)
class Sample:
    """One call of a case: input values, the static shapes their symbolic inputs declare, and keyword
    arguments given to both the builder and the oracle.

    ``static_shapes`` holds, per input, an int or None per axis (None: the size is known only at run time).
    ``tags`` say what the sample exercises (``edge``, ``empty``, ``view``, ``broadcast``, ``runtime-broadcast``,
    ``error``...); ``build-error`` demands that an expected error is raised when the graph is built.
    ``why_not_differentiable``, when set, says why the op has no derivative at this sample (a point where it is
    not differentiable, or arguments that make it not a function), which keeps it out of gradient checks.
    """

    values: tuple[np.ndarray, ...]
    static_shapes: tuple[tuple[int | None, ...], ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    tags: frozenset[str] = frozenset()
    label: str = ""
    why_not_differentiable: str = ""

    @property
    def dtypes(self) -> tuple[str, ...]:
        return tuple(v.dtype.name for v in self.values)

    def describe(self) -> str:
        parts = [f"{v.dtype}{list(v.shape)}" + ("" if v.flags.c_contiguous else "(view)") for v in self.values]
        extra = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        text = ", ".join(parts + ([extra] if extra else []))
        return f"{self.label or 'sample'}: ({text})"


def sample(*values: Any, static: Sequence[Any] | None = None, tags: Sequence[str] = (), label: str = "",
           not_differentiable: str = "", **kwargs: Any) -> Sample:
    """A Sample from arrays; ``static`` is per input ``"full"`` (the default), ``"none"`` or a shape tuple;
    ``not_differentiable`` says why the op has no derivative there (see :class:`Sample`)."""
    arrays = tuple(np.asarray(v) for v in values)
    specs = static if static is not None else ["full"] * len(arrays)
    shapes = []
    for array, spec in zip(arrays, specs, strict=True):
        if spec == "full":
            shapes.append(tuple(array.shape))
        elif spec == "none":
            shapes.append((None,) * array.ndim)
        else:
            shapes.append(tuple(spec))
    return Sample(arrays, tuple(shapes), dict(kwargs), frozenset(tags), label, not_differentiable)


@dataclass(frozen=True, eq=False)
class Case:
    """How to check one public function (or one use of it) against NumPy.

    ``build(*symbolic_inputs, **sample.kwargs)`` gives a symbolic output (or a list of them);
    ``oracle(*arrays, **sample.kwargs)`` gives the expected values. ``samples(rng)`` gives the inputs.
    ``differentiable`` says whether a gradient check applies; if not, ``why_not_differentiable`` says why.
    ``grad_wrt`` lists the inputs to differentiate with respect to (default: every floating input).
    ``dynamic_shape`` marks outputs whose shape depends on input values, so that ``infer_shape`` cannot know it.
    ``compare(expected, got, sample)``, when given, replaces the value comparison (for results that are only
    defined up to sign or order, or not at all, like ``empty``); it raises AssertionError on a mismatch.
    ``unsupported_backends`` names backends that cannot run the case and says why (``run_case`` skips it there).
    """

    name: str
    function: str
    build: Callable[..., Any]
    oracle: Callable[..., Any]
    samples: Callable[[np.random.Generator], list[Sample]]
    differentiable: bool = True
    why_not_differentiable: str = ""
    grad_wrt: tuple[int, ...] | None = None
    tolerances: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    dynamic_shape: bool = False
    compare: Callable[[Sequence[np.ndarray], Sequence[np.ndarray], Sample], None] | None = None
    seed: int = 0
    #: backends (by name) that cannot run the case, with the reason: ``run_case`` skips it for them
    unsupported_backends: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.differentiable and not self.why_not_differentiable:
            raise ValueError(f"case {self.name}: a non-differentiable case must say why (why_not_differentiable)")

    def tolerance(self, dtype: str) -> tuple[float, float]:
        """(rtol, atol) for results of ``dtype``; (0, 0) for exact dtypes."""
        if dtype in self.tolerances:
            return self.tolerances[dtype]
        return DEFAULT_TOLERANCES.get(dtype, (0.0, 0.0))

    def make_samples(self) -> list[Sample]:
        """The case's samples, the same on every call (drawn from ``seed``)."""
        return self.samples(np.random.default_rng(self.seed))

    def grad_samples(self) -> list[Sample]:
        """Samples suited to a numerical gradient check: float64 floating inputs, no edge values, no empty
        arrays, no expected errors, no points declared not differentiable."""
        if not self.differentiable:
            return []
        chosen = []
        for s in self.make_samples():
            floats = [v.dtype.name for v in s.values if v.dtype.kind == "f"]
            if not floats or any(d != "float64" for d in floats) or any(v.dtype.kind == "c" for v in s.values):
                continue
            if s.tags & {"edge", "empty", "error", "build-error"} or any(v.size == 0 for v in s.values) \
                    or s.why_not_differentiable:
                continue
            chosen.append(s)
        return chosen

    def nondifferentiable_samples(self) -> list[Sample]:
        """The samples declared not differentiable (``Sample.why_not_differentiable``)."""
        return [s for s in self.make_samples() if s.why_not_differentiable]

    def wrt(self, s: Sample) -> tuple[int, ...]:
        """Indices of the inputs of ``s`` a gradient check differentiates with respect to."""
        if self.grad_wrt is not None:
            return self.grad_wrt
        return tuple(i for i, v in enumerate(s.values) if v.dtype.kind == "f")
