"""Discrete Fourier transforms on symbolic tensors: ``numpy.fft``'s functions under their names.

>>> import numpy as np
>>> import arignote_core as ac
>>> x = ac.dvector("x")
>>> f = ac.function([x], ac.fft.rfft(x, norm="ortho"))
>>> bool(np.allclose(f([1.0, 2.0, 3.0, 4.0]), np.fft.rfft([1.0, 2.0, 3.0, 4.0], norm="ortho")))
True
"""

from __future__ import annotations

from .functions import *  # noqa: F403
from .functions import __all__ as _functions
from .ops import FFT

__all__ = ["FFT", *_functions]
