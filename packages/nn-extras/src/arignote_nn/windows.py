"""Sliding-window geometry shared by convolution and pooling: argument normalization, output sizes, and the
NumPy kernels that view an array as its windows (im2col without copying) and add windows back (col2im).

Sizes here work on ints and on symbolic int64 scalars alike (they only use ``+ - * //``), so the same formula
gives static shapes and ``infer_shape`` results.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

Pair = tuple[int, int]
#: explicit padding of the two spatial axes: ((top, bottom), (left, right))
Pads = tuple[Pair, Pair]
#: a padding spec kept in an op: "valid", "same", "full", "half", or explicit pads
PaddingSpec = str | Pads

PADDING_MODES = ("valid", "same", "full", "half")


def as_ints(value: Any, n: int, what: str, minimum: int = 1) -> tuple[int, ...]:
    """An int or ``n`` ints as an ``n``-tuple, each at least ``minimum``."""
    items = (value,) * n if isinstance(value, int | np.integer) else tuple(value)
    if len(items) != n or not all(isinstance(v, int | np.integer) and v >= minimum for v in items):
        count = "a pair of ints" if n == 2 else f"{n} ints"
        raise ValueError(f"{what} must be an int or {count} >= {minimum}, got {value!r}")
    return tuple(int(v) for v in items)


def as_pair(value: Any, what: str, minimum: int = 1) -> Pair:
    """An int or a pair of ints as a pair, each at least ``minimum``."""
    return as_ints(value, 2, what, minimum)  # type: ignore[return-value]


_AXIS_COUNTS = {2: "two", 3: "three"}


def normalize_padding(padding: Any, ndim: int = 2) -> PaddingSpec:
    """The padding of ``ndim`` spatial axes: ``"valid" | "same" | "full" | "half"``, an int, ``ndim`` ints, or
    ``ndim`` (before, after) pairs (for 2-d: ``(ph, pw)`` or ``((top, bottom), (left, right))``)."""
    if isinstance(padding, str):
        if padding not in PADDING_MODES:
            raise ValueError(f"padding must be one of {', '.join(PADDING_MODES)}, or numbers; got {padding!r}")
        return padding
    if isinstance(padding, int | np.integer):
        return (as_pair(padding, "padding", 0),) * ndim  # type: ignore[return-value]
    items = tuple(padding)
    if len(items) != ndim:
        raise ValueError(f"padding must give the {_AXIS_COUNTS.get(ndim, ndim)} spatial axes, got {padding!r}")
    return tuple(as_pair(p, "padding", 0) for p in items)  # type: ignore[return-value]


def effective_kernel(kernel: Any, dilation: int) -> Any:
    """The extent of a dilated kernel: ``dilation * (kernel - 1) + 1``."""
    return dilation * (kernel - 1) + 1


def resolve_pads(padding: PaddingSpec, axis: int, size: int, kernel: int, stride: int, dilation: int) -> Pair:
    """Explicit (before, after) padding of spatial ``axis`` (0 or 1) for a convolution.

    ``same`` gives ``ceil(size / stride)`` outputs (TensorFlow's rule; for stride 1 the output has the input's
    size), the odd extra pixel going after; ``full`` pads ``extent - 1`` on both sides; ``half`` (Theano's)
    pads ``extent // 2`` on both sides, from the kernel's actual size.
    """
    extent = effective_kernel(kernel, dilation)
    if padding == "valid":
        return 0, 0
    if padding == "half":
        return extent // 2, extent // 2
    if padding == "full":
        return extent - 1, extent - 1
    if padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + extent - size, 0)
        return total // 2, total - total // 2
    return padding[axis]  # type: ignore[return-value]


def conv_output_size(size: Any, kernel: Any, stride: int, dilation: int, padding: PaddingSpec, axis: int) -> Any:
    """Output length of a convolution along spatial ``axis``; ints or symbolic scalars."""
    extent = effective_kernel(kernel, dilation)
    if padding == "same":
        return (size + stride - 1) // stride
    if padding == "valid":
        return (size - extent) // stride + 1
    if padding == "full":
        return (size + extent - 2) // stride + 1
    if padding == "half":
        return (size + 2 * (extent // 2) - extent) // stride + 1
    assert not isinstance(padding, str), f"unknown padding {padding!r}"
    before, after = padding[axis]
    return (size + before + after - extent) // stride + 1


def static_conv_output_size(size: int | None, kernel: int | None, stride: int, dilation: int,
                            padding: PaddingSpec, axis: int, what: str) -> int | None:
    """The static output length, None when unknown; refuses kernels larger than the padded input."""
    if size is None or kernel is None:
        return None
    out = conv_output_size(size, kernel, stride, dilation, padding, axis)
    if out < 1:
        raise ValueError(f"{what}: the (dilated) kernel of extent {effective_kernel(kernel, dilation)} does not fit "
                         f"spatial axis {axis} of size {size} with padding {padding}")
    return int(out)


def pool_output_size(size: Any, window: int, stride: int, pad: int, ignore_border: bool) -> Any:
    """Output length of pooling along one axis (ints only when ``ignore_border`` is False).

    With ``ignore_border`` the windows must fit in the padded input; without it a partial window at the end
    counts too, as long as it starts inside the input or its left padding (Theano's and PyTorch's ceil mode).
    """
    if ignore_border:
        return (size + 2 * pad - window) // stride + 1
    if size + 2 * pad <= window:
        return 1
    out = -(-(size + 2 * pad - window) // stride) + 1
    return out - 1 if (out - 1) * stride >= size + pad else out


# -----------------------------------------------------------------------------------------------------------
# NumPy kernels


def pad_spatial(x: np.ndarray, pads: Pads, fill: Any = 0) -> np.ndarray:
    """``x`` padded on its last two axes with ``fill`` (no copy when there is nothing to pad)."""
    if not any(pads[0]) and not any(pads[1]):
        return x
    spec = [(0, 0)] * (x.ndim - 2) + [pads[0], pads[1]]
    return np.pad(x, spec, constant_values=fill)


def window_view(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out: Pair) -> np.ndarray:
    """A read-only view of ``xp`` (..., H, W) as its windows: (..., out_h, out_w, kernel_h, kernel_w)."""
    *lead, sh, sw = xp.strides
    shape = (*xp.shape[:-2], out[0], out[1], kernel[0], kernel[1])
    strides = (*lead, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1])
    return as_strided(xp, shape=shape, strides=strides, writeable=False)


def add_windows(columns: np.ndarray, padded_hw: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """The transpose of :func:`window_view`: sum ``columns`` (..., out_h, out_w, kh, kw) into (..., H, W).

    One strided addition per kernel offset (kh * kw of them), never a loop over pixels.
    """
    *lead, out_h, out_w, kh, kw = columns.shape
    result = np.zeros((*lead, *padded_hw), dtype=columns.dtype)
    for i in range(kh):
        top = i * dilation[0]
        rows = slice(top, top + stride[0] * (out_h - 1) + 1, stride[0])
        for j in range(kw):
            left = j * dilation[1]
            result[..., rows, left:left + stride[1] * (out_w - 1) + 1:stride[1]] += columns[..., i, j]
    return result


def crop_spatial(xp: np.ndarray, pads: Pads, hw: Pair) -> np.ndarray:
    """The inverse of :func:`pad_spatial`: the ``hw`` pixels after the leading pads."""
    (top, _), (left, _) = pads
    return xp[..., top:top + hw[0], left:left + hw[1]]
