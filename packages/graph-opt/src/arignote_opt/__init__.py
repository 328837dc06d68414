"""Arignote graph-opt: a rewrite engine for graphs of any op set, and the standard tensor rewrites.

>>> import arignote_core as ac, arignote_opt
>>> x = ac.dvector("x")
>>> print(ac.pprint(arignote_opt.optimize(ac.log(1 + x) + x - x, arignote_opt.standard_rewriter(fast_math=True))))
log1p(x)

(By default ``x - x`` stays: it is NaN where ``x`` is infinite; ``fast_math=True`` assumes finite values.)

``optimize`` takes outputs (or a FunctionGraph) and returns them rewritten; ``explain`` also says which rules
fired, how often and at what cost; ``standard_rewriter()`` plugs the same pipeline into
``Mode(rewriter=...)``. The engine (:mod:`arignote_opt.engine`) works on any op set: see the README.
"""

from ._version import __version__
from .api import Explanation, explain, optimize, standard_rewriter
from .engine import (
                     Call,
                     Const,
                     GraphRule,
                     Node,
                     NodeRule,
                     Pattern,
                     PatternRule,
                     Phase,
                     Ref,
                     RewriteError,
                     RewriteOptions,
                     Rewriter,
                     RewriteReport,
                     RewriteWarning,
                     Rule,
                     RuleSet,
                     Var,
                     graph_rule,
                     node_rule,
)

__all__ = ["Call", "Const", "Explanation", "GraphRule", "Node", "NodeRule", "Pattern", "PatternRule", "Phase",
           "Ref", "RewriteError", "RewriteOptions", "RewriteReport", "RewriteWarning", "Rewriter", "Rule",
           "RuleSet", "Var", "__version__", "explain", "graph_rule", "node_rule", "optimize", "standard_rewriter"]
