"""``dropout``: random zeroing of activations during training, drawn from a graph-core ``RandomStream``."""

from __future__ import annotations

from typing import Any

from arignote_core import RandomStream, TensorVariable, as_tensor
from arignote_core.tensors.shape_inference import shape_tuple


def dropout(x: Any, p: float, stream: RandomStream, training: bool = True, rescale: bool = True) -> TensorVariable:
    """``x`` with each element zeroed with probability ``p`` (when ``training``; otherwise ``x`` itself).

    Kept elements are scaled by ``1 / (1 - p)`` (inverted dropout, so inference needs no scaling) unless
    ``rescale`` is False. The mask is a draw of ``stream``: compile with ``updates=stream.updates()`` so that
    each call draws a new mask.
    """
    x = as_tensor(x)
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    if not training or p == 0:
        return x
    keep = stream.bernoulli(1 - p, size=shape_tuple(x), dtype=x.dtype)
    return x * (keep * (1 / (1 - p))) if rescale else x * keep
