"""Derivative rules for graph-core's ops; importing this package registers them all."""

from . import (
           checks,
           contractions,
           control,
           cumulative,
           debugging,
           decompositions,
           elemwise,
           fft,
           indexing,
           interpolation,
           joining,
           linalg,
           linalg_more,
           products,
           random,
           reduce,
           scalar,
           scan,
           shape,
           sorting,
           sparse,
           special,
)

__all__ = ["checks", "contractions", "control", "cumulative", "debugging", "decompositions", "elemwise", "fft",
           "indexing", "interpolation", "joining", "linalg", "linalg_more", "products", "random", "reduce", "scalar",
           "scan", "shape", "sorting", "sparse", "special"]
