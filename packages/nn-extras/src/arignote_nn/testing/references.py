"""Direct NumPy references of the convolution and pooling ops: one output pixel at a time, sharing no code with
the kernels they check (so they are slow: small inputs only). Results are computed in float64 and given in
the inputs' dtype.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def _pair(value: Any) -> tuple[int, int]:
    return (int(value), int(value)) if np.ndim(value) == 0 else (int(value[0]), int(value[1]))


def conv_pads(padding: Any, size: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
              dilation: Sequence[int]) -> list[tuple[int, int]]:
    """Explicit pads per spatial axis: valid, full, same (TensorFlow's: ``ceil(size / stride)`` outputs, the
    odd pixel after), an int, ``(ph, pw)`` or ``((top, bottom), (left, right))``."""
    pads = []
    for a in (0, 1):
        extent = dilation[a] * (kernel[a] - 1) + 1
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "full":
            pads.append((extent - 1, extent - 1))
        elif padding == "same":
            out = int(np.ceil(size[a] / stride[a]))
            total = max(0, (out - 1) * stride[a] + extent - size[a])
            pads.append((total // 2, total - total // 2))
        elif np.ndim(padding) == 0:
            pads.append((int(padding), int(padding)))
        elif np.isscalar(padding[a]):
            pads.append((int(padding[a]), int(padding[a])))
        else:
            pads.append((int(padding[a][0]), int(padding[a][1])))
    return pads


def _conv_setup(x_shape: Sequence[int], w_shape: Sequence[int], stride: Any, padding: Any, dilation: Any,
                groups: int) -> tuple[Any, ...]:
    stride, dilation = _pair(stride), _pair(dilation)
    n, c, h, wd = x_shape
    f, cg, kh, kw = w_shape
    if c != cg * groups or f % groups:
        raise ValueError("channels do not match groups")
    pads = conv_pads(padding, (h, wd), (kh, kw), stride, dilation)
    padded = (h + sum(pads[0]), wd + sum(pads[1]))
    out = [(padded[a] - dilation[a] * ((kh, kw)[a] - 1) - 1) // stride[a] + 1 for a in (0, 1)]
    if min(out) < 1:
        raise ValueError("kernel larger than the padded input")
    return stride, dilation, pads, out, f // groups, cg


def _window(i: int, j: int, kh: int, kw: int, stride: Any, dilation: Any) -> tuple[slice, slice]:
    return (slice(i * stride[0], i * stride[0] + dilation[0] * (kh - 1) + 1, dilation[0]),
            slice(j * stride[1], j * stride[1] + dilation[1] * (kw - 1) + 1, dilation[1]))


def conv2d(x: np.ndarray, w: np.ndarray, stride: Any = 1, padding: Any = "valid", dilation: Any = 1,
           groups: int = 1) -> np.ndarray:
    """Cross-correlation, NCHW by FCHW."""
    stride, dilation, pads, (oh, ow), fg, cg = _conv_setup(x.shape, w.shape, stride, padding, dilation, groups)
    xp = np.pad(x.astype("float64"), [(0, 0), (0, 0), *pads])
    out = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for f in range(w.shape[0]):
        g = f // fg
        for i in range(oh):
            for j in range(ow):
                rows, cols = _window(i, j, w.shape[2], w.shape[3], stride, dilation)
                patch = xp[:, g * cg:(g + 1) * cg, rows, cols]
                out[:, f, i, j] = np.sum(patch * w[f].astype("float64"), axis=(1, 2, 3))
    return out.astype(np.result_type(x, w))


def conv2d_grad_input(w: np.ndarray, gy: np.ndarray, input_shape: Sequence[int], stride: Any = 1,
                      padding: Any = "valid", dilation: Any = 1, groups: int = 1) -> np.ndarray:
    """The input gradient: each output pixel's gradient spread over its window through the filters."""
    input_shape = tuple(int(s) for s in input_shape)
    stride, dilation, pads, (oh, ow), fg, cg = _conv_setup(input_shape, w.shape, stride, padding, dilation,
                                                           groups)
    if gy.shape != (input_shape[0], w.shape[0], oh, ow):
        raise ValueError("output gradient of the wrong shape")
    n, c, h, wd = input_shape
    gxp = np.zeros((n, c, h + sum(pads[0]), wd + sum(pads[1])))
    for f in range(w.shape[0]):
        g = f // fg
        for i in range(oh):
            for j in range(ow):
                rows, cols = _window(i, j, w.shape[2], w.shape[3], stride, dilation)
                gxp[:, g * cg:(g + 1) * cg, rows, cols] += gy[:, f, i, j, None, None, None] * w[f]
    return gxp[:, :, pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + wd].astype(np.result_type(w, gy))


