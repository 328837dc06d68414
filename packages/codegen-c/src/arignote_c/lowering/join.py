"""``Join`` (concatenate) as C code: each input copied into its slab of the output along the axis, at any strides
(a row at a time where both are contiguous along the last axis). Inputs of another dtype than the output's
(a promotion) run NumPy's concatenate."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from arignote_core.graph import Apply
from arignote_core.tensors.join import Join

from ..emit.context import Unsupported
from .base import CKernel, register_c_code

#: copies the array ``src`` to ``dst`` (its strides ``dstrides``), element by element or row by row;
#: include-guarded, so that the Joins of one module share it
_SUPPORT = """
#include <string.h>
#ifndef ARIGNOTE_JOIN_COPY
#define ARIGNOTE_JOIN_COPY
static void agj_copy(const ag_array *src, char *dst, const int64_t *dstrides, int64_t itemsize) {
    int nd = src->ndim;
    int64_t rows = 1, idx[64] = {0};
    for (int d = 0; d < nd - 1; ++d) rows *= src->shape[d];
    const int64_t len = src->shape[nd - 1], ss = src->strides[nd - 1], ds = dstrides[nd - 1];
    if (rows == 0 || len == 0) return;
    const char *s = src->data;
    for (int64_t r = 0; r < rows; ++r) {
        if (ss == itemsize && ds == itemsize) memcpy(dst, s, (size_t)(len * itemsize));
        else for (int64_t k = 0; k < len; ++k) memcpy(dst + k * ds, s + k * ss, (size_t)itemsize);
        for (int d = nd - 2; d >= 0; --d) {
            if (++idx[d] < src->shape[d]) { s += src->strides[d]; dst += dstrides[d]; break; }
            s -= src->strides[d] * (src->shape[d] - 1);
            dst -= dstrides[d] * (src->shape[d] - 1);
            idx[d] = 0;
        }
    }
}
#endif
"""


def _output_shape(axis: int) -> Callable[[list[tuple[int, ...]]], list[tuple[int, ...]]]:
    """The output's shape from the inputs', refusing those that differ off the axis with NumPy's message."""

    def shapes(inputs: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
        first = inputs[0]
        for index, other in enumerate(inputs[1:], 1):
            for d, (a, b) in enumerate(zip(first, other, strict=True)):
                if d != axis and a != b:
                    raise ValueError("all the input array dimensions except for the concatenation axis must match "
                                     f"exactly, but along dimension {d}, the array at index 0 has size {a} and the "
                                     f"array at index {index} has size {b}")
        return [(*first[:axis], sum(s[axis] for s in inputs), *first[axis + 1:])]

    return shapes


@register_c_code(Join)
def join_c(node: Apply) -> CKernel:
    """The inputs copied one after the other along the axis; Unsupported where one must be converted."""
    dtype = node.outputs[0].type.dtype
    kinds: Sequence[str] = [v.type.dtype for v in node.inputs]
    if any(k != dtype for k in kinds) or np.dtype(dtype).kind not in "biufc":
        raise Unsupported(f"concatenating {', '.join(kinds)} into {dtype} converts: NumPy's concatenate does it")
    if len(node.inputs) + 1 > 32:  # the runtime's operands of one step (AG_MAXOPS), as for elementwise kernels
        raise Unsupported("too many operands for one kernel: NumPy's concatenate joins them")
    axis, itemsize = node.op.axis, np.dtype(dtype).itemsize
    body = f"""    int64_t at = 0;
    for (int i = 0; i < {len(node.inputs)}; ++i) {{
        agj_copy(&in[i], out[0].data + at * out[0].strides[{axis}], out[0].strides, {itemsize});
        at += in[i].shape[{axis}];
    }}
    return 0;"""
    return CKernel(body=body, output_shapes=_output_shape(axis), support=_SUPPORT)
