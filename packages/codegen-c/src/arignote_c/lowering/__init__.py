"""Lowering: how each op becomes a step of the C program, in a registry keyed by op class (see ``base``).

Importing this package registers every built-in lowering: one module per family, each importing only ``base``
(``control``, for nodes with inner graphs, is called by the link instead: it compiles those graphs). The steps'
parameters are named in ``runtime.source.STEP_PARAMS``, shared with the C executor.
"""

from . import blas, elementwise, indexing, join, reductions, rows, sparse, views  # each registers its lowerings
from .base import (
    ARRAY_STRUCT,
    C_CODE,
    LOWERINGS,
    CKernel,
    Lowering,
    StepPlan,
    load_extensions,
    lower,
    python_step,
    register_c_code,
    register_lowering,
)
from .blas import blas_step
from .control import InnerCompiler, control_flow_plan
from .reductions import reduce_step

__all__ = ["ARRAY_STRUCT", "C_CODE", "CKernel", "InnerCompiler", "LOWERINGS", "Lowering", "StepPlan", "blas_step",
           "control_flow_plan", "load_extensions", "lower", "python_step", "reduce_step", "register_c_code",
           "register_lowering"]
