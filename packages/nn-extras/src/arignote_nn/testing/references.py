"""Direct NumPy references of the convolution and pooling ops: one output pixel at a time, sharing no code with
the kernels they check (so they are slow: small inputs only). Results are computed in float64 and given in
the inputs' dtype.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np


def _pair(value: Any) -> tuple[int, int]:
    return (int(value), int(value)) if np.ndim(value) == 0 else (int(value[0]), int(value[1]))


# -----------------------------------------------------------------------------------------------------------
# convolution over any number of spatial axes (conv1d, conv2d, conv3d): one output position at a time


def _per_axis(value: Any, rank: int) -> tuple[int, ...]:
    return (int(value),) * rank if np.ndim(value) == 0 else tuple(int(v) for v in value)


def conv_pads(padding: Any, size: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
              dilation: Sequence[int]) -> list[tuple[int, int]]:
    """Explicit pads per spatial axis: valid, full, same (TensorFlow's: ``ceil(size / stride)`` outputs, the
    odd pixel after), half (Theano's: ``extent // 2`` each side), an int, one int per axis or one (before, after)
    pair per axis."""
    pads = []
    for a in range(len(size)):
        extent = dilation[a] * (kernel[a] - 1) + 1
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "full":
            pads.append((extent - 1, extent - 1))
        elif padding == "half":
            pads.append((extent // 2, extent // 2))
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
    rank = len(x_shape) - 2
    stride, dilation = _per_axis(stride, rank), _per_axis(dilation, rank)
    if x_shape[1] != w_shape[1] * groups or w_shape[0] % groups:
        raise ValueError("channels do not match groups")
    pads = conv_pads(padding, x_shape[2:], w_shape[2:], stride, dilation)
    out = [(x_shape[2 + a] + sum(pads[a]) - dilation[a] * (w_shape[2 + a] - 1) - 1) // stride[a] + 1
           for a in range(rank)]
    if min(out) < 1:
        raise ValueError("kernel larger than the padded input")
    return stride, dilation, pads, out, w_shape[0] // groups, w_shape[1]


def _window(position: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
            dilation: Sequence[int]) -> tuple[slice, ...]:
    return tuple(slice(p * s, p * s + d * (k - 1) + 1, d) for p, k, s, d in zip(position, kernel, stride, dilation,
                                                                                 strict=True))


def convnd(x: np.ndarray, w: np.ndarray, stride: Any = 1, padding: Any = "valid", dilation: Any = 1,
           groups: int = 1) -> np.ndarray:
    """Cross-correlation of (N, C, *spatial) by (F, C / groups, *kernel)."""
    stride, dilation, pads, out, fg, cg = _conv_setup(x.shape, w.shape, stride, padding, dilation, groups)
    xp = np.pad(x.astype("float64"), [(0, 0), (0, 0), *pads])
    result = np.zeros((x.shape[0], w.shape[0], *out))
    for f in range(w.shape[0]):
        g = f // fg
        for position in np.ndindex(*out):
            patch = xp[(slice(None), slice(g * cg, (g + 1) * cg), *_window(position, w.shape[2:], stride, dilation))]
            result[(slice(None), f, *position)] = np.sum(patch * w[f].astype("float64"),
                                                         axis=tuple(range(1, patch.ndim)))
    return result.astype(np.result_type(x, w))


def convnd_grad_input(w: np.ndarray, gy: np.ndarray, input_shape: Sequence[int], stride: Any = 1,
                      padding: Any = "valid", dilation: Any = 1, groups: int = 1) -> np.ndarray:
    """The input gradient of :func:`convnd`: each output position's gradient spread over its window."""
    input_shape = tuple(int(s) for s in input_shape)
    stride, dilation, pads, out, fg, cg = _conv_setup(input_shape, w.shape, stride, padding, dilation, groups)
    if gy.shape != (input_shape[0], w.shape[0], *out):
        raise ValueError("output gradient of the wrong shape")
    gxp = np.zeros((*input_shape[:2], *(s + sum(p) for s, p in zip(input_shape[2:], pads, strict=True))))
    extra = (None,) * (w.ndim - 1)
    for f in range(w.shape[0]):
        g = f // fg
        for position in np.ndindex(*out):
            where = (slice(None), slice(g * cg, (g + 1) * cg), *_window(position, w.shape[2:], stride, dilation))
            gxp[where] += gy[(slice(None), f, *position, *extra)] * w[f]
    crop = tuple(slice(p[0], p[0] + s) for p, s in zip(pads, input_shape[2:], strict=True))
    return gxp[(slice(None), slice(None), *crop)].astype(np.result_type(w, gy))


def convnd_grad_weights(x: np.ndarray, gy: np.ndarray, filter_shape: Sequence[int], stride: Any = 1,
                        padding: Any = "valid", dilation: Any = 1, groups: int = 1) -> np.ndarray:
    """The filter gradient of :func:`convnd`: each output position's gradient times its input window."""
    filter_shape = tuple(int(s) for s in filter_shape)
    stride, dilation, pads, out, fg, cg = _conv_setup(x.shape, filter_shape, stride, padding, dilation, groups)
    if gy.shape != (x.shape[0], filter_shape[0], *out):
        raise ValueError("output gradient of the wrong shape")
    xp = np.pad(x.astype("float64"), [(0, 0), (0, 0), *pads])
    gw = np.zeros(filter_shape)
    for f in range(filter_shape[0]):
        g = f // fg
        for position in np.ndindex(*out):
            where = (slice(None), slice(g * cg, (g + 1) * cg),
                     *_window(position, filter_shape[2:], stride, dilation))
            gw[f] += np.tensordot(gy[(slice(None), f, *position)], xp[where], axes=(0, 0))
    return gw.astype(np.result_type(x, gy))


#: the 2-d references are the n-d ones on two spatial axes (NCHW by FCHW)
conv2d = convnd
conv2d_grad_input = convnd_grad_input
conv2d_grad_weights = convnd_grad_weights


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


# -----------------------------------------------------------------------------------------------------------
# pooling over any number of trailing axes, unpooling, global pooling (the same per-window rules as pool2d)


def pool_nd(x: np.ndarray, ws: Any, stride: Any = None, pad: Any = 0, ignore_border: bool = False,
            mode: str = "max") -> np.ndarray:
    """Pooling of the last ``len(ws)`` axes, one output element at a time (``ws`` a tuple)."""
    n = len(ws)
    stride = ws if stride is None else stride
    stride = tuple(stride) if np.ndim(stride) else (int(stride),) * n
    pad = tuple(pad) if np.ndim(pad) else (int(pad),) * n
    size = x.shape[x.ndim - n:]
    out = [pool_output_size(size[a], ws[a], stride[a], pad[a], ignore_border) for a in range(n)]
    if min(out) < 1:
        raise ValueError("window larger than the padded input")
    result = np.zeros((*x.shape[:x.ndim - n], *out))
    xf = x.astype("float64")
    for pixel in itertools.product(*(range(o) for o in out)):
        index: tuple[Any, ...] = pixel
        starts = [index[a] * stride[a] - pad[a] for a in range(n)]
        ends = [min(starts[a] + ws[a], size[a] + pad[a]) for a in range(n)]
        window: tuple[Any, ...] = (..., *(slice(max(starts[a], 0), min(ends[a], size[a])) for a in range(n)))
        region = xf[window]
        axes = tuple(range(-n, 0))
        if mode == "max":
            result[(..., *index)] = region.max(axis=axes)
            continue
        divisor = {"sum": 1, "average_inc_pad": int(np.prod([e - s for s, e in zip(starts, ends, strict=True)])),
                   "average_exc_pad": int(np.prod(region.shape[-n:]))}[mode]
        result[(..., *index)] = region.sum(axis=axes) / divisor
    return result.astype(x.dtype)


def pool1d(x: np.ndarray, ws: Any, ignore_border: bool = False, stride: Any = None, pad: Any = 0,
           mode: str = "max") -> np.ndarray:
    """Theano-style ``pool_1d``: pooling of the last axis."""
    return pool_nd(x, (int(ws),), stride, pad, ignore_border, mode)


def pool3d(x: np.ndarray, ws: Any, ignore_border: bool = False, stride: Any = None, pad: Any = 0,
           mode: str = "max") -> np.ndarray:
    """Theano-style ``pool_3d``: pooling of the last three axes."""
    ws = tuple(ws) if np.ndim(ws) else (int(ws),) * 3
    return pool_nd(x, ws, stride, pad, ignore_border, mode)


def global_pool(x: np.ndarray, mode: str = "max", ndim: int = 2) -> np.ndarray:
    """Maximum or mean over the last ``ndim`` axes."""
    axes = tuple(range(x.ndim - ndim, x.ndim))
    return (x.max(axis=axes) if mode == "max" else x.mean(axis=axes)).astype(x.dtype)


def unpool_2d(x: np.ndarray, ws: Any) -> np.ndarray:
    """Each value repeated over a ``ws`` block (a Kronecker product with ones)."""
    rows, cols = _pair(ws)
    return np.kron(x, np.ones((rows, cols))).astype(x.dtype)


def max_unpool_2d(pooled: np.ndarray, x: np.ndarray, ws: Any, stride: Any = None, pad: Any = 0,
                  ignore_border: bool = False) -> np.ndarray:
    """Each pooled value at its window's first maximum of ``x`` (values sharing a maximum add up)."""
    return max_pool2d_grad(x, pooled.astype(x.dtype), ws, stride, pad, ignore_border)


# -----------------------------------------------------------------------------------------------------------
# CTC: the forward recursion in probability space (small cases only), and all alignments enumerated


def _softmax(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _ctc_likelihood(probs: np.ndarray, labels: Sequence[int], blank: int) -> float:
    """P(labels) for one example's frame probabilities (T, C) by Graves' alpha recursion."""
    ext = [blank]
    for label in labels:
        ext += [int(label), blank]
    if len(probs) == 0:
        return 1.0 if not labels else 0.0
    alpha = np.zeros(len(ext))
    alpha[0] = probs[0, blank]
    if len(ext) > 1:
        alpha[1] = probs[0, ext[1]]
    for t in range(1, len(probs)):
        new = np.zeros_like(alpha)
        for s, k in enumerate(ext):
            total = alpha[s] + (alpha[s - 1] if s >= 1 else 0.0)
            if s >= 2 and k != blank and k != ext[s - 2]:
                total += alpha[s - 2]
            new[s] = total * probs[t, k]
        alpha = new
    return float(alpha[-1] + (alpha[-2] if len(ext) > 1 else 0.0))


def ctc_loss(activations: np.ndarray, labels: np.ndarray, input_lengths: np.ndarray,
             label_lengths: np.ndarray | None = None, blank: int = 0) -> np.ndarray:
    """Negative log-likelihood per example (+inf when no alignment fits)."""
    if label_lengths is None:
        label_lengths = np.array([int(np.cumprod(row >= 0).sum()) for row in labels])
    if np.any(np.asarray(input_lengths) > activations.shape[0]) or np.any(np.asarray(label_lengths) > labels.shape[1]):
        raise ValueError("a length beyond the activations' frames or the labels' columns")
    if any(k < 0 or k >= activations.shape[2] or k == blank for b, row in enumerate(labels)
           for k in row[:int(label_lengths[b])]):
        raise ValueError("a label that is the blank or no class")
    probs = _softmax(activations.astype("float64"))
    out = []
    for b in range(activations.shape[1]):
        likelihood = _ctc_likelihood(probs[:int(input_lengths[b]), b], list(labels[b, :int(label_lengths[b])]), blank)
        out.append(-np.log(likelihood) if likelihood > 0 else np.inf)
    return np.array(out).astype(activations.dtype)


def ctc_collapse(path: Sequence[int], blank: int) -> tuple[int, ...]:
    """A frame-wise path with repeats merged and blanks removed."""
    merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
    return tuple(k for k in merged if k != blank)


def ctc_loss_brute_force(activations: np.ndarray, labels: Sequence[int], blank: int = 0) -> float:
    """One example's (T, C) negative log-likelihood, summing the probability of every path of T frames that
    collapses to ``labels`` (C ** T paths: tiny cases only)."""
    probs = _softmax(activations.astype("float64"))
    steps, classes = probs.shape
    total = sum(float(np.prod(probs[np.arange(steps), list(path)]))
                for path in itertools.product(range(classes), repeat=steps)
                if ctc_collapse(path, blank) == tuple(labels))
    return -np.log(total) if total > 0 else np.inf


def separable_conv2d(x: np.ndarray, depthwise: np.ndarray, pointwise: np.ndarray, num_channels: int,
                     stride: Any = 1, padding: Any = "valid", dilation: Any = 1) -> np.ndarray:
    """A depthwise cross-correlation (one group per input channel), then a 1 x 1 one."""
    depth = convnd(x, depthwise, stride, padding, dilation, groups=num_channels)
    return convnd(depth, pointwise)
