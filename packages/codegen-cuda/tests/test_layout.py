"""Operands as kernels see them: element strides over the loop (0 where broadcast), dimensions merged."""

from __future__ import annotations

import numpy as np

from arignote_cuda.layout import element_strides, merge_dims


def test_broadcast_axes_have_stride_zero() -> None:
    assert element_strides(np.zeros((3, 1)), (2, 3, 4)) == [0, 1, 0]


def test_contiguous_dimensions_merge_and_size_one_dimensions_go() -> None:
    a = np.zeros((2, 3, 4))
    shape, strides = merge_dims((2, 1, 3, 4), [element_strides(a[:, None], (2, 1, 3, 4))])
    assert (shape, strides) == ([24], [[1]])


def test_a_strided_dimension_does_not_merge() -> None:
    a = np.zeros((4, 10))[:, ::2]
    b = np.zeros(5)
    loop = (4, 5)
    shape, strides = merge_dims(loop, [element_strides(a, loop), element_strides(b, loop)])
    assert (shape, strides) == ([4, 5], [[10, 2], [0, 1]])


def test_a_broadcast_operand_merges_where_it_is_zero_in_both() -> None:
    loop = (3, 4, 5)
    shape, strides = merge_dims(loop, [element_strides(np.zeros(loop), loop), element_strides(np.zeros((3, 1, 1)),
                                                                                              loop)])
    assert (shape, strides) == ([3, 20], [[20, 1], [1, 0]])
