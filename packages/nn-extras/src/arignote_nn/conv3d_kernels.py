"""NumPy reference kernels of 3-d convolution (NCDHW input, FCDHW filters): the forward pass and its two
adjoints, as for 2-d (:mod:`arignote_nn.conv_kernels`, whose size and channel checks they share): windows read
through strides (im2col without a copy), contracted with ``tensordot`` (BLAS); Python loops run over groups and
kernel offsets, never over voxels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .conv_kernels import check_channels, output_sizes
from .windows import PaddingSpec, Pair, resolve_pads

Triple = tuple[int, int, int]
#: explicit padding of the three spatial axes: ((front, back), (top, bottom), (left, right))
Pads3 = tuple[Pair, Pair, Pair]
AXES = (0, 1, 2)


def conv3d_pads(padding: PaddingSpec, sizes: Sequence[int], kernel: Sequence[int], stride: Triple,
                dilation: Triple) -> Pads3:
    """Explicit pads of the three spatial axes (``padding`` a mode or three (before, after) pairs)."""
    return tuple(resolve_pads(padding, a, int(sizes[a]), int(kernel[a]), stride[a], dilation[a])
                 for a in AXES)  # type: ignore[return-value]


def geometry(x_shape: Sequence[int], w_shape: Sequence[int], stride: Triple, padding: PaddingSpec,
             dilation: Triple, groups: int) -> tuple[Pads3, Triple, Triple]:
    """(pads, padded sizes, output sizes) of a convolution of these shapes, checking channels and fit."""
    x_shape, w_shape = tuple(int(s) for s in x_shape), tuple(int(s) for s in w_shape)
    if len(x_shape) != 5 or len(w_shape) != 5 or min(*x_shape, *w_shape) < 0:
        raise ValueError(f"conv3d: input shape {x_shape} and filter shape {w_shape} must be 5 sizes >= 0")
    check_channels(x_shape[1], w_shape[0], w_shape[1], groups, "conv3d")
    pads = conv3d_pads(padding, x_shape[2:], w_shape[2:], stride, dilation)
    padded = tuple(x_shape[2 + a] + sum(pads[a]) for a in AXES)
    return pads, padded, output_sizes(padded, w_shape[2:], stride, dilation, "conv3d")  # type: ignore[return-value]


def check_gradient(gy: np.ndarray, images: int, filters: int, out: Triple, what: str) -> None:
    """ValueError unless the output gradient ``gy`` has shape (images, filters, *out)."""
    if tuple(gy.shape) != (images, filters, *out):
        raise ValueError(f"{what}: the output gradient has shape {tuple(gy.shape)}, but the convolution gives "
                         f"{(images, filters, *out)}")


def _pad(x: np.ndarray, pads: Pads3) -> np.ndarray:
    if not any(p for pair in pads for p in pair):
        return x
    return np.pad(x, [(0, 0), (0, 0), *pads])


def _windows(xp: np.ndarray, kernel: Sequence[int], stride: Triple, dilation: Triple, out: Triple) -> np.ndarray:
    """A read-only view of ``xp`` (N, C, D, H, W) as its windows (N, C, OD, OH, OW, KD, KH, KW)."""
    sn, sc, *spatial = xp.strides
    strides = (sn, sc, *(spatial[a] * stride[a] for a in AXES), *(spatial[a] * dilation[a] for a in AXES))
    return as_strided(xp, shape=(*xp.shape[:2], *out, *(int(k) for k in kernel)), strides=strides,
                      writeable=False)


def conv3d_forward(x: np.ndarray, w: np.ndarray, stride: Triple, padding: PaddingSpec, dilation: Triple,
                   groups: int) -> np.ndarray:
    """Cross-correlation of ``x`` (N, C, D, H, W) with ``w`` (F, C / groups, KD, KH, KW): (N, F, OD, OH, OW)."""
    pads, _, out = geometry(x.shape, w.shape, stride, padding, dilation, groups)
    n, f, cg = x.shape[0], w.shape[0], w.shape[1]
    cols = _windows(_pad(x, pads), w.shape[2:], stride, dilation, out)
    fg = f // groups
    result = np.empty((n, f, *out), dtype=np.result_type(x, w))
    for g in range(groups):
        # (Fg, Cg, KD, KH, KW) . (N, Cg, OD, OH, OW, KD, KH, KW) -> (Fg, N, OD, OH, OW)
        product = np.tensordot(w[g * fg:(g + 1) * fg], cols[:, g * cg:(g + 1) * cg],
                               axes=([1, 2, 3, 4], [1, 5, 6, 7]))
        result[:, g * fg:(g + 1) * fg] = product.transpose(1, 0, 2, 3, 4)
    return result


def conv3d_grad_input(w: np.ndarray, gy: np.ndarray, input_shape: Sequence[int], stride: Triple,
                      padding: PaddingSpec, dilation: Triple, groups: int) -> np.ndarray:
    """The gradient of ``<conv3d(x, w), gy>`` in ``x`` of shape ``input_shape`` (the transposed convolution):
    each kernel offset's contribution added onto a strided slice of the padded input."""
    pads, padded, out = geometry(input_shape, w.shape, stride, padding, dilation, groups)
    n, c, *sizes = (int(s) for s in input_shape)
    f, cg, *kernel = w.shape
    check_gradient(gy, n, f, out, "conv3d_grad_input")
    fg = f // groups
    result = np.zeros((n, c, *padded), dtype=np.result_type(w, gy))
    for g in range(groups):
        grads = gy[:, g * fg:(g + 1) * fg]
        for offset in np.ndindex(*kernel):
            # (N, Fg, OD, OH, OW) . (Fg, Cg) -> (N, OD, OH, OW, Cg), added at this offset's window positions
            part = np.tensordot(grads, w[(slice(g * fg, (g + 1) * fg), slice(None), *offset)], axes=([1], [0]))
            where = tuple(slice(offset[a] * dilation[a], offset[a] * dilation[a] + stride[a] * (out[a] - 1) + 1,
                                stride[a]) for a in AXES)
            result[(slice(None), slice(g * cg, (g + 1) * cg), *where)] += np.moveaxis(part, -1, 1)
    crop = tuple(slice(pads[a][0], pads[a][0] + sizes[a]) for a in AXES)
    return np.ascontiguousarray(result[(slice(None), slice(None), *crop)])


def conv3d_grad_weights(x: np.ndarray, gy: np.ndarray, filter_shape: Sequence[int], stride: Triple,
                        padding: PaddingSpec, dilation: Triple, groups: int) -> np.ndarray:
    """The gradient of ``<conv3d(x, w), gy>`` in ``w`` of shape ``filter_shape``."""
    pads, _, out = geometry(x.shape, filter_shape, stride, padding, dilation, groups)
    f, cg, *kernel = (int(s) for s in filter_shape)
    check_gradient(gy, x.shape[0], f, out, "conv3d_grad_weights")
    cols = _windows(_pad(x, pads), kernel, stride, dilation, out)
    fg = f // groups
    result = np.empty((f, cg, *kernel), dtype=np.result_type(x, gy))
    for g in range(groups):
        # (N, Fg, OD, OH, OW) . (N, Cg, OD, OH, OW, KD, KH, KW) -> (Fg, Cg, KD, KH, KW)
        result[g * fg:(g + 1) * fg] = np.tensordot(gy[:, g * fg:(g + 1) * fg], cols[:, g * cg:(g + 1) * cg],
                                                   axes=([0, 2, 3, 4], [0, 2, 3, 4]))
    return result
