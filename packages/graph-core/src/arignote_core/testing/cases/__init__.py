"""The case table, by theme; ``ALL_CASES`` is every case in a stable order."""

from __future__ import annotations

from ..case import Case
from . import (
               control,
               creation,
               debugging,
               elemwise,
               fft,
               indexing,
               linalg,
               products,
               random,
               reductions,
               searching,
               shaping,
               sparse,
               special,
               statistics,
)

MODULES = [elemwise, reductions, indexing, shaping, creation, searching, statistics, products, linalg,
           random, special, control, sparse, fft, debugging]

ALL_CASES: list[Case] = [case for module in MODULES for case in module.CASES]