def conv2d_grad_weights(x: np.ndarray, gy: np.ndarray, filter_shape: Sequence[int], stride: Any = 1,
                        padding: Any = "valid", dilation: Any = 1, groups: int = 1) -> np.ndarray:
    """The filter gradient: each output pixel's gradient times its input window."""
    filter_shape = tuple(int(s) for s in filter_shape)
    stride, dilation, pads, (oh, ow), fg, cg = _conv_setup(x.shape, filter_shape, stride, padding, dilation,
                                                           groups)
    if gy.shape != (x.shape[0], filter_shape[0], oh, ow):
        raise ValueError("output gradient of the wrong shape")
    xp = np.pad(x.astype("float64"), [(0, 0), (0, 0), *pads])
    gw = np.zeros(filter_shape)
    for f in range(filter_shape[0]):
        g = f // fg
        for i in range(oh):
            for j in range(ow):
                rows, cols = _window(i, j, filter_shape[2], filter_shape[3], stride, dilation)
                gw[f] += np.tensordot(gy[:, f, i, j], xp[:, g * cg:(g + 1) * cg, rows, cols], axes=(0, 0))
    return gw.astype(np.result_type(x, gy))


def conv2d_transpose(x: np.ndarray, w: np.ndarray, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                     groups: int = 1, output_padding: Any = 0) -> np.ndarray:
    """PyTorch's ``conv_transpose2d`` (numeric padding): filters (C_in, C_out / groups, KH, KW)."""
    stride, dilation, extra = _pair(stride), _pair(dilation), _pair(output_padding)
    pads = conv_pads(padding, (0, 0), w.shape[2:], stride, dilation)
    size = [(x.shape[2 + a] - 1) * stride[a] - sum(pads[a]) + dilation[a] * (w.shape[2 + a] - 1) + 1 + extra[a]
            for a in (0, 1)]
    return conv2d_grad_input(w, x, (x.shape[0], w.shape[1] * groups, *size), stride, pads, dilation, groups)


# -----------------------------------------------------------------------------------------------------------
# pooling (PyTorch's CPU loops: windows start at o * stride - pad; averages divide by the window clipped to the
# padded input, or to the input when padding is excluded)


