"""Sparse matrices (graph-core's ``arignote_core.sparse``): ``StructuredDot`` (csr or csc times dense) as one C
kernel (``csr_dense.c``), float32 and float64 values with int32 or int64 indices, split over the runtime's
threads; the other sparse ops run their reference ``perform`` (scipy.sparse) as Python steps, whose sparse results
are passed on as they are.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib.resources import files
from typing import Any

import numpy as np

from arignote_core.evaluator import raise_node_error
from arignote_core.graph import Apply
from arignote_core.sparse import OPS, SparseType, StructuredDot

from ..emit.context import EmitContext, Unsupported
from ..runtime import services_header
from ..runtime.source import StepKind
from .base import CKernel, StepPlan, python_step, register_c_code, register_lowering

C_TYPES = {"float32": "float", "float64": "double", "int32": "int32_t", "int64": "int64_t"}


@functools.cache
def _support(real: str, index: str, pointer: str) -> str:
    """The kernel's C for one value type and index types, include-guarded so that kernels share a module."""
    suffix = f"{real}_{index}_{pointer}"
    guard = f"ARIGNOTE_SPARSE_{suffix.upper()}"
    return "\n".join([
        services_header(), f"#ifndef {guard}", f"#define {guard}", f"#define real_t {C_TYPES[real]}",
        f"#define idx_t {C_TYPES[index]}", f"#define ptr_t {C_TYPES[pointer]}", f"#define SPK(f) spk_##f##_{suffix}",
        files(__package__).joinpath("csr_dense.c").read_text(),
        "#undef SPK", "#undef ptr_t", "#undef idx_t", "#undef real_t", "#endif",
    ])


def _output_shapes() -> Any:
    """The output's shape from the values (x's shape, d's), after the checks that make the kernel's reads safe:
    one index per value, the dense operand's rows matching x's columns."""
    def shapes(values: list[np.ndarray]) -> list[tuple[int, ...]]:
        data, indices, _, shape, d = values
        rows, cols = (int(s) for s in shape)
        if len(indices) != len(data):
            raise ValueError(f"structured_dot: the sparse operand has {len(data)} values and {len(indices)} indices")
        if rows < 0 or cols < 0:
            raise ValueError(f"structured_dot: the sparse operand has the negative shape {(rows, cols)}")
        if d.shape[0] != cols:
            raise ValueError(f"structured_dot: the sparse operand has shape {(rows, cols)}, so the dense operand "
                             f"needs {cols} rows; it has shape {d.shape}")
        return [(rows, *d.shape[1:])]

    return shapes


@register_c_code(StructuredDot)
def structured_dot_c(node: Apply) -> CKernel:
    """``StructuredDot`` as the csr/csc x dense kernel; other dtypes run scipy (``Unsupported``)."""
    data, indices, indptr, _, _ = node.inputs
    real, index, pointer = data.type.dtype, indices.type.dtype, indptr.type.dtype
    if real not in ("float32", "float64") or index not in ("int32", "int64") or pointer not in ("int32", "int64"):
        raise Unsupported(f"structured_dot has a C kernel for float32/float64 values with int32/int64 indices, not "
                          f"{real} values with {index}/{pointer} indices")
    csc = int(node.op.format == "csc")
    body = f"return spk_dot_{real}_{index}_{pointer}(in, out, {csc});"
    return CKernel(body=body, output_shapes=_output_shapes(), support=_support(real, index, pointer),
                   shapes_from_values=True)


def _sparse_step(node: Apply) -> Any:
    """Run ``perform`` naming the node on error; dense results get their declared dtype, sparse ones pass."""
    dense = python_step(node)
    if not any(isinstance(o.type, SparseType) for o in node.outputs):
        return dense

    def run(args: list[Any]) -> Sequence[Any]:
        try:
            return node.op.perform(node, args)
        except Exception as exc:
            raise_node_error(node, args, exc)

    return run


@register_lowering(*(op for op in OPS if op is not StructuredDot))
def _lower_sparse_python(ctx: EmitContext, node: Apply) -> StepPlan:
    return StepPlan(StepKind.PYTHON, node, list(node.inputs), obj=_sparse_step(node), label="python")
