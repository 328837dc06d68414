"""Conformance cases of ``RandomVariable``: every backend must give the very numbers of the reference sampler
(Philox4x64-10 blocks, element by element), and the next state. The oracle is that NumPy sampler; the moments
of each distribution are checked against theory in graph-core's test_random.py."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...random.ops import RandomVariable, size_vector
from ..case import Case, Sample, sample
from ..generators import fixed

RANDOM = "random draws: no derivative with respect to the generator state"

# distribution: (parameter values, size, dtype)
DRAWS: dict[str, tuple[list[Any], Any, str]] = {
    "uniform": ([np.float64(-1.0), np.array([1.0, 3.0])], None, "float64"),
    "normal": ([np.array([[0.0], [10.0]]), np.float64(2.0)], (2, 5), "float64"),
    "exponential": ([np.array([0.5, 2.0, 4.0])], None, "float32"),
    "bernoulli": ([np.float64(0.3)], (7,), "int64"),
    "integers": ([np.int64(-5), np.int64(5)], (3, 4), "int64"),
    "gamma": ([np.array([0.3, 1.0, 7.5]), np.float64(2.0)], (4, 3), "float64"),
    "beta": ([np.float64(0.5), np.array([0.5, 3.0])], None, "float64"),
    "binomial": ([np.array([[5], [2000]]), np.array([0.1, 0.6])], None, "int64"),
    "poisson": ([np.array([0.5, 5.0, 50.0, 500.0])], (2, 4), "int64"),
    "truncated_normal": ([np.float64(0.0), np.float64(1.0), np.float64(-1.0), np.float64(3.0)], (6,), "float64"),
    "categorical": ([np.array([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]])], None, "int64"),
    "multinomial": ([np.array([3, 20]), np.array([0.2, 0.3, 0.5])], None, "int64"),
    "lognormal": ([np.array([0.0, 1.0]), np.float64(0.5)], (3, 2), "float64"),
    "laplace": ([np.float64(1.0), np.array([0.5, 2.0])], None, "float64"),
    "logistic": ([np.float64(-1.0), np.float64(2.0)], (5,), "float32"),
    "gumbel": ([np.array([[0.0], [3.0]]), np.float64(1.5)], (2, 3), "float64"),
    "weibull": ([np.array([0.5, 1.0, 4.0])], None, "float64"),
    "pareto": ([np.float64(3.0), np.array([1.0, 2.0])], (3, 2), "float64"),
    "cauchy": ([np.float64(0.0), np.float64(2.0)], (6,), "float64"),
    "halfnormal": ([np.float64(1.0), np.array([0.5, 3.0])], None, "float64"),
    "halfcauchy": ([np.float64(0.0), np.array([1.0, 3.0])], (3, 2), "float64"),
    "invgamma": ([np.array([0.5, 4.0]), np.float64(2.0)], None, "float64"),
    "rayleigh": ([np.array([0.5, 2.0])], (2, 2), "float32"),
    "chisquare": ([np.array([0.5, 3.0, 40.0])], None, "float64"),
    "t": ([np.array([1.0, 4.0, 30.0]), np.float64(0.0), np.float64(2.0)], (2, 3), "float64"),
    "wald": ([np.array([0.5, 3.0]), np.float64(2.0)], (4, 2), "float64"),
    "triangular": ([np.float64(0.0), np.array([0.0, 0.5, 2.0]), np.float64(2.0)], None, "float64"),
    "vonmises": ([np.float64(3.0), np.array([0.0, 1e-6, 0.5, 4.0, 1e7])], None, "float64"),
    "geometric": ([np.array([0.05, 0.5, 1.0])], (2, 3), "int64"),
    "negative_binomial": ([np.array([1.0, 30.0]), np.float64(0.3)], (3, 2), "int64"),
    "beta_binomial": ([np.array([5, 300]), np.float64(0.5), np.float64(2.0)], None, "int64"),
    "hypergeometric": ([np.array([5, 400]), np.int64(300), np.array([4, 200])], None, "int64"),
    "dirichlet": ([np.array([[0.5, 1.0, 2.0], [3.0, 0.2, 1.0]])], (4, 2), "float64"),
    "multivariate_normal": ([np.array([[0.0, 1.0], [5.0, -5.0]]), np.array([[2.0, 0.5], [0.5, 1.0]])], None,
                            "float64"),
}


def _samples(distribution: str) -> Any:
    params, size, _ = DRAWS[distribution]
    states = [np.array([7, 0, 0], np.uint64), np.array([2**63 + 5, 3, 41], np.uint64)]
    out: list[Sample] = []
    for state in states:
        out.append(sample(state, *params, label=f"state {state.tolist()}"))
        out.append(sample(state, *params, static=["full"] + ["none"] * len(params), label="run-time shapes"))
    return fixed(*out)


def _build(distribution: str) -> Any:
    _, size, dtype = DRAWS[distribution]

    def build(state: Any, *params: Any) -> Any:
        vector, given = size_vector(size)
        return RandomVariable(distribution, dtype, given)(state, vector, *params)

    return build


def _oracle(distribution: str) -> Any:
    _, size, dtype = DRAWS[distribution]

    def oracle(state: np.ndarray, *params: np.ndarray) -> list[np.ndarray]:
        vector = np.asarray(() if size is None else size, np.int64)
        op = RandomVariable(distribution, dtype, size is not None)
        return list(op.perform(None, [state, vector, *params]))  # type: ignore[arg-type]

    return oracle


CASES: list[Case] = [
    Case(name=f"random.{name}", function="RandomStream", build=_build(name), oracle=_oracle(name),
         samples=_samples(name), differentiable=False, why_not_differentiable=RANDOM,
         tolerances={"float64": (1e-12, 1e-14), "float32": (1e-6, 1e-7)})
    for name in DRAWS
]