def pool_output_size(size: int, window: int, stride: int, pad: int, ignore_border: bool) -> int:
    if ignore_border:
        return (size + 2 * pad - window) // stride + 1
    out = int(np.ceil(max(size + 2 * pad - window, 0) / stride)) + 1
    if (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _pool_windows(in_hw: Sequence[int], ws: Any, stride: Any, pad: Any, ignore_border: bool) -> Any:
    """For each output pixel: (i, j, clipped rows, clipped cols, padded-window area)."""
    ws, stride, pad = _pair(ws), _pair(stride), _pair(pad)
    out = [pool_output_size(in_hw[a], ws[a], stride[a], pad[a], ignore_border) for a in (0, 1)]
    if min(out) < 1:
        raise ValueError("window larger than the padded input")
    for i in range(out[0]):
        for j in range(out[1]):
            bounds = []
            for a, o in enumerate((i, j)):
                start = o * stride[a] - pad[a]
                end = min(start + ws[a], in_hw[a] + pad[a])
                bounds.append((start, end))
            area = (bounds[0][1] - bounds[0][0]) * (bounds[1][1] - bounds[1][0])
            rows = slice(max(bounds[0][0], 0), min(bounds[0][1], in_hw[0]))
            cols = slice(max(bounds[1][0], 0), min(bounds[1][1], in_hw[1]))
            yield i, j, rows, cols, area, out


def pool2d(x: np.ndarray, ws: Any, stride: Any = None, pad: Any = 0, ignore_border: bool = True,
           mode: str = "max") -> np.ndarray:
    """Pooling of the last two axes."""
    stride = ws if stride is None else stride
    windows = list(_pool_windows(x.shape[-2:], ws, stride, pad, ignore_border))
    out = np.zeros((*x.shape[:-2], *windows[0][-1]))
    xf = x.astype("float64")
    for i, j, rows, cols, area, _ in windows:
        region = xf[..., rows, cols]
        if mode == "max":
            out[..., i, j] = region.max(axis=(-2, -1))
        else:
            total = region.sum(axis=(-2, -1))
            divisor = {"sum": 1, "average_inc_pad": area, "average_exc_pad": region.shape[-2] * region.shape[-1]}
            out[..., i, j] = total / divisor[mode]
    return out.astype(x.dtype)


def max_pool2d_grad(x: np.ndarray, gy: np.ndarray, ws: Any, stride: Any = None, pad: Any = 0,
                    ignore_border: bool = True) -> np.ndarray:
    """Each window's gradient goes to its first maximum (row-major)."""
    stride = ws if stride is None else stride
    gx = np.zeros(x.shape)
    flat_x, flat_gy, flat_gx = (a.reshape(-1, *a.shape[-2:]) for a in (x, gy, gx))
    for i, j, rows, cols, _, _ in _pool_windows(x.shape[-2:], ws, stride, pad, ignore_border):
        for k in range(flat_x.shape[0]):
            region = flat_x[k, rows, cols]
            r, c = np.unravel_index(np.argmax(region), region.shape)
            flat_gx[k, rows.start + r, cols.start + c] += flat_gy[k, i, j]
    return gx.astype(x.dtype)


def max_pool2d_grad_grad(x: np.ndarray, ggx: np.ndarray, ws: Any, stride: Any = None, pad: Any = 0,
                         ignore_border: bool = True) -> np.ndarray:
    """``ggx`` read at each window's first maximum of ``x``."""
    stride = ws if stride is None else stride
    windows = list(_pool_windows(x.shape[-2:], ws, stride, pad, ignore_border))
    out = np.zeros((*x.shape[:-2], *windows[0][-1]))
    flat_x, flat_ggx = x.reshape(-1, *x.shape[-2:]), ggx.reshape(-1, *x.shape[-2:])
    flat_out = out.reshape(-1, *out.shape[-2:])
    for i, j, rows, cols, _, _ in windows:
        for k in range(flat_x.shape[0]):
            region = flat_x[k, rows, cols]
            r, c = np.unravel_index(np.argmax(region), region.shape)
            flat_out[k, i, j] = flat_ggx[k, rows.start + r, cols.start + c]
    return out.astype(x.dtype)


def average_pool2d_grad(gy: np.ndarray, input_shape: Sequence[int], ws: Any, stride: Any = None, pad: Any = 0,
                        ignore_border: bool = True, mode: str = "average_inc_pad") -> np.ndarray:
    """Each window's gradient spread evenly (divided as the forward pass divides) over the window."""
    stride = ws if stride is None else stride
    input_shape = tuple(int(s) for s in input_shape)
    gx = np.zeros(input_shape)
    for i, j, rows, cols, area, _ in _pool_windows(input_shape[-2:], ws, stride, pad, ignore_border):
        count = (rows.stop - rows.start) * (cols.stop - cols.start)
        divisor = {"sum": 1, "average_inc_pad": area, "average_exc_pad": count}[mode]
        gx[..., rows, cols] += gy[..., i, j, None, None] / divisor
    return gx.astype(gy.dtype)
