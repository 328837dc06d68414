"""Derivative rules for graph-core's ops; importing this package registers them all."""

from . import (
           checks,
           contractions,
           control,
           cumulative,
           decompositions,
           elemwise,
           indexing,
           interpolation,
           joining,
           linalg,
           products,
           random,
           reduce,
           scalar,
           scan,
           shape,
           sorting,
           special,
)

__all__ = ["checks", "contractions", "control", "cumulative", "decompositions", "elemwise", "indexing", "interpolation",
           "joining", "linalg", "products", "random", "reduce", "scalar", "scan",
           "shape", "sorting", "special"]
