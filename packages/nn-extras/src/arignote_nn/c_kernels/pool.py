"""C code of the pooling ops (``Pool2d`` and its gradients) for codegen-c.

Each op's parameters are baked into a one-line kernel calling the shared C of its dtype (pool.c). Output shapes
are computed, and the inputs' shapes checked, in Python before each call with the reference kernels' geometry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from arignote_c import CKernel
from arignote_core import Apply

from ..pool import PoolParams
from ..pool_kernels import POOL_MODES
from .source import function_name, support


def _kernel(node: Apply, name: str, mode: str, output_shapes: Any, from_values: bool = False) -> CKernel:
    op = node.op
    dtype = node.outputs[0].type.dtype
    params = (f"{{{{{op.ws[0]}, {op.ws[1]}}}, {{{op.stride[0]}, {op.stride[1]}}}, {{{op.pad[0]}, {op.pad[1]}}}, "
              f"{POOL_MODES.index(mode)}}}")
    body = f"static const nn_pool_params p = {params};\nreturn {function_name(name, dtype)}(in, out, &p);"
    return CKernel(body=body, output_shapes=output_shapes, support=support("pool", dtype),
                   shapes_from_values=from_values)


def _pooled(op: PoolParams, shape: Sequence[int]) -> tuple[int, ...]:
    """The pooled shape of an input of ``shape``; ValueError when the window does not fit."""
    if len(shape) < 2 or min(shape) < 0:
        raise ValueError(f"{op}: cannot pool an input of shape {tuple(shape)}")
    return (*shape[:-2], *op.geometry(shape).out_hw)


def _same(what: str, got: Sequence[int], want: Sequence[int]) -> None:
    if tuple(got) != tuple(want):
        raise ValueError(f"{what}: an array of shape {tuple(got)} where shape {tuple(want)} is needed")


def pool2d_forward(node: Apply) -> CKernel:
    """``Pool2d``: one pass over the windows of each plane."""
    op = node.op
    return _kernel(node, "pool2d_forward", op.mode, lambda shapes: [_pooled(op, shapes[0])])


def max_pool2d_grad(node: Apply) -> CKernel:
    """``MaxPool2dGrad``: each output gradient added at its window's first maximum."""
    op = node.op

    def shapes(in_shapes: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
        x_shape, gy_shape = in_shapes
        _same(f"{op} output gradient", gy_shape, _pooled(op, x_shape))
        return [x_shape]

    return _kernel(node, "max_pool2d_grad", "max", shapes)


def max_pool2d_grad_grad(node: Apply) -> CKernel:
    """``MaxPool2dGradGrad``: ``ggx`` read at each window's first maximum."""
    op = node.op

    def shapes(in_shapes: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
        x_shape, ggx_shape = in_shapes
        _same(f"{op} ggx", ggx_shape, x_shape)
        return [_pooled(op, x_shape)]

    return _kernel(node, "max_pool2d_grad_grad", "max", shapes)


def average_pool2d_grad(node: Apply) -> CKernel:
    """``AveragePool2dGrad``: each output gradient spread (divided) over its window."""
    op = node.op

    def shapes(values: list[np.ndarray]) -> list[tuple[int, ...]]:
        gy, input_shape = values
        x_shape = tuple(int(s) for s in input_shape)
        _same(f"{op} output gradient", gy.shape, _pooled(op, x_shape))
        return [x_shape]

    return _kernel(node, "average_pool2d_grad", op.mode, shapes, from_values=True)
