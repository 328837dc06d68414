"""``theano.tensor.xlogx``: ``xlogx`` (``x log x``, 0 at 0) and ``xlogy0`` (``x log y``, 0 where x is 0)."""

from __future__ import annotations

from typing import Any

import arignote as ar
from arignote_core import TensorVariable, as_tensor

__all__ = ["xlogx", "xlogy0"]


def xlogx(x: Any) -> TensorVariable:
    """``x * log(x)``, and 0 where ``x`` is 0."""
    x = as_tensor(x)
    return ar.switch(ar.eq(x, 0), ar.zeros_like(x, dtype=ar.log(x).dtype), x * ar.log(x))


def xlogy0(x: Any, y: Any) -> TensorVariable:
    """``x * log(y)``, and 0 where ``x`` is 0."""
    x, y = as_tensor(x), as_tensor(y)
    product = x * ar.log(y)
    return ar.switch(ar.eq(x, 0), ar.zeros_like(product), product)
