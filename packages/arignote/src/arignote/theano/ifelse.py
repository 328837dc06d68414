"""``theano.ifelse``: the lazy ``ifelse(condition, then_branch, else_branch)`` (only the branch taken runs)."""

from arignote_core import ifelse
from arignote_core.control.ifelse import IfElse

__all__ = ["IfElse", "ifelse"]
