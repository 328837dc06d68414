"""NumPy reference kernels of 2-d convolution (NCHW input, FCHW filters): the forward pass and its two
adjoints. They read windows through strides (im2col without a copy) and contract with ``tensordot`` (BLAS);
Python loops run over groups and kernel offsets, never over pixels.

All three compute pieces of the bilinear form ``B(x, w, y) = <conv2d(x, w), y>``: the forward pass is its
gradient in ``y``, :func:`conv2d_grad_input` its gradient in ``x`` and :func:`conv2d_grad_weights` in ``w``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .windows import PaddingSpec, Pads, Pair, add_windows, crop_spatial, pad_spatial, resolve_pads, window_view


def conv_pads(padding: PaddingSpec, in_hw: Sequence[int], kernel_hw: Sequence[int], stride: Pair,
              dilation: Pair) -> Pads:
    """Explicit pads of both spatial axes."""
    return tuple(resolve_pads(padding, a, int(in_hw[a]), int(kernel_hw[a]), stride[a], dilation[a])
                 for a in (0, 1))  # type: ignore[return-value]


def output_sizes(padded: Sequence[int], kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int],
                 what: str = "conv2d") -> tuple[int, ...]:
    """The spatial output sizes of a convolution (``what``, for messages) of an input padded to ``padded``, any
    number of spatial axes; ValueError when the kernel does not fit."""
    sizes = tuple((padded[a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1 for a in range(len(padded)))
    if min(sizes) < 1:
        raise ValueError(f"{what}: the kernel {tuple(kernel)} with dilation {dilation} does not fit the padded "
                         f"input of spatial shape {tuple(padded)}")
    return sizes


def output_hw(padded_hw: Sequence[int], kernel_hw: Sequence[int], stride: Pair, dilation: Pair) -> Pair:
    """(OH, OW) of a convolution of an input padded to ``padded_hw``; ValueError when the kernel does not fit."""
    return output_sizes(padded_hw, kernel_hw, stride, dilation)  # type: ignore[return-value]


def check_channels(channels: int, filters: int, filter_channels: int, groups: int, what: str = "conv2d") -> None:
    """ValueError unless the input channels and the filters agree with ``groups`` (``what``: the convolution,
    for messages)."""
    if channels != filter_channels * groups or filters % groups:
        raise ValueError(f"{what}: input with {channels} channels and {filters} filters of {filter_channels} "
                         f"channels do not match groups={groups} (need channels == filter channels * groups and "
                         "filters divisible by groups)")


def _columns(x: np.ndarray, kernel_hw: Sequence[int], stride: Pair, dilation: Pair,
             pads: Pads) -> tuple[np.ndarray, Pair]:
    """The windows of padded ``x`` as a view (N, C, OH, OW, KH, KW), and (OH, OW)."""
    xp = pad_spatial(x, pads)
    out = output_hw(xp.shape[2:], kernel_hw, stride, dilation)
    return window_view(xp, (int(kernel_hw[0]), int(kernel_hw[1])), stride, dilation, out), out


def check_output(gy: np.ndarray, out: Pair, what: str) -> None:
    """ValueError unless the output gradient ``gy`` has the spatial shape ``out``."""
    if tuple(gy.shape[2:]) != out:
        raise ValueError(f"{what}: the output gradient has spatial shape {tuple(gy.shape[2:])}, but the "
                         f"convolution gives {out}")


def conv2d_forward(x: np.ndarray, w: np.ndarray, stride: Pair, padding: PaddingSpec, dilation: Pair,
                   groups: int) -> np.ndarray:
    """Cross-correlation of ``x`` (N, C, H, W) with ``w`` (F, C / groups, KH, KW): (N, F, OH, OW)."""
    n, c = x.shape[:2]
    f, cg, kh, kw = w.shape
    check_channels(c, f, cg, groups)
    pads = conv_pads(padding, x.shape[2:], (kh, kw), stride, dilation)
    cols, (oh, ow) = _columns(x, (kh, kw), stride, dilation, pads)
    fg = f // groups
    out = np.empty((n, f, oh, ow), dtype=np.result_type(x, w))
    for g in range(groups):
        # (Fg, Cg, KH, KW) . (N, Cg, OH, OW, KH, KW) -> (Fg, N, OH, OW): one GEMM on the gathered windows
        product = np.tensordot(w[g * fg:(g + 1) * fg], cols[:, g * cg:(g + 1) * cg], axes=([1, 2, 3], [1, 4, 5]))
        out[:, g * fg:(g + 1) * fg] = product.transpose(1, 0, 2, 3)
    return out


def conv2d_grad_input(w: np.ndarray, gy: np.ndarray, input_shape: Sequence[int], stride: Pair,
                      padding: PaddingSpec, dilation: Pair, groups: int) -> np.ndarray:
    """The gradient of ``<conv2d(x, w), gy>`` in ``x`` of shape ``input_shape`` (the transposed convolution)."""
    n, c, h, wd = (int(s) for s in input_shape)
    f, cg, kh, kw = w.shape
    check_channels(c, f, cg, groups)
    pads = conv_pads(padding, (h, wd), (kh, kw), stride, dilation)
    padded_hw = (h + sum(pads[0]), wd + sum(pads[1]))
    oh, ow = output_hw(padded_hw, (kh, kw), stride, dilation)
    check_output(gy, (oh, ow), "conv2d_grad_input")
    if gy.shape[:2] != (n, f):
        raise ValueError(f"conv2d_grad_input: output gradient of shape {gy.shape} for {n} images and {f} filters")
    fg = f // groups
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=np.result_type(w, gy))
    for g in range(groups):
        # (Cg * KH * KW, Fg) @ (N, Fg, OH * OW): the window values of every output pixel, batched over images
        w_t = w[g * fg:(g + 1) * fg].reshape(fg, cg * kh * kw).T  # explicit sizes: fg or cg may be 0
        product = w_t @ gy[:, g * fg:(g + 1) * fg].reshape(n, fg, oh * ow)
        cols[:, g * cg:(g + 1) * cg] = product.reshape(n, cg, kh, kw, oh, ow)
    padded = add_windows(cols.transpose(0, 1, 4, 5, 2, 3), padded_hw, stride, dilation)
    return np.ascontiguousarray(crop_spatial(padded, pads, (h, wd)))


def conv2d_grad_weights(x: np.ndarray, gy: np.ndarray, filter_shape: Sequence[int], stride: Pair,
                        padding: PaddingSpec, dilation: Pair, groups: int) -> np.ndarray:
    """The gradient of ``<conv2d(x, w), gy>`` in ``w`` of shape ``filter_shape``."""
    n, c = x.shape[:2]
    f, cg, kh, kw = (int(s) for s in filter_shape)
    check_channels(c, f, cg, groups)
    pads = conv_pads(padding, x.shape[2:], (kh, kw), stride, dilation)
    cols, (oh, ow) = _columns(x, (kh, kw), stride, dilation, pads)
    check_output(gy, (oh, ow), "conv2d_grad_weights")
    fg = f // groups
    gw = np.empty((f, cg, kh, kw), dtype=np.result_type(x, gy))
    for g in range(groups):
        # (Fg, N * OH * OW) @ (N * OH * OW, Cg * KH * KW), both gathered contiguously first
        windows = np.ascontiguousarray(cols[:, g * cg:(g + 1) * cg].transpose(1, 4, 5, 0, 2, 3))
        grads = np.ascontiguousarray(gy[:, g * fg:(g + 1) * fg].transpose(1, 0, 2, 3))
        columns = n * oh * ow  # explicit sizes: any of them may be 0
        gw[g * fg:(g + 1) * fg] = (grads.reshape(fg, columns) @ windows.reshape(cg * kh * kw, columns).T
                                   ).reshape(fg, cg, kh, kw)
    return gw
