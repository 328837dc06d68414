"""Shared tensors: shared variables with the tensor operators."""

from __future__ import annotations

from ..shared import SharedVariable
from .variable import TensorVariable


class TensorSharedVariable(TensorVariable, SharedVariable):
    """A shared variable holding an ndarray."""
